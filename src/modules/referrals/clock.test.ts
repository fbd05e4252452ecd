import { TZDate } from '@date-fns/tz';
import { describe, expect, it } from 'vitest';
import { isBankHoliday } from '../../lib/holidays.js';
import { deadline, isOpenAt, OFFICE_HOURS, type OpeningSlot } from './clock.js';

const WEEK = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
const ALWAYS: OpeningSlot[] = WEEK.map((day) => ({ day, opens: '00:00', closes: '24:00' }));
const noHolidays = () => false;
/** A Europe/London wall time, 'YYYY-MM-DDTHH:MM:SS'. */
const london = (local: string) => {
  const [y, m, d, h, min] = local.split(/[-T:]/).map(Number) as [number, number, number, number, number];
  return new Date(new TZDate(y, m - 1, d, h, min, 'Europe/London').getTime());
};
const inLondon = (date: Date) => date.toLocaleString('sv-SE', { timeZone: 'Europe/London' }).slice(0, 16);

describe('response clocks', () => {
  it('counts Friday 16:00 + 1 working day (9–17 weekdays) as Monday 16:00', () => {
    const due = deadline(london('2026-11-27T16:00:00'), { value: 1, unit: 'working_days' }, OFFICE_HOURS, isBankHoliday);
    expect(inLondon(due)).toBe('2026-11-30 16:00');
  });

  it('counts 4 working hours from Friday 16:00 into Monday morning', () => {
    const due = deadline(london('2026-11-27T16:00:00'), { value: 4, unit: 'working_hours' }, OFFICE_HOURS, isBankHoliday);
    expect(inLondon(due)).toBe('2026-11-30 12:00');
  });

  it('skips Christmas Day and the Boxing Day substitute day', () => {
    // Thursday 24 December 2026, 10:00 + 1 working day: 25th (Fri) and 28th (Mon, Boxing Day substitute) are holidays.
    const due = deadline(london('2026-12-24T10:00:00'), { value: 1, unit: 'working_days' }, OFFICE_HOURS, isBankHoliday);
    expect(inLondon(due)).toBe('2026-12-29 10:00');
    const hours = deadline(london('2026-12-24T15:00:00'), { value: 4, unit: 'working_hours' }, OFFICE_HOURS, isBankHoliday);
    expect(inLondon(hours)).toBe('2026-12-29 11:00');
  });

  it('skips Good Friday and Easter Monday', () => {
    // Thursday 2 April 2026, 12:00 + 2 working days → Wednesday 8 April 12:00 (3rd and 6th are holidays).
    const due = deadline(london('2026-04-02T12:00:00'), { value: 2, unit: 'working_days' }, OFFICE_HOURS, isBankHoliday);
    expect(inLondon(due)).toBe('2026-04-08 12:00');
  });

  it('counts a 24/7 service around the clock, holidays included', () => {
    const due = deadline(london('2026-11-27T16:00:00'), { value: 1, unit: 'working_days' }, ALWAYS, noHolidays);
    expect(inLondon(due)).toBe('2026-11-28 16:00');
    const hours = deadline(london('2026-11-27T22:30:00'), { value: 4, unit: 'working_hours' }, ALWAYS, noHolidays);
    expect(inLondon(hours)).toBe('2026-11-28 02:30');
  });

  it('starts the clock at the next opening for a referral made outside opening hours', () => {
    const saturday = london('2026-11-28T20:00:00');
    expect(inLondon(deadline(saturday, { value: 4, unit: 'working_hours' }, OFFICE_HOURS, isBankHoliday))).toBe('2026-11-30 13:00');
    expect(inLondon(deadline(saturday, { value: 1, unit: 'working_days' }, OFFICE_HOURS, isBankHoliday))).toBe('2026-12-01 09:00');
    const early = london('2026-11-30T07:15:00');
    expect(inLondon(deadline(early, { value: 4, unit: 'working_hours' }, OFFICE_HOURS, isBankHoliday))).toBe('2026-11-30 13:00');
  });

  it('keeps wall-clock time across the change to summer time', () => {
    // Friday 27 March 2026 10:00 GMT + 1 working day → Monday 30 March 10:00 BST.
    const due = deadline(london('2026-03-27T10:00:00'), { value: 1, unit: 'working_days' }, OFFICE_HOURS, isBankHoliday);
    expect(inLondon(due)).toBe('2026-03-30 10:00');
    expect(due.toISOString()).toBe('2026-03-30T09:00:00.000Z');
  });

  it('counts split opening hours (a lunch closure)', () => {
    const split: OpeningSlot[] = [
      { day: 'monday', opens: '09:00', closes: '12:00' },
      { day: 'monday', opens: '13:00', closes: '17:00' },
    ];
    expect(inLondon(deadline(london('2026-11-30T11:00:00'), { value: 2, unit: 'working_hours' }, split, noHolidays))).toBe('2026-11-30 14:00');
  });

  it('counts a service with no hours in office hours', () => {
    expect(inLondon(deadline(london('2026-11-27T16:00:00'), { value: 1, unit: 'working_days' }, [], isBankHoliday))).toBe('2026-11-30 16:00');
  });
});

describe('isOpenAt', () => {
  const hours = OFFICE_HOURS;
  it('is open inside the hours and closed outside, in London time', () => {
    expect(isOpenAt(new Date('2026-11-24T10:00:00Z'), hours, isBankHoliday)).toBe(true);
    expect(isOpenAt(new Date('2026-11-24T17:00:00Z'), hours, isBankHoliday)).toBe(false);
    // British Summer Time: 08:30 UTC is 09:30 in London.
    expect(isOpenAt(new Date('2026-06-16T08:30:00Z'), hours, isBankHoliday)).toBe(true);
    expect(isOpenAt(new Date('2026-11-28T12:00:00Z'), hours, isBankHoliday)).toBe(false); // a Saturday
  });
  it('is closed all day on a bank holiday (Christmas Day 2026, a Friday)', () => {
    expect(isOpenAt(new Date('2026-12-25T12:00:00Z'), hours, isBankHoliday)).toBe(false);
    expect(isOpenAt(new Date('2026-12-24T12:00:00Z'), hours, isBankHoliday)).toBe(true);
  });
});
