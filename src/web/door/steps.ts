/**
 * The web door's questions, as data: each step a page, each field with its kind and rules.
 * One generic page renders them; one function checks them; the answers become a contact.
 * All words come from the message files (messages/en.json, messages/cy.json).
 */
import { createRequire } from 'node:module';
import { PHONE_PATTERN, POSTCODE_PATTERN } from '../../lib/schema.js';
import { DASH_RIC_QUESTION_IDS } from '../../modules/risk/dash-ric.js';
import { dateInput } from '../forms.js';
import type { NewContact } from '../../modules/contacts/schema.js';
import type { NewAssessment } from '../../modules/risk/schema.js';
import type { Answers, DoorForm } from '../../modules/door/service.js';

const require = createRequire(import.meta.url);
const MESSAGES: Record<string, Record<string, string>> = {
  en: require('./messages/en.json') as Record<string, string>,
  cy: require('./messages/cy.json') as Record<string, string>,
};
export const LANGUAGES = ['en', 'cy'] as const;
export type Language = (typeof LANGUAGES)[number];

/** A message in the language asked for, falling back to English; `{name}` filled from vars. */
export function translate(lang: Language, key: string, vars: Record<string, string | number> = {}): string {
  const text = MESSAGES[lang]?.[key] || MESSAGES.en![key];
  if (text === undefined) throw new Error(`No message "${key}"`);
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? ''));
}

export function hasMessage(key: string): boolean {
  return MESSAGES.en![key] !== undefined;
}

export type Field =
  | { kind: 'radios'; name: string; items: readonly string[]; required?: boolean }
  | { kind: 'checkboxes'; name: string; items: readonly string[]; required?: boolean }
  | { kind: 'text'; name: string; required?: boolean; max: number; type?: 'tel' | 'email' | 'postcode' | 'number'; width?: string }
  | { kind: 'textarea'; name: string; max: number; required?: boolean }
  | { kind: 'date'; name: string }
  | { kind: 'dash' };

export interface Step {
  slug: string;
  /** Fields on this page; the first radios or checkboxes field takes the page title as its legend. */
  fields: Field[];
  /** Checks across fields: each a message key for the field it names. */
  check?: (answers: Answers) => Array<[field: string, key: string]>;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const list = (value: unknown): string[] => (Array.isArray(value) ? (value as string[]) : typeof value === 'string' && value ? [value] : []);

export const SELF_STEPS: Step[] = [
  { slug: 'now', fields: [{ kind: 'radios', name: 'now', items: ['yes', 'no'], required: true }] },
  { slug: 'who', fields: [{ kind: 'radios', name: 'who', items: ['myself', 'someone_else'], required: true }] },
  { slug: 'happening', fields: [{ kind: 'checkboxes', name: 'happening', items: ['physical', 'threats', 'control', 'stalking', 'sexual', 'financial', 'other'] }] },
  { slug: 'name', fields: [{ kind: 'text', name: 'name', max: 60, width: 'govuk-input--width-20' }] },
  {
    slug: 'reach',
    fields: [
      { kind: 'text', name: 'phone', max: 20, type: 'tel', width: 'govuk-input--width-20' },
      { kind: 'checkboxes', name: 'phoneSafe', items: ['call', 'text', 'voicemail'] },
      { kind: 'text', name: 'email', max: 254, type: 'email' },
    ],
    check: (a) => {
      const phoneOk = typeof a.phone === 'string' && a.phone !== '' && list(a.phoneSafe).length > 0;
      const emailOk = typeof a.email === 'string' && a.email !== '';
      if (list(a.phoneSafe).length > 0 && !a.phone) return [['phone', 'error.phone']];
      return phoneOk || emailOk ? [] : [['phone', 'error.reachable']];
    },
  },
  {
    slug: 'times',
    fields: [
      { kind: 'checkboxes', name: 'times', items: ['weekday_mornings', 'weekday_afternoons', 'weekday_evenings', 'weekends'] },
      { kind: 'text', name: 'note', max: 200 },
    ],
  },
  { slug: 'area', fields: [{ kind: 'text', name: 'postcode', max: 8, type: 'postcode', required: true, width: 'govuk-input--width-10' }] },
  { slug: 'age', fields: [{ kind: 'radios', name: 'age', items: ['16_17', '18_24', '25_44', '45_64', '65_plus', 'prefer_not'], required: true }] },
  {
    slug: 'children',
    fields: [
      { kind: 'radios', name: 'children', items: ['yes', 'no'], required: true },
      { kind: 'text', name: 'count', max: 2, type: 'number', width: 'govuk-input--width-2' },
    ],
  },
  { slug: 'support', fields: [{ kind: 'checkboxes', name: 'support', items: ['accommodation', 'immigration_nrpf', 'language', 'disability', 'mental_health', 'substance_use', 'legal_advice'] }] },
  { slug: 'more', fields: [{ kind: 'textarea', name: 'more', max: 2000 }] },
];

export const PROFESSIONAL_STEPS: Step[] = [
  {
    slug: 'referrer',
    fields: [
      { kind: 'text', name: 'organisation', max: 120, required: true },
      { kind: 'text', name: 'role', max: 120, required: true },
      { kind: 'text', name: 'name', max: 120, required: true },
      { kind: 'text', name: 'phone', max: 20, type: 'tel', required: true, width: 'govuk-input--width-20' },
      { kind: 'text', name: 'email', max: 254, type: 'email', required: true },
    ],
  },
  { slug: 'now', fields: [{ kind: 'radios', name: 'now', items: ['yes', 'no', 'not_known'], required: true }] },
  {
    slug: 'person',
    fields: [
      { kind: 'text', name: 'name', max: 120, required: true },
      { kind: 'date', name: 'dateOfBirth' },
      { kind: 'radios', name: 'gender', items: ['female', 'male', 'non_binary', 'other', 'not_known'], required: true },
      { kind: 'text', name: 'postcode', max: 8, type: 'postcode', required: true, width: 'govuk-input--width-10' },
      { kind: 'text', name: 'children', max: 2, type: 'number', width: 'govuk-input--width-2' },
      { kind: 'text', name: 'phone', max: 20, type: 'tel', width: 'govuk-input--width-20' },
      { kind: 'checkboxes', name: 'phoneSafe', items: ['call', 'text', 'voicemail'] },
      { kind: 'text', name: 'safeTimes', max: 200 },
    ],
    check: (a) => (list(a.phoneSafe).length > 0 && !a.phone ? [['phone', 'error.phone']] : []),
  },
  {
    slug: 'checklist',
    fields: [
      { kind: 'dash' },
      { kind: 'radios', name: 'judgement', items: ['none', 'medium', 'high'] },
      { kind: 'textarea', name: 'judgementReason', max: 2000 },
    ],
    check: (a) => (a.judgement && a.judgement !== 'none' && !a.judgementReason ? [['judgementReason', 'error.judgementReason']] : []),
  },
  {
    slug: 'consent',
    fields: [
      { kind: 'radios', name: 'consent', items: ['given', 'refused', 'not_asked'], required: true },
      { kind: 'textarea', name: 'lawfulBasis', max: 1000 },
    ],
    check: (a) => (a.consent && a.consent !== 'given' && !a.lawfulBasis ? [['lawfulBasis', 'error.lawfulBasis']] : []),
  },
  { slug: 'urgency', fields: [{ kind: 'radios', name: 'urgency', items: ['routine', 'urgent'], required: true }] },
];

export const STEPS: Record<DoorForm, Step[]> = { self: SELF_STEPS, professional: PROFESSIONAL_STEPS };

/** Reads one step's fields from a form post: the values to keep, and errors as [field, message key, vars]. */
export function readStep(step: Step, form: Record<string, unknown>): { values: Answers; errors: Array<[string, string, Record<string, number>?]> } {
  const values: Answers = {};
  const errors: Array<[string, string, Record<string, number>?]> = [];
  for (const field of step.fields) {
    if (field.kind === 'dash') {
      const answers = (typeof form.answers === 'object' && form.answers !== null ? form.answers : {}) as Record<string, unknown>;
      const kept: Record<string, string> = {};
      for (const id of DASH_RIC_QUESTION_IDS) {
        const value = answers[id];
        if (value === 'yes' || value === 'no' || value === 'dont_know') kept[id] = value;
        else errors.push([`answers-${id}`, 'error.required']);
      }
      values.answers = kept;
      continue;
    }
    if (field.kind === 'date') {
      const value = dateInput(form, field.name, { notFuture: true });
      if (value === null) errors.push([field.name, 'error.date']);
      else values[field.name] = value;
      continue;
    }
    if (field.kind === 'checkboxes') {
      const sent = list(form[field.name]);
      const chosen = sent.filter((v) => field.items.includes(v));
      if (chosen.length < sent.length) errors.push([field.name, 'error.invalid']);
      else if (field.required && chosen.length === 0) errors.push([field.name, 'error.choose']);
      values[field.name] = chosen;
      continue;
    }
    const raw = typeof form[field.name] === 'string' ? (form[field.name] as string).trim() : '';
    if (field.kind === 'radios') {
      if (raw && !field.items.includes(raw)) errors.push([field.name, 'error.invalid']);
      else if (!raw && field.required) errors.push([field.name, 'error.required']);
      values[field.name] = raw;
      continue;
    }
    values[field.name] = raw;
    if (!raw) {
      if (field.required) errors.push([field.name, 'error.required']);
      continue;
    }
    if (field.kind === 'text' && field.type === 'tel' && !PHONE_PATTERN.test(raw)) errors.push([field.name, 'error.phone']);
    else if (field.kind === 'text' && field.type === 'email' && !EMAIL.test(raw)) errors.push([field.name, 'error.email']);
    else if (field.kind === 'text' && field.type === 'postcode' && !POSTCODE_PATTERN.test(raw)) errors.push([field.name, 'error.postcode']);
    else if (field.kind === 'text' && field.type === 'number' && !(/^\d{1,2}$/.test(raw) && Number(raw) <= 15)) errors.push([field.name, 'error.number']);
    else if (raw.length > field.max) errors.push([field.name, 'error.tooLong', { max: field.max }]);
  }
  if (errors.length === 0 && step.check) for (const [name, key] of step.check(values)) errors.push([name, key]);
  return { values, errors };
}

/** Steps still unanswered, in order (an answer of '' counts as answered for optional fields). */
export function firstUnanswered(form: DoorForm, answers: Answers): Step | undefined {
  return STEPS[form].find((step) => !(step.slug in ((answers.steps as Record<string, unknown>) ?? {})));
}

const SELF_NEEDS: Record<string, string> = {
  stalking: 'stalking',
  sexual: 'sexual_violence',
  financial: 'financial_abuse',
};

export type StepAnswers = Record<string, Answers>;

/** The self-referral's answers (by step) as a contact in the SPOC's triage queue. */
export function selfReferralContact(steps: StepAnswers): NewContact {
  const a = Object.assign({}, ...Object.values(steps)) as Record<string, string & string[]>;
  const happening = list(a.happening);
  const needs = new Set<string>([...list(a.support), ...happening.map((h) => SELF_NEEDS[h]).filter((n): n is string => Boolean(n))]);
  if (a.children === 'yes') needs.add('children_in_household');
  if (a.age === '16_17') needs.add('age_16_17');
  if (a.age === '65_plus') needs.add('older_person');
  const safe = list(a.phoneSafe);
  const times = list(a.times).map((t) => translate('en', `self.times.${t}`));
  const count = a.children === 'yes' ? Math.max(1, Number(a.count || 1)) : 0;
  const summary = [
    happening.length ? `What is happening: ${happening.map((h) => translate('en', `self.happening.${h}`)).join('; ')}.` : '',
    a.age ? `Age: ${translate('en', `self.age.${a.age}`)}.` : '',
    a.more ? `In their words: ${a.more}` : '',
  ]
    .filter(Boolean)
    .join('\n');
  return {
    channel: 'web_self_referral',
    callerType: a.who === 'someone_else' ? 'family_friend' : 'victim',
    immediateDanger: a.now === 'yes' ? 'yes' : 'no',
    person: { ...(a.name ? { name: a.name } : {}), ...(a.postcode ? { postcode: a.postcode.toUpperCase() } : {}), ...(a.phone ? { phones: [a.phone] } : {}) },
    safeContact: {
      ...(a.phone ? { phones: [{ number: a.phone, callSafe: safe.includes('call'), textSafe: safe.includes('text'), voicemailSafe: safe.includes('voicemail') }] } : {}),
      ...(a.email ? { safeEmail: a.email } : {}),
      ...(times.length || a.note ? { safeTimesNote: [times.join(', '), a.note].filter(Boolean).join('. ').slice(0, 300) } : {}),
      ...(list(a.support).includes('language') ? { interpreterNeeded: true } : {}),
    },
    needs: [...needs],
    children: Array.from({ length: count }, () => ({})),
    summary,
  };
}

/** The professional referral's answers (by step) as a contact and its checklist. */
export function professionalContact(steps: StepAnswers): { contact: NewContact; assessment: NewAssessment } {
  const referrer = (steps.referrer ?? {}) as Record<string, string>;
  const a = Object.assign({}, ...Object.values({ ...steps, referrer: {} })) as Record<string, string & string[]>;
  const safe = list(a.phoneSafe);
  const count = a.children ? Number(a.children) : 0;
  const contact: NewContact = {
    channel: 'professional_referral',
    callerType: 'professional',
    immediateDanger: (a.now as NewContact['immediateDanger']) || 'not_known',
    person: {
      name: a.name,
      ...(a.dateOfBirth ? { dateOfBirth: a.dateOfBirth } : {}),
      ...(a.gender ? { gender: a.gender as 'female' } : {}),
      postcode: (a.postcode ?? '').toUpperCase(),
      ...(a.phone ? { phones: [a.phone] } : {}),
    },
    caller: { name: referrer.name!, organisation: referrer.organisation!, role: referrer.role!, phone: referrer.phone!, email: referrer.email! },
    safeContact: {
      ...(a.phone ? { phones: [{ number: a.phone, callSafe: safe.includes('call'), textSafe: safe.includes('text'), voicemailSafe: safe.includes('voicemail') }] } : {}),
      ...(a.safeTimes ? { safeTimesNote: a.safeTimes } : {}),
    },
    needs: count > 0 ? ['children_in_household'] : [],
    children: Array.from({ length: count }, () => ({})),
    summary: [
      `Referred by ${referrer.role} at ${referrer.organisation}.`,
      `Urgency: ${a.urgency === 'urgent' ? 'urgent, contact needed today' : 'routine'}.`,
      `Consent: ${translate('en', `professional.consent.${a.consent}`)}${a.lawfulBasis ? `; lawful basis: ${a.lawfulBasis}` : ''}.`,
    ].join('\n'),
  };
  const judgement = a.judgement && a.judgement !== 'none' ? { professionalJudgement: { level: a.judgement as 'high', reason: a.judgementReason ?? '' } } : {};
  return { contact, assessment: { answers: a.answers as unknown as NewAssessment['answers'], policeCallouts12m: 0, otherIncidents12m: 0, ...judgement } };
}
