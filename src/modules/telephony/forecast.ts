/**
 * The staffing forecast: hourly arrival rates from the call records of a period (by
 * weekday and hour, Europe/London), and the handlers each hour needs (Erlang C).
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/types.js';
import { handlersNeeded } from './erlang.js';

export const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

export interface ForecastOptions {
  from: string;
  to: string;
  /** Average handling time; by default measured from answered calls (or 10 minutes without any). */
  handleSeconds?: number;
  targetSeconds: number;
  serviceLevel: number;
  /**
   * The share of callers expected to hang up before answer (0–1), taken off the load to
   * staff for. 0 by default: plan to answer everyone. The period's measured share is reported.
   */
  abandonment?: number;
}

export interface ForecastCell {
  weekday: number;
  hour: number;
  callsPerHour: number;
  handlers: number;
}

/** How many times each ISO weekday (1 = Monday) occurs in the period, both ends included. */
function weekdayCounts(from: string, to: string): number[] {
  const counts = [0, 0, 0, 0, 0, 0, 0];
  for (let day = new Date(`${from}T12:00:00Z`); day <= new Date(`${to}T12:00:00Z`); day = new Date(day.getTime() + 86_400_000)) {
    counts[(day.getUTCDay() + 6) % 7]! += 1;
  }
  return counts;
}

export async function forecast(db: Kysely<DB>, partnershipId: string, options: ForecastOptions) {
  const start = sql<Date>`(${options.from}::date::timestamp at time zone 'Europe/London')`;
  const end = sql<Date>`((${options.to}::date + 1)::timestamp at time zone 'Europe/London')`;
  const rows = await db
    .selectFrom('calls')
    .select([
      sql<number>`extract(isodow from started_at at time zone 'Europe/London')::int`.as('weekday'),
      sql<number>`extract(hour from started_at at time zone 'Europe/London')::int`.as('hour'),
      sql<number>`count(*)::int`.as('calls'),
    ])
    .where('partnership_id', '=', partnershipId)
    .where('started_at', '>=', start)
    .where('started_at', '<', end)
    .groupBy([sql`1`, sql`2`])
    .execute();
  const measured = await db
    .selectFrom('calls')
    .select(sql<number | null>`avg(extract(epoch from ended_at - answered_at))`.as('seconds'))
    .where('partnership_id', '=', partnershipId)
    .where('answered_at', 'is not', null)
    .where('ended_at', 'is not', null)
    .where('started_at', '>=', start)
    .where('started_at', '<', end)
    .executeTakeFirst();
  const handleSeconds = options.handleSeconds ?? (measured?.seconds ? Math.round(Number(measured.seconds)) : 600);
  const outcomes = await db
    .selectFrom('calls')
    .select([sql<number>`count(*)::int`.as('total'), sql<number>`count(*) filter (where outcome = 'abandoned')::int`.as('abandoned')])
    .where('partnership_id', '=', partnershipId)
    .where('started_at', '>=', start)
    .where('started_at', '<', end)
    .executeTakeFirstOrThrow();
  const measuredAbandonment = Number(outcomes.total) > 0 ? Number(outcomes.abandoned) / Number(outcomes.total) : 0;
  const kept = 1 - (options.abandonment ?? 0);
  const days = weekdayCounts(options.from, options.to);
  const counts = new Map(rows.map((r) => [`${r.weekday}-${r.hour}`, Number(r.calls)]));
  const cells: ForecastCell[] = [];
  for (let weekday = 1; weekday <= 7; weekday += 1) {
    for (let hour = 0; hour < 24; hour += 1) {
      const occurrences = days[weekday - 1]!;
      const callsPerHour = occurrences > 0 ? (counts.get(`${weekday}-${hour}`) ?? 0) / occurrences : 0;
      const { handlers } = handlersNeeded({ callsPerHour: callsPerHour * kept, handleSeconds, targetSeconds: options.targetSeconds, serviceLevel: options.serviceLevel });
      cells.push({ weekday, hour, callsPerHour, handlers });
    }
  }
  return { handleSeconds, measuredAbandonment, totalCalls: rows.reduce((sum, r) => sum + Number(r.calls), 0), cells };
}
