/**
 * Reports (issue 11; SPEC §7): the measures of a period as tables, the same tables for the
 * pages, the API, CSV and charts. A provider manager sees their own organisation's figures
 * exactly; anything wider (the partnership's, another organisation's, every commissioner's
 * view) leaves a provider's own view and is suppressed: counts from 1 to 4 show as "<5",
 * with secondary suppression so totals cannot reveal them (suppression.ts).
 */
import { sql } from 'kysely';
import type { Beside } from '../../db/connect.js';
import type { Tx } from '../../db/transaction.js';
import { toCsv } from '../../lib/csv.js';
import { londonToday } from '../../lib/dates.js';
import { Forbidden, Invalid, NotFound } from '../../lib/errors.js';
import { CALLER_TYPE_ITEMS, CASE_CLOSURE_ITEMS, CHANNEL_ITEMS, DECLINE_ITEMS, LEVEL_LABELS, words } from '../../web/labels.js';
import { can, requirePermission, type Actor } from '../access/actor.js';
import { audit } from '../access/audit.js';
import { AGE_BANDS, EQUALITY_KEYS, EQUALITY_QUESTIONS } from '../cases/equality.js';
import { CALLER_TYPES, CHANNELS } from '../contacts/schema.js';
import { RISK_LEVELS } from '../risk/scoring.js';
import * as measures from './measures.js';
import { daysIn, periodContaining, quarterName, type Period } from './periods.js';
import type { Report, ReportQuery, ReportTable } from './schema.js';
import { isSmall, suppressTable } from './suppression.js';

type Unit = ReportTable['columns'][number]['unit'];
type Labelled = { key: string; label: string };

/**
 * A table as measured, before suppression. `additive` tables are counts that add up: they
 * get a total row (and a total column when there are several) and secondary suppression.
 * Other tables are rows of figures: each count alone is suppressed when small, and the
 * figures beside a small count (a median, a rate) are not shown.
 */
interface Measured {
  id: string;
  title: string;
  note?: string;
  rowHeader: string;
  columns: { key: string; label: string; unit: Unit }[];
  rows: { key: string; label: string; values: (number | null)[] }[];
  additive: boolean;
}

const MAX_CUSTOM_DAYS = 3 * 366;
const level = (key: string) => (key === 'not_assessed' ? 'Not assessed' : (LEVEL_LABELS[key] ?? words(key)));
const LEVELS: Labelled[] = RISK_LEVELS.map((key) => ({ key, label: level(key) }));

/** Rows in a fixed order (so a zero still shows), then any other keys found. */
function keyed(order: Labelled[], found: { key: string; n: number }[]): { key: string; label: string; values: number[] }[] {
  const counts = new Map(found.map((f) => [f.key, f.n]));
  const extra = found.filter((f) => !order.some((o) => o.key === f.key)).map((f) => ({ key: f.key, label: words(f.key) }));
  return [...order, ...extra].map((o) => ({ key: o.key, label: o.label, values: [counts.get(o.key) ?? 0] }));
}

function countsTable(id: string, title: string, rowHeader: string, column: string, order: Labelled[], found: { key: string; n: number }[], note?: string): Measured {
  return { id, title, rowHeader, columns: [{ key: 'n', label: column, unit: 'count' }], rows: keyed(order, found), additive: true, ...(note ? { note } : {}) };
}

/** One row of a whole, the part of it that repeats, and the rate (MARAC repeats, repeat victims). */
function rateTable(id: string, title: string, note: string, rowHeader: string, row: { key: string; label: string }, whole: { key: string; label: string; n: number }, part: { label: string; n: number }): Measured {
  return {
    id,
    title,
    note,
    rowHeader,
    columns: [
      { key: whole.key, label: whole.label, unit: 'count' },
      { key: 'repeats', label: part.label, unit: 'count' },
      { key: 'rate', label: 'Repeat rate (%)', unit: 'percent' },
    ],
    rows: [{ ...row, values: [whole.n, part.n, percent(part.n, whole.n)] }],
    additive: false,
  };
}

const itemsAsLabels = (items: { value: string; text: string }[]): Labelled[] => items.map((i) => ({ key: i.value, label: i.text }));
const round1 = (n: number | null) => (n === null ? null : Math.round(n * 10) / 10);
const percent = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1000) / 10 : null);

/** Resolves the period a query asks for. */
export function periodOf(query: ReportQuery, today = londonToday()): Period {
  const kind = query.period ?? (query.from || query.to ? 'custom' : 'quarter');
  if (kind !== 'custom') {
    if (query.from || query.to) throw Invalid.field(query.from ? 'query/from' : 'query/to', 'is only for a custom period', 400);
    return periodContaining(kind, query.date ?? today);
  }
  if (query.date) throw Invalid.field('query/date', 'is not for a custom period: give from and to', 400);
  if (!query.from) throw Invalid.field('query/from', 'is required for a custom period', 400);
  if (!query.to) throw Invalid.field('query/to', 'is required for a custom period', 400);
  if (query.to < query.from) throw Invalid.field('query/to', 'must not be before from', 400);
  if (daysIn({ from: query.from, to: query.to }) > MAX_CUSTOM_DAYS) throw Invalid.field('query/to', `must be within ${MAX_CUSTOM_DAYS} days of from`, 400);
  return { kind, from: query.from, to: query.to };
}

/** Who sees what: the organisation a report is narrowed to, and whether it is suppressed. */
async function scopeFor(tx: Tx, actor: Actor, query: ReportQuery) {
  requirePermission(actor, 'report:read');
  const partnership = can(actor, 'report:partnership');
  if (!partnership && !can(actor, 'report:own')) throw new Forbidden('Your role does not allow reports');
  let organisationId = query.organisationId;
  if (!partnership) {
    if (organisationId && organisationId !== actor.organisationId) throw new Forbidden("You may see your own organisation's figures only");
    organisationId = actor.organisationId;
  }
  const organisation = organisationId
    ? await tx.selectFrom('organisations').select(['id', 'name']).where('id', '=', organisationId).where('partnership_id', '=', actor.partnershipId).executeTakeFirst()
    : undefined;
  if (organisationId && !organisation) throw new NotFound('The organisation');
  const service = query.serviceId
    ? await tx.selectFrom('services').select(['id', 'name', 'organisation_id']).where('id', '=', query.serviceId).where('partnership_id', '=', actor.partnershipId).executeTakeFirst()
    : undefined;
  if (query.serviceId && !service) throw new NotFound('The service');
  if (!partnership && service && service.organisation_id !== actor.organisationId) throw new Forbidden("You may see your own organisation's figures only");
  const own = organisationId === actor.organisationId && can(actor, 'report:own');
  return { organisation, service, own };
}

/** The report of a period: every measure of SPEC §7 as a table, suppressed unless it is the reader's own organisation's. */
export interface ReportOptions {
  /** The audit action (report.view unless said). */
  audit?: string;
  /** Runs the measures at once on other connections seeing the same data (Database.beside; PostgreSQL). */
  beside?: Beside | undefined;
}

export async function report(tx: Tx, actor: Actor, query: ReportQuery, options: ReportOptions = {}): Promise<Report> {
  const period = periodOf(query);
  const { organisation, service, own } = await scopeFor(tx, actor, query);
  const scope: measures.Scope = {
    partnershipId: actor.partnershipId,
    from: period.from,
    to: period.to,
    organisationId: organisation?.id,
    serviceId: service?.id,
    channel: query.channel,
    callerType: query.callerType,
    riskLevel: query.riskLevel,
  };
  const measured = await measureAll(tx, actor, scope, options.beside);
  const filters = {
    ...(organisation ? { organisationId: organisation.id, organisationName: organisation.name } : {}),
    ...(service ? { serviceId: service.id, serviceName: service.name } : {}),
    ...(query.channel ? { channel: query.channel } : {}),
    ...(query.callerType ? { callerType: query.callerType } : {}),
    ...(query.riskLevel ? { riskLevel: query.riskLevel } : {}),
  };
  await audit(tx, actor, { action: options.audit ?? 'report.view', details: { period: { from: period.from, to: period.to }, filters: Object.keys(filters).filter((k) => !k.endsWith('Name')), suppressed: !own } });
  return {
    period: { ...period, name: periodName(period) },
    filters,
    suppressed: !own,
    generatedAt: new Date().toISOString(),
    tables: measured.map((table) => (own ? unsuppressed(table) : suppressed(table))),
  };
}

export function periodName(period: Period): string {
  const long = (iso: string) => new Date(`${iso}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  const span = `${long(period.from)} to ${long(period.to)}`;
  return period.kind === 'quarter' ? `${quarterName(period.from)} (${span})` : span;
}

/**
 * Counts a period's measures as the report reader: in the report's own transaction, one
 * after another, or (given `beside`) at once on other connections that see what it sees.
 */
async function countAll(tx: Tx, actor: Actor, scope: measures.Scope, beside: Beside | undefined) {
  if (!beside) return measures.asReportReader(tx, (reader) => measures.measureAll((measure) => measure(reader), scope));
  const { rows } = await sql<{ snapshot: string }>`select pg_export_snapshot() as snapshot`.execute(tx);
  const snapshot = rows[0]!.snapshot;
  return measures.measureAll(
    (measure) =>
      beside(snapshot, async (other) => {
        await measures.forReports(other, actor);
        return measures.asReportReader(other, measure);
      }),
    scope,
  );
}

async function measureAll(tx: Tx, actor: Actor, scope: measures.Scope, beside?: Beside): Promise<Measured[]> {
  await measures.forReports(tx);
  const { byChannel, risk, calls, toReferral, toFirstContact, decisions, breaches, marac, repeats, outcomes, equality } = await countAll(tx, actor, scope, beside);
  const tables: Measured[] = [];

  const callerTypes = itemsAsLabels(CALLER_TYPE_ITEMS).filter((c) => (CALLER_TYPES as readonly string[]).includes(c.key));
  const channels = itemsAsLabels(CHANNEL_ITEMS).filter((c) => (CHANNELS as readonly string[]).includes(c.key));
  tables.push({
    id: 'contacts',
    title: 'Contacts by channel and caller type',
    rowHeader: 'Channel',
    columns: callerTypes.map((c) => ({ key: c.key, label: c.label, unit: 'count' as const })),
    rows: channels.map((ch) => ({ key: ch.key, label: ch.label, values: callerTypes.map((ct) => byChannel.find((b) => b.channel === ch.key && b.callerType === ct.key)?.n ?? 0) })),
    additive: true,
  });
  tables.push(
    countsTable('calls', 'Calls to the number by outcome', 'Outcome', 'Calls', [
      { key: 'answered', label: 'Answered by a call handler' },
      { key: 'abandoned', label: 'Caller hung up before an answer' },
      { key: 'callback_requested', label: 'Asked for a safe call-back' },
      { key: 'forwarded', label: 'Forwarded to the helpline' },
      { key: 'unfinished', label: 'Still in progress or not recorded' },
    ], calls.byOutcome),
  );
  const answered = calls.byOutcome.find((o) => o.key === 'answered')!.n;
  tables.push({
    id: 'answer-times',
    title: 'Time to answer',
    note: 'From the call reaching spoc to a call handler answering.',
    rowHeader: 'Calls',
    columns: [
      { key: 'answered', label: 'Answered', unit: 'count' },
      { key: 'median', label: 'Median (seconds)', unit: 'seconds' },
      { key: 'p90', label: '90th percentile (seconds)', unit: 'seconds' },
      { key: 'within60', label: 'Answered within 60 seconds (%)', unit: 'percent' },
    ],
    rows: [{ key: 'answered', label: 'Answered calls', values: [answered, round1(calls.answerSeconds.median), round1(calls.answerSeconds.p90), percent(calls.answerSeconds.within60, answered)] }],
    additive: false,
  });
  const timing = (id: string, title: string, note: string, found: measures.Timing[], waiting?: Map<string, number>): Measured => ({
    id,
    title,
    note,
    rowHeader: 'Risk level',
    columns: [
      { key: 'n', label: 'Referrals', unit: 'count' },
      { key: 'median', label: 'Median (hours)', unit: 'hours' },
      { key: 'p90', label: '90th percentile (hours)', unit: 'hours' },
      ...(waiting ? [{ key: 'waiting', label: 'Still waiting', unit: 'count' as const }] : []),
    ],
    rows: LEVELS.map((l) => {
      const t = found.find((f) => f.key === l.key);
      return { key: l.key, label: l.label, values: [t?.n ?? 0, round1(t?.medianHours ?? null), round1(t?.p90Hours ?? null), ...(waiting ? [waiting.get(l.key) ?? 0] : [])] };
    }),
    additive: false,
  });
  tables.push(timing('contact-to-referral', 'Time from contact to referral', "Each contact's first referral sent in the period; elapsed hours, by the referral's risk level.", toReferral));
  tables.push(
    timing(
      'referral-to-first-contact',
      'Time from referral to first contact attempt',
      'Referrals sent in the period that a service has tried to contact the person about; elapsed hours, by risk level. "Still waiting": no attempt yet.',
      toFirstContact,
      new Map(toFirstContact.map((t) => [t.key, t.waiting])),
    ),
  );
  tables.push(
    countsTable('decisions', "Referrals by the service's decision", 'Decision', 'Referrals', [
      { key: 'accepted', label: 'Accepted' },
      { key: 'declined', label: 'Declined' },
      { key: 'redirected', label: 'Redirected to another service' },
      { key: 'withdrawn', label: 'Withdrawn before a decision' },
      { key: 'awaiting', label: 'Not decided yet' },
    ], decisions.decisions, 'Referrals sent in the period, by the first decision the receiving service made.'),
  );
  tables.push(countsTable('decline-reasons', 'Decline reasons', 'Reason', 'Declines', itemsAsLabels(DECLINE_ITEMS), decisions.declineReasons));
  tables.push({
    id: 'clock-breaches',
    title: 'Response clocks breached',
    note: `Escalations raised for the ${breaches.referrals.toLocaleString('en-GB')} referrals sent in the period, by clock and risk level.`,
    rowHeader: 'Clock',
    columns: LEVELS.map((l) => ({ key: l.key, label: l.label, unit: 'count' as const })),
    rows: [
      { key: 'acknowledge', label: 'Acknowledge' },
      { key: 'first_contact', label: 'First contact attempt' },
    ].map((clock) => ({ ...clock, values: LEVELS.map((l) => breaches.breaches.find((b) => b.clock === clock.key && b.riskLevel === l.key)?.n ?? 0) })),
    additive: true,
  });
  tables.push(countsTable('risk', 'Risk at contact', 'Risk level', 'Contacts', [...LEVELS, { key: 'not_assessed', label: 'Not assessed' }], risk, 'Contacts received in the period, by the level of their latest risk assessment.'));
  tables.push(
    rateTable('marac', 'MARAC referrals and repeats', 'A repeat is a referral of someone last referred within the 12 months before (SafeLives).', 'MARAC', { key: 'marac', label: 'Referrals to MARAC' }, { key: 'referrals', label: 'Referrals', n: marac.referrals }, { label: 'Repeats', n: marac.repeats }),
  );
  tables.push(
    rateTable(
      'repeat-victims',
      'Repeat victims',
      `People who made contact in the period; a repeat victim had also made contact in the 12 months before.${repeats.contactsNotLinked ? ` ${repeats.contactsNotLinked.toLocaleString('en-GB')} contacts not yet linked to a person are not counted.` : ''}`,
      'People',
      { key: 'people', label: 'People making contact' },
      { key: 'people', label: 'People', n: repeats.people },
      { label: 'Repeat victims', n: repeats.repeats },
    ),
  );
  tables.push(countsTable('closures', 'Cases closed, by reason', 'Reason', 'Cases', itemsAsLabels(CASE_CLOSURE_ITEMS), outcomes.closureReasons));
  tables.push({
    id: 'outcomes',
    title: 'Outcomes at exit',
    note: 'Cases closed in the period with outcome measures at intake and at exit (the latest of each). Scores from 1 to 10; abuse counted by how often each kind happened.',
    rowHeader: 'Measure',
    columns: [
      { key: 'cases', label: 'Cases measured', unit: 'count' },
      { key: 'intake', label: 'Mean at intake', unit: 'score' },
      { key: 'exit', label: 'Mean at exit', unit: 'score' },
    ],
    rows: [
      { key: 'feeling_safe', label: 'Feeling safe', values: [outcomes.measured, round1(outcomes.feelingSafe.intake), round1(outcomes.feelingSafe.exit)] },
      { key: 'wellbeing', label: 'Wellbeing', values: [outcomes.measured, round1(outcomes.wellbeing.intake), round1(outcomes.wellbeing.exit)] },
    ],
    additive: false,
  });
  tables.push({
    id: 'outcome-changes',
    title: 'Change between intake and exit',
    rowHeader: 'Change',
    columns: [
      { key: 'cases', label: 'Cases', unit: 'count' },
      { key: 'share', label: 'Share of cases measured (%)', unit: 'percent' },
    ],
    rows: [
      { key: 'feel_safer', label: 'Feel safer at exit', values: [outcomes.feelSafer, percent(outcomes.feelSafer, outcomes.measured)] },
      { key: 'less_abuse', label: 'Abuse less often at exit', values: [outcomes.lessAbuse, percent(outcomes.lessAbuse, outcomes.measured)] },
    ],
    additive: false,
  });
  const notRecorded = { key: 'not_recorded', label: 'Not recorded' };
  tables.push(countsTable('equality-age', 'Age', 'Age', 'People', [...AGE_BANDS.map((b) => ({ key: b.key, label: b.label })), notRecorded], equality.age, 'People (victims) who made contact in the period, by age at their first contact in it.'));
  for (const key of EQUALITY_KEYS) {
    const question = EQUALITY_QUESTIONS[key];
    const options = Object.entries(question.options).map(([k, label]) => ({ key: k, label }));
    tables.push(countsTable(`equality-${key}`, question.label, question.label, 'People', [...options, notRecorded], equality[key]));
  }
  return tables;
}

/** The table as measured, with its totals. */
function unsuppressed(table: Measured): ReportTable {
  if (!table.additive) return strip(table);
  const cells = table.rows.map((row) => row.values.map((v) => v ?? 0));
  const rowTotals = cells.map((row) => row.reduce((a, b) => a + b, 0));
  const columnTotals = table.columns.map((_, c) => cells.reduce((a, row) => a + row[c]!, 0));
  return withTotals(table, cells, rowTotals, columnTotals, rowTotals.reduce((a, b) => a + b, 0));
}

/** The table as it may leave a provider's own view. */
function suppressed(table: Measured): ReportTable {
  if (table.additive) {
    const result = suppressTable(table.rows.map((row) => row.values.map((v) => v ?? 0)));
    return withTotals(table, result.cells, result.rowTotals, result.columnTotals, result.total);
  }
  // Rows of figures: a small count is not shown, nor any figure beside it (a rate or a median would give it away).
  return strip({
    ...table,
    rows: table.rows.map((row) => {
      const small = row.values.some((v, i) => table.columns[i]!.unit === 'count' && v !== null && isSmall(v));
      return { ...row, values: row.values.map((v, i) => (v === null ? null : table.columns[i]!.unit === 'count' ? (isSmall(v) ? null : v) : small ? null : v)) };
    }),
  });
}

function withTotals(table: Measured, cells: (number | null)[][], rowTotals: (number | null)[], columnTotals: (number | null)[], total: number | null): ReportTable {
  const several = table.columns.length > 1;
  return strip({
    ...table,
    columns: several ? [...table.columns, { key: 'total', label: 'Total', unit: 'count' as const }] : table.columns,
    rows: table.rows.map((row, r) => ({ ...row, values: several ? [...cells[r]!, rowTotals[r]!] : cells[r]! })),
    total: { key: 'total', label: 'Total', values: several ? [...columnTotals, total] : [total] },
  });
}

function strip(table: Measured & { total?: ReportTable['total'] }): ReportTable {
  const { additive: _, ...rest } = table;
  return rest;
}

// ── CSV ──────────────────────────────────────────────────────────────────────────────

const csvValue = (value: number | null, unit: Unit, suppressedReport: boolean) => (value === null ? (suppressedReport && unit === 'count' ? '<5' : '') : value);

/** One table as CSV: its rows, then its total row. */
export function tableCsv(table: ReportTable, suppressedReport: boolean): string {
  const rows = [...table.rows, ...(table.total ? [table.total] : [])];
  return toCsv(
    [table.rowHeader, ...table.columns.map((c) => c.label)],
    rows.map((row) => [row.label, ...row.values.map((v, i) => csvValue(v, table.columns[i]!.unit, suppressedReport))]),
  );
}

/**
 * The quarterly return: every table of the report in one CSV, each row led by its table's
 * title, in long form (table, row, column, value) so a spreadsheet can pivot it.
 */
export function returnCsv(report: Report): string {
  const rows: unknown[][] = [];
  for (const table of report.tables) {
    for (const row of [...table.rows, ...(table.total ? [table.total] : [])]) {
      table.columns.forEach((column, i) => rows.push([report.period.from, report.period.to, table.title, row.label, column.label, csvValue(row.values[i] ?? null, column.unit, report.suppressed)]));
    }
  }
  return toCsv(['period_from', 'period_to', 'table', 'row', 'column', 'value'], rows);
}

/** One table of a report as CSV, by its id. */
export function csvOfTable(report: Report, id: string): string {
  const table = report.tables.find((t) => t.id === id);
  if (!table) throw new NotFound(`The table ${id}`);
  return tableCsv(table, report.suppressed);
}

/** The quarterly return of the quarter containing `date` (default: the last quarter that has ended). */
export async function quarterlyReturn(tx: Tx, actor: Actor, query: ReportQuery, beside?: Beside): Promise<Report> {
  const date = query.date ?? lastQuarterDay();
  return report(tx, actor, { ...query, period: 'quarter', date }, { audit: 'report.export', beside });
}

function lastQuarterDay(): string {
  const current = periodContaining('quarter', londonToday());
  const d = new Date(`${current.from}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

