/**
 * MARAC rules (SPEC §3; SafeLives): which high-risk criteria a checklist met, and whether a
 * referral is a repeat — any referral of the same victim within 12 months of their last
 * MARAC referral. Pure.
 */
import { addMonths } from 'date-fns';

export const MARAC_CRITERIA = ['score', 'professional_judgement', 'escalation', 'manual'] as const;
export type MaracCriterion = (typeof MARAC_CRITERIA)[number];

export const CRITERION_LABELS: Record<MaracCriterion, string> = {
  score: 'Visible high risk (the checklist score)',
  professional_judgement: 'Professional judgement',
  escalation: 'Potential escalation (3 or more incidents in 12 months)',
  manual: 'Referred by the MARAC coordinator',
};

/** The high-risk criteria an assessment met, in the order SafeLives lists them. */
export function maracCriteria(reasons: ReadonlyArray<{ code: string; level: string }>): MaracCriterion[] {
  const out: MaracCriterion[] = [];
  if (reasons.some((r) => r.code === 'yes_count' && r.level === 'high')) out.push('score');
  if (reasons.some((r) => r.code === 'professional_judgement' && r.level === 'high')) out.push('professional_judgement');
  if (reasons.some((r) => r.code === 'escalation')) out.push('escalation');
  return out;
}

/** A repeat: referred on or before the day 12 months after the previous referral (YYYY-MM-DD dates). */
export function isRepeat(previous: string, referredOn: string): boolean {
  if (referredOn < previous) return false;
  const limit = addMonths(new Date(`${previous}T12:00:00Z`), 12).toISOString().slice(0, 10);
  return referredOn <= limit;
}
