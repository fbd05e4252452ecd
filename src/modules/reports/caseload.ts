/**
 * Caseloads against SafeLives' recommended safe caseload for an IDVA: 60 to 70 victims a
 * year (configurable per partnership: settings.safeCaseload = { low, high }). A caseworker's
 * caseload is the people whose cases they held at any time in the last 12 months; a
 * service's is its caseworkers' mean. A service over the top of the range is flagged to the
 * SPOC coordinator and shown beside the service in pathway proposals.
 */
import { sql } from 'kysely';
import { forPurpose, type Tx } from '../../db/transaction.js';

export const DEFAULT_SAFE_CASELOAD = { low: 60, high: 70 };
/** The service kinds whose caseworkers are held to the safe caseload. */
export const CASELOAD_KINDS = ['idva'];

export interface SafeCaseload {
  low: number;
  high: number;
}

export async function safeCaseloadOf(tx: Tx, partnershipId: string): Promise<SafeCaseload> {
  const row = await tx.selectFrom('partnerships').select('settings').where('id', '=', partnershipId).executeTakeFirst();
  return safeCaseloadIn(row?.settings);
}

/** The safe caseload a partnership's settings give (the defaults where unset or unusable). */
function safeCaseloadIn(settings: unknown): SafeCaseload {
  const setting = (settings as { safeCaseload?: Partial<SafeCaseload> } | undefined)?.safeCaseload;
  const low = Number.isInteger(setting?.low) && setting!.low! > 0 ? setting!.low! : DEFAULT_SAFE_CASELOAD.low;
  const high = Number.isInteger(setting?.high) && setting!.high! >= low ? setting!.high! : Math.max(low, DEFAULT_SAFE_CASELOAD.high);
  return { low, high };
}

export interface CaseworkerLoad {
  userId: string;
  name: string;
  people: number;
  over: boolean;
}

/**
 * A case `k` held at any time in the last 12 months: open, or closed within them. Written so
 * that the `cases_caseload` index (0028_caseload_window.sql) reads just those cases under row
 * security: the cut-off is an init-plan, not `now() - interval` in the condition itself, which
 * is not leakproof and so could only filter rows after the policies had seen every case the
 * organisation ever held.
 */
const HELD_IN_LAST_12_MONTHS = sql`(k.closed_at is null or k.closed_at >= (select now() - interval '12 months'))`;

/** Each caseworker of an organisation with cases in the last 12 months, and how many people they supported. */
export async function caseworkerLoads(tx: Tx, organisationId: string, safe: SafeCaseload): Promise<CaseworkerLoad[]> {
  const { rows } = await sql<{ user_id: string; name: string; people: string }>`
    select u.id as user_id, u.name, count(distinct k.person_id) as people
      from cases k join users u on u.id = k.caseworker_id
     where k.organisation_id = ${organisationId} and k.caseworker_id is not null and ${HELD_IN_LAST_12_MONTHS}
     group by u.id, u.name
     order by count(distinct k.person_id) desc, u.name`.execute(tx);
  return rows.map((r) => ({ userId: r.user_id, name: r.name, people: Number(r.people), over: Number(r.people) > safe.high }));
}

export interface ServiceLoad {
  serviceId: string;
  serviceName: string;
  organisationId: string;
  caseworkers: number;
  people: number;
  perCaseworker: number;
  over: boolean;
}

/**
 * The partnership's safe caseload, and the caseload of each service held to it
 * (CASELOAD_KINDS), optionally of one organisation: read together, in one query.
 */
export async function serviceLoads(tx: Tx, partnershipId: string, organisationId?: string): Promise<{ safe: SafeCaseload; loads: ServiceLoad[] }> {
  // Every organisation's cases are counted, whoever asks: only counts come back (0021_row_security.sql).
  // From the partnership, so its settings come back even when it has no such service.
  const { rows } = await forPurpose(tx, 'caseload', () => sql<{ settings: unknown; service_id: string | null; service_name: string; organisation_id: string; caseworkers: string; people: string }>`
    select p.settings, s.id as service_id, s.name as service_name, s.organisation_id, held.caseworkers, held.people
      from partnerships p
      left join services s on s.partnership_id = p.id and s.kind in (${sql.join(CASELOAD_KINDS)}) and s.status = 'active'
       ${organisationId ? sql`and s.organisation_id = ${organisationId}` : sql``}
      left join lateral (
        -- each caseworker and person of the service's cases held in the last 12 months, once: one read of them
        select count(distinct pairs.caseworker_id) as caseworkers, count(*) as people
          from (select k.caseworker_id, k.person_id from cases k
                 where k.organisation_id = s.organisation_id and k.caseworker_id is not null and ${HELD_IN_LAST_12_MONTHS}
                 group by 1, 2) pairs) held on true
     where p.id = ${partnershipId}
     order by s.name`.execute(tx));
  const safe = safeCaseloadIn(rows[0]?.settings);
  const loads = rows
    .filter((r) => r.service_id !== null)
    .map((r) => {
      const caseworkers = Number(r.caseworkers);
      const people = Number(r.people);
      const perCaseworker = caseworkers > 0 ? Math.round(people / caseworkers) : 0;
      return { serviceId: r.service_id!, serviceName: r.service_name, organisationId: r.organisation_id, caseworkers, people, perCaseworker, over: perCaseworker > safe.high };
    });
  return { safe, loads };
}
