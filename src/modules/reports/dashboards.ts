/**
 * Dashboards (issue 11): what each manager looks at first. The SPOC manager: today's
 * contacts and calls, the queues, clocks near breach, this month's response times, and
 * services over their safe caseload. A provider manager: their own organisation only —
 * referrals, acceptance, capacity and each caseworker's caseload. A commissioner: the
 * partnership's aggregates for the quarter, suppressed like every report that leaves a
 * provider's own view.
 */
import { sql } from 'kysely';
import type { Tx } from '../../db/transaction.js';
import { londonToday } from '../../lib/dates.js';
import { can, requirePermission, type Actor } from '../access/actor.js';
import { audit } from '../access/audit.js';
import { nearBreach } from '../referrals/store.js';
import { caseworkerLoads, safeCaseloadOf, serviceLoads } from './caseload.js';
import * as measures from './measures.js';
import { periodContaining } from './periods.js';
import { report } from './service.js';

/** Which dashboard a person gets, by what their role may see. */
export function dashboardKind(actor: Actor): 'spoc' | 'provider' | 'commissioner' | null {
  if (!can(actor, 'report:read')) return null;
  if (can(actor, 'escalation:read')) return 'spoc';
  if (can(actor, 'report:own')) return 'provider';
  return 'commissioner';
}

export async function spocDashboard(tx: Tx, actor: Actor) {
  requirePermission(actor, 'escalation:read');
  requirePermission(actor, 'report:read');
  await measures.forReports(tx);
  const today = londonToday();
  const todayScope: measures.Scope = { partnershipId: actor.partnershipId, from: today, to: today };
  const month = periodContaining('month', today);
  const [{ byChannel: channels }, calls, queues, performance] = [
    await measures.contacts(tx, todayScope),
    await measures.calls(tx, todayScope),
    await sql<{ triage: string; reroute: string; escalations: string; near: string; callbacks: string }>`
      select (select count(*) from contacts c where c.partnership_id = ${actor.partnershipId} and c.status = 'open' and c.channel in ('web_self_referral', 'professional_referral')) as triage,
             (select count(*) from referrals r where r.partnership_id = ${actor.partnershipId} and r.state in ('declined', 'redirected') and r.rerouted_at is null) as reroute,
             (select count(*) from escalations x where x.partnership_id = ${actor.partnershipId} and x.raised_at >= now() - interval '7 days') as escalations,
             (select count(*) from referrals r where r.partnership_id = ${actor.partnershipId} and ${nearBreach}) as near,
             (select count(*) from calls k where k.partnership_id = ${actor.partnershipId} and k.outcome = 'callback_requested'
                and not exists (select 1 from contacts c where c.id = k.contact_id and c.status <> 'open')) as callbacks`.execute(tx),
    await sql<{ risk_level: string; sent: string; acknowledged_on_time: string; acknowledge_due: string; first_on_time: string; first_due: string }>`
      select r.risk_level, count(*) as sent,
             count(*) filter (where r.acknowledged_at <= r.acknowledge_due_at) as acknowledged_on_time,
             count(*) filter (where r.acknowledged_at is not null or r.acknowledge_due_at < now()) as acknowledge_due,
             count(*) filter (where r.first_contact_at <= r.first_contact_due_at) as first_on_time,
             count(*) filter (where r.first_contact_at is not null or r.first_contact_due_at < now()) as first_due
        from referrals r
       where r.partnership_id = ${actor.partnershipId}
         and r.created_at >= (${month.from}::date::timestamp at time zone 'Europe/London')
         and r.created_at < ((${month.to}::date + 1)::timestamp at time zone 'Europe/London')
       group by r.risk_level`.execute(tx),
  ];
  const { safe, loads } = await serviceLoads(tx, actor.partnershipId);
  const q = queues.rows[0]!;
  const pct = (part: string, whole: string) => (Number(whole) > 0 ? Math.round((Number(part) / Number(whole)) * 100) : null);
  await audit(tx, actor, { action: 'dashboard.view', details: { dashboard: 'spoc' } });
  return {
    today,
    month,
    contactsToday: channels.reduce((a, c) => a + c.n, 0),
    contactsByChannel: [...channels.reduce((m, c) => m.set(c.channel, (m.get(c.channel) ?? 0) + c.n), new Map<string, number>())].map(([key, n]) => ({ key, n })),
    calls,
    queues: { triage: Number(q.triage), reroute: Number(q.reroute), escalations: Number(q.escalations), nearBreach: Number(q.near), callbacks: Number(q.callbacks) },
    performance: ['high', 'medium', 'standard'].map((level) => {
      const row = performance.rows.find((r) => r.risk_level === level);
      return {
        riskLevel: level,
        sent: Number(row?.sent ?? 0),
        acknowledgedOnTime: row ? pct(row.acknowledged_on_time, row.acknowledge_due) : null,
        firstContactOnTime: row ? pct(row.first_on_time, row.first_due) : null,
      };
    }),
    safeCaseload: safe,
    overCaseload: loads.filter((l) => l.over),
  };
}

export async function providerDashboard(tx: Tx, actor: Actor) {
  requirePermission(actor, 'report:own');
  await measures.forReports(tx);
  const today = londonToday();
  const month = periodContaining('month', today);
  const scope: measures.Scope = { partnershipId: actor.partnershipId, from: month.from, to: month.to, organisationId: actor.organisationId };
  const decisions = await measures.referralDecisions(tx, scope);
  const inbox = await tx
    .selectFrom('referrals')
    .select(['state', (eb) => eb.fn.countAll<string>().as('n')])
    .where('organisation_id', '=', actor.organisationId)
    .where('state', 'in', ['sent', 'acknowledged', 'accepted', 'first_contact_attempted', 'engaged'])
    .groupBy('state')
    .execute();
  const services = await tx
    .selectFrom('services')
    .select(['id', 'name', 'kind', 'capacity_status', 'vacancies'])
    .where('organisation_id', '=', actor.organisationId)
    .where('status', '=', 'active')
    .orderBy('name')
    .execute();
  const safe = await safeCaseloadOf(tx, actor.partnershipId);
  const count = (key: string) => decisions.decisions.find((d) => d.key === key)?.n ?? 0;
  const decided = count('accepted') + count('declined') + count('redirected');
  await audit(tx, actor, { action: 'dashboard.view', details: { dashboard: 'provider' } });
  return {
    month,
    referralsThisMonth: decisions.decisions.reduce((a, d) => a + d.n, 0),
    decisions: decisions.decisions,
    declineReasons: decisions.declineReasons,
    acceptanceRate: decided > 0 ? Math.round((count('accepted') / decided) * 100) : null,
    inbox: Object.fromEntries(inbox.map((r) => [r.state, Number(r.n)])) as Record<string, number>,
    services: services.map((s) => ({
      id: s.id,
      name: s.name,
      kind: s.kind,
      capacityStatus: s.capacity_status,
      vacancies: ((s.vacancies as unknown as Array<{ unitType: string; available: number }>) ?? []).reduce((a, v) => a + (v.available ?? 0), 0),
      hasVacancies: ((s.vacancies as unknown as unknown[]) ?? []).length > 0,
    })),
    safeCaseload: safe,
    caseworkers: await caseworkerLoads(tx, actor.organisationId, safe),
    serviceLoads: (await serviceLoads(tx, actor.partnershipId, actor.organisationId)).loads,
  };
}

/** The commissioner's quarter at a glance: the quarter's report (suppressed), its headline tables. */
export async function commissionerDashboard(tx: Tx, actor: Actor) {
  requirePermission(actor, 'report:partnership');
  const quarter = await report(tx, actor, { period: 'quarter' }, { audit: 'dashboard.view' });
  const pick = (id: string) => quarter.tables.find((t) => t.id === id)!;
  return { period: quarter.period, suppressed: quarter.suppressed, tables: ['risk', 'decisions', 'marac', 'repeat-victims', 'contact-to-referral'].map(pick) };
}
