import { describe, expect, it } from 'vitest';
import { Invalid } from '../../lib/errors.js';
import { cutoffsAt, DEFAULT_RETENTION, retentionRules, ruleErrors } from './rules.js';

describe('retention rules', () => {
  it('keeps people six years after their last activity unless the partnership says otherwise', () => {
    expect(retentionRules({})).toEqual({ peopleYears: 6, unlinkedContactYears: 6, requestAnswerDays: 30 });
    expect(retentionRules({ retention: { peopleYears: 7 }, safeCaseload: 60 })).toEqual({ ...DEFAULT_RETENTION, peopleYears: 7 });
  });

  it('names every bad setting and refuses it', () => {
    expect(ruleErrors({ peopleYears: 0, unlinkedContactYears: 2.5, requestAnswerDays: '30', forever: true })).toEqual([
      { field: '/settings/retention/peopleYears', message: 'must be a whole number of years from 1 to 100' },
      { field: '/settings/retention/unlinkedContactYears', message: 'must be a whole number of years from 1 to 100' },
      { field: '/settings/retention/requestAnswerDays', message: 'must be a whole number of days from 1 to 3650' },
      { field: '/settings/retention/forever', message: 'is not a retention rule (peopleYears, unlinkedContactYears, requestAnswerDays)' },
    ]);
    expect(ruleErrors([])).toEqual([{ field: '/settings/retention', message: 'must be an object' }]);
    expect(() => retentionRules({ retention: { peopleYears: -1 } })).toThrow(Invalid);
  });

  it('counts calendar years back from now, 29 February to 28 February', () => {
    const cutoffs = cutoffsAt(new Date('2032-02-29T10:00:00Z'), { peopleYears: 6, unlinkedContactYears: 3, requestAnswerDays: 30 });
    expect(cutoffs.people.toISOString()).toBe('2026-02-28T10:00:00.000Z');
    expect(cutoffs.unlinkedContacts.toISOString()).toBe('2029-02-28T10:00:00.000Z');
    expect(cutoffs.requestAnswers.toISOString()).toBe('2032-01-30T10:00:00.000Z');
  });
});
