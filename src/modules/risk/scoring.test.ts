import { describe, expect, it } from 'vitest';
import { DASH_RIC, DASH_RIC_QUESTION_IDS } from './dash-ric.js';
import type { Answer } from './definition.js';
import { DEFAULT_THRESHOLDS, score, thresholdsFrom, type ScoringInput } from './scoring.js';

/** Answers with the first `yes` questions "yes", the next `dontKnow` "don't know", the rest "no". */
function answers(yes: number, dontKnow = 0): Record<string, Answer> {
  return Object.fromEntries(
    DASH_RIC_QUESTION_IDS.map((id, index) => [id, index < yes ? 'yes' : index < yes + dontKnow ? 'dont_know' : 'no']),
  );
}

function classify(input: Partial<ScoringInput> & { answers: Record<string, Answer> }) {
  return score(DASH_RIC, { policeCallouts12m: 0, otherIncidents12m: 0, ...input }, DEFAULT_THRESHOLDS);
}

describe('DASH RIC classification (SPEC §3)', () => {
  it('has 24 questions', () => {
    expect(DASH_RIC.questions).toHaveLength(24);
  });

  it.each([
    [0, 'standard'],
    [9, 'standard'],
    [10, 'medium'],
    [13, 'medium'],
    [14, 'high'],
    [24, 'high'],
  ] as const)('classifies %i yes answers as %s risk', (yes, level) => {
    const result = classify({ answers: answers(yes) });
    expect(result.yesCount).toBe(yes);
    expect(result.level).toBe(level);
    expect(result.reasons[0]).toMatchObject({ code: 'yes_count', level });
  });

  it('never counts "don\'t know" as yes', () => {
    const result = classify({ answers: answers(9, 15) });
    expect(result.yesCount).toBe(9);
    expect(result.dontKnowCount).toBe(15);
    expect(result.level).toBe('standard');
  });

  it('lets professional judgement alone make the risk high', () => {
    const result = classify({ answers: answers(2), judgement: { level: 'high', reason: 'Recent strangulation' } });
    expect(result.scoreLevel).toBe('standard');
    expect(result.level).toBe('high');
    expect(result.reasons.map((r) => r.code)).toContain('professional_judgement');
  });

  it('lets professional judgement raise standard to medium', () => {
    expect(classify({ answers: answers(5), judgement: { level: 'medium', reason: 'x' } }).level).toBe('medium');
  });

  it('does not let a lower professional judgement lower the level', () => {
    const result = classify({ answers: answers(14), judgement: { level: 'standard', reason: 'Feels safer now' } });
    expect(result.level).toBe('high');
    expect(result.reasons.map((r) => r.code)).toContain('judgement_cannot_lower');
    expect(result.reasons.map((r) => r.code)).not.toContain('professional_judgement');
  });

  it('treats 2 police call-outs in 12 months as no escalation', () => {
    const result = classify({ answers: answers(3), policeCallouts12m: 2 });
    expect(result.level).toBe('standard');
    expect(result.reasons.map((r) => r.code)).not.toContain('escalation');
  });

  it('treats 3 police call-outs in 12 months as potential escalation: high', () => {
    const result = classify({ answers: answers(3), policeCallouts12m: 3 });
    expect(result.level).toBe('high');
    expect(result.reasons.map((r) => r.code)).toContain('escalation');
  });

  it('counts other incidents, not only police call-outs, towards escalation', () => {
    expect(classify({ answers: answers(0), policeCallouts12m: 1, otherIncidents12m: 2 }).level).toBe('high');
    expect(classify({ answers: answers(0), policeCallouts12m: 1, otherIncidents12m: 1 }).level).toBe('standard');
  });

  it('uses the partnership thresholds, not fixed numbers', () => {
    const thresholds = thresholdsFrom({ risk: { highYesCount: 17, mediumYesCount: 14 } });
    const input = { answers: answers(16), policeCallouts12m: 0, otherIncidents12m: 0 };
    expect(score(DASH_RIC, input, thresholds).level).toBe('medium');
    expect(score(DASH_RIC, { ...input, answers: answers(17) }, thresholds).level).toBe('high');
  });

  it('refuses thresholds that make no sense', () => {
    expect(() => thresholdsFrom({ risk: { highYesCount: 5, mediumYesCount: 10 } })).toThrow(/mediumYesCount/);
  });
});

describe('risk prompts (SPEC §3)', () => {
  const none = answers(0);
  const withYes = (...ids: string[]): Record<string, Answer> => ({ ...none, ...Object.fromEntries(ids.map((id) => [id, 'yes'])) });

  it('prompts on strangulation even at a low score', () => {
    const result = classify({ answers: withYes('q15') });
    expect(result.level).toBe('standard');
    expect(result.prompts.map((p) => p.id)).toContain('strangulation');
  });

  it('prompts on threats to kill and on stalking', () => {
    expect(classify({ answers: withYes('q14') }).prompts.map((p) => p.id)).toEqual(['threats_to_kill']);
    expect(classify({ answers: withYes('q08') }).prompts.map((p) => p.id)).toEqual(['stalking']);
  });

  it('prompts on separation with control and violence together, not on two of them', () => {
    expect(classify({ answers: withYes('q06', 'q12', 'q01') }).prompts.map((p) => p.id)).toEqual([
      'separation_control_violence',
    ]);
    expect(classify({ answers: withYes('q06', 'q12', 'q16') }).prompts[0]?.questionIds).toEqual(['q06', 'q12', 'q16']);
    expect(classify({ answers: withYes('q06', 'q12') }).prompts).toEqual([]);
    expect(classify({ answers: withYes('q06', 'q01') }).prompts).toEqual([]);
  });

  it('never prompts on "don\'t know"', () => {
    expect(classify({ answers: { ...none, q15: 'dont_know', q14: 'dont_know' } }).prompts).toEqual([]);
  });
});
