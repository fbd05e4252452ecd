/**
 * How long a partnership keeps what it holds (docs/retention.md), as data: the `retention`
 * object of partnerships.settings, each period falling back to its default. Pure: values
 * in, values out.
 */
import { subDays, subYears } from 'date-fns';
import { Invalid, type FieldError } from '../../lib/errors.js';

export interface RetentionRules {
  /** A person and everything about them: years after their last activity (last contact, last case closed). */
  peopleYears: number;
  /** A contact never linked to a person: years after it was received and last changed. */
  unlinkedContactYears: number;
  /** The stored first answer of a creating request (Idempotency-Key), kept for retries: days. */
  requestAnswerDays: number;
}

/**
 * Six years: the Limitation Act 1980's period for a claim in contract or tort (the basis of
 * most UK domestic-abuse services' retention schedules, e.g. "six years after the case
 * closed"), counted from the person's last activity so a returning person keeps their history.
 */
export const DEFAULT_RETENTION: RetentionRules = { peopleYears: 6, unlinkedContactYears: 6, requestAnswerDays: 30 };

const LIMITS: Record<keyof RetentionRules, { min: number; max: number; unit: string }> = {
  peopleYears: { min: 1, max: 100, unit: 'years' },
  unlinkedContactYears: { min: 1, max: 100, unit: 'years' },
  requestAnswerDays: { min: 1, max: 3650, unit: 'days' },
};

export const RULE_KEYS = Object.keys(LIMITS) as Array<keyof RetentionRules>;

/** The field errors of a partial set of rules (a whole number within its limits, and nothing unknown). */
export function ruleErrors(value: unknown, at = 'settings/retention'): FieldError[] {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [{ field: `/${at}`, message: 'must be an object' }];
  const errors: FieldError[] = [];
  for (const [key, v] of Object.entries(value)) {
    const limit = LIMITS[key as keyof RetentionRules];
    if (!limit) errors.push({ field: `/${at}/${key}`, message: `is not a retention rule (${RULE_KEYS.join(', ')})` });
    else if (typeof v !== 'number' || !Number.isInteger(v) || v < limit.min || v > limit.max) {
      errors.push({ field: `/${at}/${key}`, message: `must be a whole number of ${limit.unit} from ${limit.min} to ${limit.max}` });
    }
  }
  return errors;
}

/** The rules a partnership's settings give, defaults where it sets none; bad settings are Invalid, named. */
export function retentionRules(settings: Record<string, unknown>): RetentionRules {
  const own = settings.retention;
  const errors = ruleErrors(own);
  if (errors.length > 0) throw new Invalid(errors);
  return { ...DEFAULT_RETENTION, ...(own as Partial<RetentionRules> | undefined) };
}

export interface Cutoffs {
  /** Anything whose last activity is before this is due. */
  people: Date;
  unlinkedContacts: Date;
  requestAnswers: Date;
}

/** The moments before which each kind of record is due, at `now` (calendar years: 29 February goes back to 28 February). */
export function cutoffsAt(now: Date, rules: RetentionRules): Cutoffs {
  return {
    people: subYears(now, rules.peopleYears),
    unlinkedContacts: subYears(now, rules.unlinkedContactYears),
    requestAnswers: subDays(now, rules.requestAnswerDays),
  };
}
