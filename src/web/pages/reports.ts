/**
 * Reports and dashboards in the staff web app (issue 11). /dashboard shows each manager
 * their own first look (SPOC manager, provider manager, commissioner); /reports every
 * measure of a period with filters, each table with a chart and a CSV download; the
 * quarterly return as a printable page and one CSV. Everything a report shows comes from
 * src/modules/reports, suppressed there when it leaves a provider's own view.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { asActor } from '../../http/route-kit.js';
import { Invalid, type FieldError } from '../../lib/errors.js';
import { can } from '../../modules/access/actor.js';
import { listOrganisations, listServices } from '../../modules/directory/service.js';
import { commissionerDashboard, dashboardKind, providerDashboard, spocDashboard } from '../../modules/reports/dashboards.js';
import { PERIODS } from '../../modules/reports/periods.js';
import { ReportQuery, type ReportTable } from '../../modules/reports/schema.js';
import * as reports from '../../modules/reports/service.js';
import { SUPPRESSED_TEXT } from '../../modules/reports/suppression.js';
import { barChart } from '../charts.js';
import { readDate } from '../forms.js';
import { CALLER_TYPE_ITEMS, CHANNEL_ITEMS, labelOf, LEVEL_LABELS } from '../labels.js';
import { checkAgainst, formErrors, render } from '../render.js';
import { staffOf } from '../session.js';

type Form = Record<string, unknown>;

const PERIOD_LABELS: Record<string, string> = { week: 'Week (Monday to Sunday)', month: 'Month', quarter: 'Quarter', year: 'Financial year (April to March)', custom: 'Dates you choose' };
const FIELDS = {
  '/period': { id: 'period', label: 'Period' },
  '/date': { id: 'date-day', label: 'A day in the period' },
  '/from': { id: 'from-day', label: 'From' },
  '/to': { id: 'to-day', label: 'To' },
};
const read = { config: { web: true, permission: 'report:read' as const } };

/** A value of a table as the page shows it. */
function cell(value: number | null, unit: string, suppressed: boolean): string {
  if (value === null) return suppressed && unit === 'count' ? SUPPRESSED_TEXT : '—';
  return unit === 'percent' ? `${value}%` : value.toLocaleString('en-GB');
}

/** A table as govukTable's head and rows, with its chart (counts of one column, or each row's total). */
export function tableView(table: ReportTable, suppressed: boolean, csvHref: string | null) {
  const numeric = { format: 'numeric' };
  const rows = [...table.rows, ...(table.total ? [table.total] : [])];
  const countColumn = table.columns.length === 1 ? 0 : table.columns.findIndex((c) => c.key === 'total');
  const chart =
    countColumn >= 0 && table.columns[countColumn]!.unit === 'count'
      ? barChart(table.title, table.rows.map((r) => ({ label: r.label, value: r.values[countColumn] ?? null })), table.columns[countColumn]!.label.toLowerCase())
      : null;
  return {
    id: table.id,
    title: table.title,
    note: table.note,
    chart,
    csvHref,
    head: [{ text: table.rowHeader }, ...table.columns.map((c) => ({ text: c.label, ...numeric }))],
    rows: rows.map((row) => [
      { text: row.label, ...(row.key === 'total' ? { classes: 'govuk-!-font-weight-bold' } : {}) },
      ...row.values.map((v, i) => ({ text: cell(v, table.columns[i]!.unit, suppressed), ...numeric, ...(row.key === 'total' ? { classes: 'govuk-!-font-weight-bold' } : {}) })),
    ]),
  };
}

/** The report query of a page's form (GET), with errors named by field. */
function queryOf(form: Form): { query: ReportQuery; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const period = typeof form.period === 'string' && form.period ? form.period : 'quarter';
  // A date from the form's three fields, or as YYYY-MM-DD in a link (CSV downloads, the quarterly return).
  const day = (name: string, example: string) => {
    const iso = form[name];
    return typeof iso === 'string' && iso !== '' ? iso : readDate(form, name, errors, { example });
  };
  const date = day('date', '1 7 2026');
  const from = period === 'custom' ? day('from', '1 7 2026') : undefined;
  const to = period === 'custom' ? day('to', '30 9 2026') : undefined;
  if (period === 'custom' && errors.length === 0) {
    if (!from) errors.push({ field: '/from', message: 'must be given for dates you choose' });
    if (!to) errors.push({ field: '/to', message: 'must be given for dates you choose' });
    if (from && to && to < from) errors.push({ field: '/to', message: 'must be the same as or after the start date' });
  }
  const pick = (name: string) => (typeof form[name] === 'string' && form[name] !== '' ? (form[name] as string) : undefined);
  const raw = {
    period,
    ...(period !== 'custom' && date ? { date } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(pick('organisationId') ? { organisationId: pick('organisationId') } : {}),
    ...(pick('serviceId') ? { serviceId: pick('serviceId') } : {}),
    ...(pick('channel') ? { channel: pick('channel') } : {}),
    ...(pick('callerType') ? { callerType: pick('callerType') } : {}),
    ...(pick('riskLevel') ? { riskLevel: pick('riskLevel') } : {}),
  };
  if (errors.length > 0) return { query: raw as ReportQuery, errors };
  try {
    return { query: checkAgainst<ReportQuery>(ReportQuery, raw), errors };
  } catch (error) {
    if (!(error instanceof Invalid)) throw error;
    return { query: raw as ReportQuery, errors: error.errors.map((e) => ({ ...e, field: e.field.replace(/^body/, '') })) };
  }
}

function queryString(query: ReportQuery): string {
  return new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined) as Array<[string, string]>).toString();
}

export async function reportPages(app: FastifyInstance): Promise<void> {
  app.get('/dashboard', read, async (request, reply) => {
    const staff = staffOf(request);
    const kind = dashboardKind(staff);
    const data: unknown = await asActor(request, (tx, actor): Promise<unknown> =>
      kind === 'spoc' ? spocDashboard(tx, actor) : kind === 'provider' ? providerDashboard(tx, actor) : commissionerDashboard(tx, actor),
    );
    if (kind === 'commissioner') {
      const quarter = data as Awaited<ReturnType<typeof commissionerDashboard>>;
      return render(request, reply, 'pages/reports/dashboard.njk', {
        title: 'Dashboard',
        kind,
        periodName: quarter.period.name,
        tables: quarter.tables.map((t) => tableView(t, quarter.suppressed, null)),
      });
    }
    if (kind === 'spoc') {
      const spoc = data as Awaited<ReturnType<typeof spocDashboard>>;
      return render(request, reply, 'pages/reports/dashboard.njk', {
        title: 'Dashboard',
        kind,
        spoc,
        channelChart: barChart('Contacts today by channel', spoc.contactsByChannel.map((c) => ({ label: labelOf(CHANNEL_ITEMS, c.key), value: c.n })), 'contacts'),
        channelRows: spoc.contactsByChannel.map((c) => [{ text: labelOf(CHANNEL_ITEMS, c.key) }, { text: String(c.n), format: 'numeric' }]),
        performanceRows: spoc.performance.map((p) => [
          { text: LEVEL_LABELS[p.riskLevel] ?? p.riskLevel },
          { text: String(p.sent), format: 'numeric' },
          { text: p.acknowledgedOnTime === null ? '—' : `${p.acknowledgedOnTime}%`, format: 'numeric' },
          { text: p.firstContactOnTime === null ? '—' : `${p.firstContactOnTime}%`, format: 'numeric' },
        ]),
      });
    }
    const provider = data as Awaited<ReturnType<typeof providerDashboard>>;
    const decision = (key: string) => provider.decisions.find((d) => d.key === key)?.n ?? 0;
    return render(request, reply, 'pages/reports/dashboard.njk', {
      title: 'Dashboard',
      kind,
      provider,
      decisionRows: [
        ['Accepted', decision('accepted')],
        ['Declined', decision('declined')],
        ['Redirected', decision('redirected')],
        ['Withdrawn', decision('withdrawn')],
        ['Not decided yet', decision('awaiting')],
      ].map(([label, n]) => [{ text: String(label) }, { text: String(n), format: 'numeric' }]),
      caseworkerRows: provider.caseworkers.map((c) => [
        { text: c.name },
        { text: String(c.people), format: 'numeric' },
        { html: c.over ? '<strong class="govuk-tag govuk-tag--red">Over safe caseload</strong>' : '<strong class="govuk-tag govuk-tag--green">Within</strong>' },
      ]),
    });
  });

  async function reportPage(request: FastifyRequest, reply: FastifyReply) {
    const staff = staffOf(request);
    const form = request.query as Form;
    const { query, errors } = queryOf(form);
    const partnership = can(staff, 'report:partnership');
    const choices = await asActor(request, async (tx, actor) => ({
      organisations: partnership ? await listOrganisations(tx, actor.partnershipId) : [],
      services: await listServices(tx, actor, {}),
    }));
    const services = choices.services.filter((s) => partnership || s.organisationId === staff.organisationId);
    const context = {
      title: 'Reports',
      form,
      partnership,
      periodItems: PERIODS.map((value) => ({ value, text: PERIOD_LABELS[value], selected: (query.period ?? 'quarter') === value })),
      organisationItems: [{ value: '', text: 'All organisations' }, ...choices.organisations.map((o: { id: string; name: string }) => ({ value: o.id, text: o.name, selected: query.organisationId === o.id }))],
      serviceItems: [{ value: '', text: 'All services' }, ...services.map((s: { id: string; name: string }) => ({ value: s.id, text: s.name, selected: query.serviceId === s.id }))],
      channelItems: [{ value: '', text: 'All channels' }, ...CHANNEL_ITEMS.map((i) => ({ ...i, selected: query.channel === i.value }))],
      callerTypeItems: [{ value: '', text: 'All callers' }, ...CALLER_TYPE_ITEMS.map((i) => ({ ...i, selected: query.callerType === i.value }))],
      riskItems: [
        { value: '', text: 'All risk levels' },
        ...['high', 'medium', 'standard', 'not_assessed'].map((value) => ({ value, text: LEVEL_LABELS[value] ?? 'Not assessed', selected: query.riskLevel === value })),
      ],
    };
    if (errors.length > 0) {
      reply.code(422);
      return render(request, reply, 'pages/reports/report.njk', { ...context, errors: formErrors(errors, FIELDS) });
    }
    try {
      const report = await asActor(request, (tx, actor) => reports.report(tx, actor, query, { beside: app.database.beside }));
      const qs = queryString(query);
      return render(request, reply, 'pages/reports/report.njk', {
        ...context,
        report,
        csvAll: `/reports/quarterly.csv?${qs}`,
        tables: report.tables.map((t) => tableView(t, report.suppressed, `/reports/tables/${t.id}.csv?${qs}`)),
      });
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      reply.code(422);
      return render(request, reply, 'pages/reports/report.njk', { ...context, errors: formErrors(error.errors.map((e) => ({ ...e, field: e.field.replace(/^query/, '') })), FIELDS) });
    }
  }
  app.get('/reports', read, reportPage);

  app.get<{ Params: { table: string } }>('/reports/tables/:table.csv', read, async (request, reply) => {
    const { query, errors } = queryOf(request.query as Form);
    if (errors.length > 0) throw new Invalid(errors);
    const csv = await asActor(request, async (tx, actor) => reports.csvOfTable(await reports.report(tx, actor, query, { audit: 'report.export', beside: app.database.beside }), request.params.table));
    return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${request.params.table.replace(/[^a-z-]/gi, '')}.csv"`).send(csv);
  });

  /** The quarterly return: the last quarter that has ended, or the quarter of the day asked for. */
  app.get('/reports/quarterly', read, async (request, reply) => {
    const { query, errors } = queryOf({ ...(request.query as Form), period: 'quarter' });
    if (errors.length > 0) throw new Invalid(errors);
    const report = await asActor(request, (tx, actor) => reports.quarterlyReturn(tx, actor, query, app.database.beside));
    return render(request, reply, 'pages/reports/quarterly.njk', {
      title: `Quarterly return: ${report.period.name}`,
      report,
      csvHref: `/reports/quarterly.csv?${queryString({ ...query, date: report.period.from })}`,
      tables: report.tables.map((t) => tableView(t, report.suppressed, null)),
    });
  });

  app.get('/reports/quarterly.csv', read, async (request, reply) => {
    const { query, errors } = queryOf({ ...(request.query as Form), period: 'quarter' });
    if (errors.length > 0) throw new Invalid(errors);
    const report = await asActor(request, (tx, actor) => reports.quarterlyReturn(tx, actor, query, app.database.beside));
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="quarterly-return-${report.period.from}.csv"`)
      .send(reports.returnCsv(report));
  });
}
