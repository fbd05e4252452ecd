/**
 * A subject access request answered in the staff web app: everything held about a person as
 * a readable, printable page (GOV.UK Frontend), and the same as a JSON file to download. Both
 * are audited as exports (src/modules/rights/subject-access.ts decides who may, and what).
 * The page's title and address carry no name.
 */
import type { FastifyInstance } from 'fastify';
import { asActor, IdParams } from '../../http/route-kit.js';
import type { SubjectAccessExport } from '../../modules/rights/schema.js';
import { subjectAccess } from '../../modules/rights/subject-access.js';
import { londonTime, longDate, render } from '../render.js';

interface Row {
  key: string;
  lines: string[];
}
interface Block {
  rows: Row[];
  children: Array<{ title: string; records: Array<{ rows: Row[] }> }>;
}

const ACRONYMS: Record<string, string> = { id: 'ID', marac: 'MARAC', '12m': '(12 months)' };

/** `receivedAt` → "Received at". */
export function label(key: string): string {
  const words = key.replace(/([A-Z])/g, ' $1').replace(/([0-9]+m)$/, ' $1').toLowerCase().trim().split(/\s+/);
  const text = words.map((w) => ACRONYMS[w] ?? w).join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** One value as text on one line: times and dates as people read them, nested things inline. */
function inline(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'string') {
    if (/^\d{4}-\d{2}-\d{2}T/.test(value)) return londonTime(value);
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return longDate(value);
    return value;
  }
  if (Array.isArray(value)) return value.length === 0 ? '—' : value.map(inline).join(', ');
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.length === 0 ? '—' : entries.map(([k, v]) => `${label(k)}: ${inline(v)}`).join('; ');
  }
  return String(value);
}

/** A value as lines: an object or a list of objects one line per entry. */
function lines(value: unknown): string[] {
  if (Array.isArray(value) && value.some((v) => typeof v === 'object' && v !== null)) return value.map(inline);
  if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    return Object.entries(value as Record<string, unknown>).map(([k, v]) => `${label(k)}: ${inline(v)}`);
  }
  return [inline(value)];
}

const isRecordList = (value: unknown): value is Array<Record<string, unknown>> =>
  Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v));

/** A record as summary-list rows, its lists of records (a case's notes, a referral's history) as sub-sections. */
export function block(record: Record<string, unknown>): Block {
  const rows: Row[] = [];
  const children: Block['children'] = [];
  for (const [key, value] of Object.entries(record)) {
    if (isRecordList(value) && !['children', 'perpetrators', 'reasons'].includes(key)) {
      children.push({ title: label(key), records: value.map((v) => ({ rows: Object.entries(v).map(([k, x]) => ({ key: label(k), lines: lines(x) })) })) });
    } else {
      rows.push({ key: label(key), lines: lines(value) });
    }
  }
  return { rows, children };
}

export function sections(data: SubjectAccessExport) {
  const list = (title: string, records: unknown[], empty: string) => ({ title, records: (records as Array<Record<string, unknown>>).map(block), empty });
  return [
    list('The person', [data.person], ''),
    list('Contacts', data.contacts, 'No contacts.'),
    list('Risk assessments (DASH RIC)', data.riskAssessments, 'No risk assessments.'),
    list('Referrals', data.referrals, 'No referrals.'),
    list('Calls', data.calls, 'No calls.'),
    list('Cases', data.cases, 'No cases.'),
    list('MARAC referrals', data.maracReferrals, 'No MARAC referrals.'),
    list('Decisions about who contacts were about', data.matchDecisions, 'None.'),
  ];
}

export async function subjectAccessPages(app: FastifyInstance): Promise<void> {
  const config = { web: true, permission: 'person:subject_access' as const };

  app.get('/people/:id/subject-access', { config, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const data = await asActor(request, (tx, actor) => subjectAccess(tx, actor, id, 'html'));
    return render(request, reply, 'pages/subject-access/show.njk', {
      title: 'Subject access',
      personId: id,
      generatedAt: londonTime(data.generatedAt),
      sections: sections(data),
      withheld: data.withheld.sensitiveNotes,
      accessLog: (data.accessLog as Array<Record<string, unknown>>).map((a) => ({ at: londonTime(a.at as string), action: a.action, organisation: a.organisation ?? 'spoc (a background job or the command line)', outcome: a.outcome })),
    });
  });

  app.get('/people/:id/subject-access.json', { config, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const data = await asActor(request, (tx, actor) => subjectAccess(tx, actor, id, 'json'));
    return reply
      .type('application/json; charset=utf-8')
      .header('content-disposition', 'attachment; filename="subject-access.json"')
      .send(JSON.stringify(data, null, 2));
  });
}
