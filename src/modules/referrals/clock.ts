/**
 * Response clocks (SPEC §2 step 8): deadlines counted in a service's opening hours in
 * Europe/London, skipping bank holidays. Pure: the caller passes the start and the
 * holiday calendar.
 */
import { TZDate } from '@date-fns/tz';

export const ZONE = 'Europe/London';
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface OpeningSlot {
  day: Weekday;
  opens: string;
  /** 'HH:MM', or '24:00' for midnight at the end of the day. */
  closes: string;
}

export interface Target {
  value: number;
  unit: 'working_hours' | 'working_days';
}

/** A service with no opening hours (by appointment) is counted in office hours. */
export const OFFICE_HOURS: OpeningSlot[] = (['monday', 'tuesday', 'wednesday', 'thursday', 'friday'] as const).map((day) => ({
  day,
  opens: '09:00',
  closes: '17:00',
}));

interface Interval {
  start: number;
  end: number;
}

interface LocalDay {
  year: number;
  month: number;
  day: number;
}

const MAX_DAYS = 800;

function localDay(instant: number): LocalDay {
  const local = new TZDate(instant, ZONE);
  return { year: local.getFullYear(), month: local.getMonth(), day: local.getDate() };
}

/** Local wall-clock times to instants, remembered: the same few opening times recur every day. */
const instants = new Map<string, number>();

function at(day: LocalDay, time: string): number {
  const key = `${day.year}-${day.month}-${day.day} ${time}`;
  let instant = instants.get(key);
  if (instant === undefined) {
    const [hours, minutes] = time.split(':').map(Number) as [number, number];
    instant = new TZDate(day.year, day.month, day.day, hours, minutes, ZONE).getTime();
    if (instants.size >= 20_000) instants.clear();
    instants.set(key, instant);
  }
  return instant;
}

/** The calendar day `offset` days after `day`, and its weekday: calendar arithmetic needs no time zone. */
function dayAfter(day: LocalDay, offset: number): LocalDay & { weekday: Weekday } {
  const date = new Date(Date.UTC(day.year, day.month, day.day + offset));
  return { year: date.getUTCFullYear(), month: date.getUTCMonth(), day: date.getUTCDate(), weekday: WEEKDAYS[date.getUTCDay()]! };
}

function isoDate(day: LocalDay): string {
  return `${day.year}-${String(day.month + 1).padStart(2, '0')}-${String(day.day).padStart(2, '0')}`;
}

/** The open intervals of each local day from `from`'s day on (holidays closed), merged where they touch. */
function* openDays(from: number, slots: OpeningSlot[], isHoliday: (date: string) => boolean): Generator<Interval[]> {
  const first = localDay(from);
  for (let offset = 0; offset < MAX_DAYS; offset += 1) {
    const { weekday, ...day } = dayAfter(first, offset);
    if (isHoliday(isoDate(day))) {
      yield [];
      continue;
    }
    yield slots
      .filter((slot) => slot.day === weekday)
      .map((slot) => ({ start: at(day, slot.opens), end: slot.closes === '24:00' ? at(dayAfter(day, 1), '00:00') : at(day, slot.closes) }))
      .sort((a, b) => a.start - b.start);
  }
}

/** Adds working time to `start`, counted only while the service is open. */
export function deadline(start: Date, target: Target, slots: OpeningSlot[], isHoliday: (date: string) => boolean): Date {
  const hours = slots.length > 0 ? slots : OFFICE_HOURS;
  return target.unit === 'working_hours'
    ? addOpenMinutes(start.getTime(), target.value * 60, hours, isHoliday)
    : addOpenDays(start.getTime(), target.value, hours, isHoliday);
}

function addOpenMinutes(start: number, minutes: number, slots: OpeningSlot[], isHoliday: (date: string) => boolean): Date {
  let remaining = minutes * 60_000;
  for (const intervals of openDays(start, slots, isHoliday)) {
    for (const interval of intervals) {
      const from = Math.max(start, interval.start);
      if (from >= interval.end) continue;
      if (from + remaining <= interval.end) return new Date(from + remaining);
      remaining -= interval.end - from;
    }
  }
  throw new Error('The service is never open: no deadline can be counted');
}

/**
 * N working days on: the same time of day on the Nth open day after the first open moment
 * (Friday 16:00 + 1 working day is Monday 16:00 for a Monday–Friday service).
 */
function addOpenDays(start: number, days: number, slots: OpeningSlot[], isHoliday: (date: string) => boolean): Date {
  let firstOpen: number | undefined;
  let openDaysPassed = 0;
  for (const intervals of openDays(start, slots, isHoliday)) {
    if (intervals.length === 0) continue;
    if (firstOpen === undefined) {
      const current = intervals.find((i) => i.end > start);
      if (!current) continue;
      firstOpen = Math.max(start, current.start);
      continue;
    }
    openDaysPassed += 1;
    if (openDaysPassed < days) continue;
    const first = new TZDate(firstOpen, ZONE);
    const day = localDay(intervals[0]!.start);
    const sameTime = new TZDate(day.year, day.month, day.day, first.getHours(), first.getMinutes(), ZONE).getTime();
    // Inside that day's hours, or the nearest opening or closing time.
    const inside = intervals.find((i) => sameTime >= i.start && sameTime <= i.end);
    if (inside) return new Date(sameTime);
    const later = intervals.find((i) => i.start > sameTime);
    return new Date(later ? later.start : intervals[intervals.length - 1]!.end);
  }
  throw new Error('The service is never open: no deadline can be counted');
}

/** Whether the hours are open at `instant` (Europe/London), closed all day on bank holidays. */
export function isOpenAt(instant: Date, slots: OpeningSlot[], isHoliday: (date: string) => boolean): boolean {
  const day = localDay(instant.getTime());
  if (isHoliday(isoDate(day))) return false;
  const { weekday } = dayAfter(day, 0);
  return slots.some((slot) => {
    if (slot.day !== weekday) return false;
    const opens = at(day, slot.opens);
    const closes = slot.closes === '24:00' ? at(dayAfter(day, 1), '00:00') : at(day, slot.closes);
    return instant.getTime() >= opens && instant.getTime() < closes;
  });
}
