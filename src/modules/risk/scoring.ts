/**
 * DASH RIC scoring and classification (SPEC §3). Pure: values in, values out.
 * Thresholds are partnership configuration; the defaults reflect SafeLives guidance.
 */
import type { Answer, QuestionnaireDefinition } from './definition.js';

export const RISK_LEVELS = ['standard', 'medium', 'high'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

export interface RiskThresholds {
  /** "yes" answers at or above which the risk is high (refer to MARAC). */
  highYesCount: number;
  /** "yes" answers at or above which the risk is medium. */
  mediumYesCount: number;
  /** Domestic-abuse incidents in 12 months at or above which escalation makes it high. */
  escalationIncidents: number;
}

export const DEFAULT_THRESHOLDS: RiskThresholds = { highYesCount: 14, mediumYesCount: 10, escalationIncidents: 3 };

export interface ScoringInput {
  answers: Record<string, Answer>;
  judgement?: { level: RiskLevel; reason: string } | undefined;
  policeCallouts12m: number;
  otherIncidents12m: number;
}

export interface Reason {
  code: 'yes_count' | 'escalation' | 'professional_judgement' | 'judgement_cannot_lower';
  level: RiskLevel;
  message: string;
}

export interface RiskPrompt {
  id: string;
  message: string;
  questionIds: string[];
}

export interface ScoringResult {
  yesCount: number;
  dontKnowCount: number;
  scoreLevel: RiskLevel;
  level: RiskLevel;
  reasons: Reason[];
  prompts: RiskPrompt[];
}

const rank = (level: RiskLevel): number => RISK_LEVELS.indexOf(level);
const higher = (a: RiskLevel, b: RiskLevel): RiskLevel => (rank(a) >= rank(b) ? a : b);

export function levelForYesCount(yesCount: number, thresholds: RiskThresholds): RiskLevel {
  if (yesCount >= thresholds.highYesCount) return 'high';
  if (yesCount >= thresholds.mediumYesCount) return 'medium';
  return 'standard';
}

export function score(definition: QuestionnaireDefinition, input: ScoringInput, thresholds: RiskThresholds): ScoringResult {
  const answered = definition.questions.map((question) => input.answers[question.id]);
  // "Don't know" never counts as yes.
  const yesCount = answered.filter((answer) => answer === 'yes').length;
  const dontKnowCount = answered.filter((answer) => answer === 'dont_know').length;
  const scoreLevel = levelForYesCount(yesCount, thresholds);
  const reasons: Reason[] = [
    {
      code: 'yes_count',
      level: scoreLevel,
      message: `${yesCount} of ${definition.questions.length} answered yes (medium from ${thresholds.mediumYesCount}, high from ${thresholds.highYesCount})`,
    },
  ];
  let level = scoreLevel;

  // SafeLives: potential escalation counts incidents, not only police call-outs.
  const incidents = input.policeCallouts12m + input.otherIncidents12m;
  if (incidents >= thresholds.escalationIncidents) {
    level = 'high';
    reasons.push({
      code: 'escalation',
      level: 'high',
      message: `${incidents} domestic-abuse incidents in the past 12 months (${input.policeCallouts12m} police call-outs, ${input.otherIncidents12m} other); potential escalation from ${thresholds.escalationIncidents}`,
    });
  }

  // Professional judgement can raise the level, never lower it below the score.
  if (input.judgement) {
    if (rank(input.judgement.level) >= rank(scoreLevel)) {
      level = higher(level, input.judgement.level);
      reasons.push({
        code: 'professional_judgement',
        level: input.judgement.level,
        message: `Professional judgement: ${input.judgement.level}`,
      });
    } else {
      reasons.push({
        code: 'judgement_cannot_lower',
        level: scoreLevel,
        message: `Professional judgement of ${input.judgement.level} recorded; it cannot lower the level below the score's ${scoreLevel}`,
      });
    }
  }

  return { yesCount, dontKnowCount, scoreLevel, level, reasons, prompts: riskPrompts(definition, input.answers) };
}

function riskPrompts(definition: QuestionnaireDefinition, answers: Record<string, Answer>): RiskPrompt[] {
  const yesWithTag = (tag: string): string[] =>
    definition.questions.filter((q) => q.tags.includes(tag) && answers[q.id] === 'yes').map((q) => q.id);
  const prompts: RiskPrompt[] = [];
  for (const rule of definition.riskPrompts) {
    const all = (rule.allTagsYes ?? []).map(yesWithTag);
    const any = (rule.anyTagYes ?? []).flatMap(yesWithTag);
    if (all.some((ids) => ids.length === 0)) continue;
    if (rule.anyTagYes && any.length === 0) continue;
    prompts.push({ id: rule.id, message: rule.message, questionIds: [...new Set([...all.flat(), ...any])].sort() });
  }
  return prompts;
}

/** Reads and checks a partnership's thresholds (defaults where unset); a broken setting fails loudly. */
export function thresholdsFrom(settings: Record<string, unknown>): RiskThresholds {
  const risk = (settings.risk ?? {}) as Partial<RiskThresholds>;
  const merged = { ...DEFAULT_THRESHOLDS, ...risk };
  const whole = (n: unknown): boolean => Number.isInteger(n) && (n as number) > 0;
  if (
    !whole(merged.mediumYesCount) ||
    !whole(merged.highYesCount) ||
    !whole(merged.escalationIncidents) ||
    merged.mediumYesCount >= merged.highYesCount
  ) {
    throw new Error('Partnership setting risk: mediumYesCount < highYesCount and escalationIncidents must be positive whole numbers');
  }
  return merged;
}
