import { describe, expect, it } from 'vitest';
import { isRepeat, maracCriteria } from './criteria.js';

describe('MARAC criteria', () => {
  it('names each high-risk criterion an assessment met', () => {
    expect(maracCriteria([{ code: 'yes_count', level: 'high' }])).toEqual(['score']);
    expect(maracCriteria([{ code: 'yes_count', level: 'medium' }, { code: 'professional_judgement', level: 'high' }])).toEqual(['professional_judgement']);
    expect(maracCriteria([{ code: 'yes_count', level: 'standard' }, { code: 'escalation', level: 'high' }])).toEqual(['escalation']);
    expect(maracCriteria([{ code: 'yes_count', level: 'medium' }, { code: 'professional_judgement', level: 'medium' }])).toEqual([]);
    expect(maracCriteria([{ code: 'yes_count', level: 'high' }, { code: 'escalation', level: 'high' }])).toEqual(['score', 'escalation']);
  });

  it('counts a repeat up to and including the day 12 months on, and not a day later', () => {
    expect(isRepeat('2025-12-01', '2026-06-01')).toBe(true);
    expect(isRepeat('2025-12-01', '2026-12-01')).toBe(true);
    expect(isRepeat('2025-12-01', '2026-12-02')).toBe(false);
    expect(isRepeat('2024-02-29', '2025-02-28')).toBe(true);
    expect(isRepeat('2024-02-29', '2025-03-01')).toBe(false);
  });
});
