/**
 * A MARAC meeting's list, as the viewer's agency may see it (the service decides: the hub
 * sees postcodes, attending agencies do not, others are answered as if it did not exist).
 * Each entry opens to the research agencies recorded and the actions agreed, with forms to
 * record what your agency holds, to add an action (the coordinator) and to mark an action
 * done (its agency or the coordinator). The list also as CSV and as a page to print.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { asActor, IdParams } from '../../http/route-kit.js';
import { londonDate } from '../../lib/dates.js';
import { Conflict, Invalid, type FieldError } from '../../lib/errors.js';
import { Uuid } from '../../lib/schema.js';
import { can } from '../../modules/access/actor.js';
import { listOrganisations } from '../../modules/directory/service.js';
import { NewMaracAction, NewResearch, type ListEntry } from '../../modules/marac/schema.js';
import * as marac from '../../modules/marac/service.js';
import { readDate, text } from '../forms.js';
import { LEVEL_LABELS, PERPETRATOR_RELATIONSHIP_ITEMS, labelOf } from '../labels.js';
import { checkAgainst, formErrors, longDate, render } from '../render.js';
import { staffOf } from '../session.js';
import { inPageOrder } from './marac.js';

type Form = Record<string, unknown>;
type Fields = Record<string, { id: string; label: string }>;

const EntryParams = Type.Object({ id: Uuid, referralId: Uuid }, { additionalProperties: false });
const ActionParams = Type.Object({ id: Uuid, actionId: Uuid }, { additionalProperties: false });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const defined = (input: Record<string, unknown>) => Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));

/** What the meeting page says after a form was saved (its `saved` key). */
const SAVED: Record<string, string> = {
  scheduled: 'Meeting scheduled. Referrals that were waiting for a meeting with room are listed on it.',
  series: 'Meetings scheduled: this is the first of the series, and the others are on the MARAC page. Referrals that were waiting are listed in turn.',
  referred: 'Referred to MARAC and listed at this meeting.',
  research: 'What your agency holds is recorded.',
  action: 'Action added.',
  done: 'Action marked as done.',
};

type Kind = 'research' | 'action';

/** The fields of an entry's forms, by the entry's place in the list (ids are `entry-3-summary` and so on). */
function entryFields(kind: Kind, prefix: string): Fields {
  return kind === 'research'
    ? { '/summary': { id: `${prefix}-summary`, label: 'What your agency holds' } }
    : {
        '/organisationId': { id: `${prefix}-organisationId`, label: 'Agency' },
        '/description': { id: `${prefix}-description`, label: 'Action' },
        '/ownerName': { id: `${prefix}-ownerName`, label: 'Owner' },
        '/dueOn': { id: `${prefix}-dueOn-day`, label: 'Due date' },
      };
}

const dateText = (date: string | null) => (date ? longDate(date) : '—');

/** An entry's cells and lists, in words. */
function entryView(e: ListEntry, index: number) {
  return {
    ...e,
    number: index + 1,
    prefix: `entry-${index + 1}`,
    showsPostcode: 'postcode' in e.victim,
    dobText: dateText(e.victim.dateOfBirth),
    previousText: e.previousReferredOn ? longDate(e.previousReferredOn) : null,
    levelText: LEVEL_LABELS[e.risk.level] ?? e.risk.level,
    children: e.children.map((c) => `${c.name ?? 'Name not given'}${c.dateOfBirth ? `, born ${longDate(c.dateOfBirth)}` : ''}`),
    perpetrators: e.perpetrators.map((p) => `${p.name ?? 'Name not given'}${p.relationship ? ` (${labelOf(PERPETRATOR_RELATIONSHIP_ITEMS, p.relationship).toLowerCase()})` : ''}`),
    research: e.research.map((r) => ({ ...r, recordedText: longDate(londonDate(new Date(r.recordedAt))) })),
    actions: e.actions.map((a) => ({ ...a, dueText: longDate(a.dueOn) })),
  };
}

interface Posted {
  referralId: string;
  kind: Kind;
  form: Form;
  errors: FieldError[];
}

async function meetingPage(request: FastifyRequest, reply: FastifyReply, posted?: Posted) {
  const { id } = request.params as { id: string };
  const staff = staffOf(request);
  const manage = can(staff, 'marac:manage');
  const data = await asActor(request, async (tx, actor) => ({
    list: await marac.meetingList(tx, actor, id),
    organisations: await listOrganisations(tx, actor.partnershipId),
  }));
  const query = request.query as { saved?: unknown; entry?: unknown };
  const opened = posted?.referralId ?? (typeof query.entry === 'string' ? query.entry : undefined);
  const names = new Map(data.organisations.map((o) => [o.id, o.name]));
  // Actions are for the partnership's agencies (commissioners see aggregates only).
  const agencies = data.organisations.filter((o) => o.kind !== 'commissioner');
  let errors;
  const entries = data.list.entries.map((e, i) => {
    const view = entryView(e, i);
    const mine = posted?.referralId === e.referralId ? posted : undefined;
    if (mine) errors = formErrors(inPageOrder(mine.errors, entryFields(mine.kind, view.prefix)), entryFields(mine.kind, view.prefix));
    const actionForm = mine?.kind === 'action' ? mine.form : undefined;
    const chosen = actionForm ? text(actionForm, 'organisationId') : undefined;
    return {
      ...view,
      open: e.referralId === opened,
      researchForm: mine?.kind === 'research' ? mine.form : undefined,
      actionForm,
      agencyItems: [{ value: '', text: 'Choose an agency' }, ...agencies.map((o) => ({ value: o.id, text: o.name, selected: o.id === chosen }))],
      actions: view.actions.map((a) => ({ ...a, mayComplete: !a.doneAt && (manage || a.organisationId === staff.organisationId) })),
    };
  });
  // Errors on an entry no longer on the list (withdrawn meanwhile) still say what was wrong.
  if (posted && !errors) errors = formErrors(posted.errors, {});
  const { meeting } = data.list;
  const saved = typeof query.saved === 'string' ? SAVED[query.saved] : undefined;
  return render(request, reply, 'pages/marac/meeting.njk', {
    title: 'MARAC meeting',
    backLink: '/marac',
    meeting: { ...meeting, dateText: longDate(meeting.heldOn), agencies: meeting.attendingOrganisationIds.map((o) => names.get(o) ?? 'An organisation') },
    hubName: data.organisations.find((o) => o.kind === 'spoc_hub')?.name ?? 'The SPOC',
    entries,
    showsPostcode: entries.some((e) => e.showsPostcode),
    manage,
    saved,
    errors,
  });
}

/** A form of an entry: read, checked against the API's schema, saved; then back to the entry, or the page again with the errors. */
async function saveOnEntry(request: FastifyRequest, reply: FastifyReply, kind: Kind, save: (form: Form) => Promise<unknown>) {
  const { id, referralId } = request.params as { id: string; referralId: string };
  const form = (request.body ?? {}) as Form;
  try {
    await save(form);
    return reply.redirect(`/marac/meetings/${id}?saved=${kind}&entry=${referralId}#referral-${referralId}`, 303);
  } catch (error) {
    if (!(error instanceof Invalid)) throw error;
    reply.code(422);
    return meetingPage(request, reply, { referralId, kind, form, errors: error.errors });
  }
}

export async function maracMeetingPages(app: FastifyInstance): Promise<void> {
  const read = { config: { web: true, permission: 'marac:read' as const }, schema: { params: IdParams } };

  app.get('/marac/meetings/:id', read, async (request, reply) => meetingPage(request, reply));

  /** The list as the viewer's agency may see it, as CSV (the same lines as the page; the export is audited). */
  app.get('/marac/meetings/:id/list.csv', read, async (request, reply) => {
    const { id } = request.params as { id: string };
    const csv = await asActor(request, (tx, actor) => marac.meetingListCsv(tx, actor, id));
    return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="marac-list.csv"').send(csv);
  });

  /** The list to print for the meeting: no navigation, a print stylesheet, marked for handling. */
  app.get('/marac/meetings/:id/print', read, async (request, reply) => {
    const { id } = request.params as { id: string };
    const list = await asActor(request, (tx, actor) => marac.meetingList(tx, actor, id));
    const entries = list.entries.map(entryView);
    return render(request, reply, 'pages/marac/print.njk', {
      title: 'MARAC list',
      backLink: `/marac/meetings/${id}`,
      meeting: { ...list.meeting, dateText: longDate(list.meeting.heldOn) },
      entries,
      showsPostcode: entries.some((e) => e.showsPostcode),
    });
  });

  // An entry's address (and its forms' addresses, as after a form came back with an error): the entry, opened.
  for (const path of ['', '/research', '/actions']) {
    app.get(`/marac/meetings/:id/entries/:referralId${path}`, { config: { web: true, permission: 'marac:read' }, schema: { params: EntryParams } }, async (request, reply) => {
      const { id, referralId } = request.params as { id: string; referralId: string };
      return reply.redirect(`/marac/meetings/${id}?entry=${referralId}#referral-${referralId}`, 303);
    });
  }

  app.post('/marac/meetings/:id/entries/:referralId/research', { config: { web: true, permission: 'marac:read' }, schema: { params: EntryParams } }, async (request, reply) =>
    saveOnEntry(request, reply, 'research', async (form) => {
      const input = checkAgainst<NewResearch>(NewResearch, defined({ summary: text(form, 'summary') }));
      const { referralId } = request.params as { referralId: string };
      await asActor(request, (tx, actor) => marac.addResearch(tx, actor, referralId, input));
    }),
  );

  app.post('/marac/meetings/:id/entries/:referralId/actions', { config: { web: true, permission: 'marac:manage' }, schema: { params: EntryParams } }, async (request, reply) =>
    saveOnEntry(request, reply, 'action', async (form) => {
      const errors: FieldError[] = [];
      // Any date: an action agreed at a past meeting may be recorded afterwards.
      const input = defined({
        organisationId: text(form, 'organisationId'),
        description: text(form, 'description'),
        ownerName: text(form, 'ownerName'),
        dueOn: readDate(form, 'dueOn', errors, { example: '27 3 2027' }),
      });
      let checked: NewMaracAction;
      try {
        checked = checkAgainst<NewMaracAction>(NewMaracAction, input);
      } catch (error) {
        throw error instanceof Invalid ? new Invalid([...errors, ...error.errors]) : error;
      }
      if (errors.length > 0) throw new Invalid(errors);
      const { referralId } = request.params as { referralId: string };
      await asActor(request, (tx, actor) => marac.addAction(tx, actor, referralId, checked));
    }),
  );

  app.post('/marac/meetings/:id/actions/:actionId/done', { config: { web: true, permission: 'marac:read' }, schema: { params: ActionParams } }, async (request, reply) => {
    const { id, actionId } = request.params as { id: string; actionId: string };
    const referralId = text((request.body ?? {}) as Form, 'referralId');
    const back = referralId && UUID.test(referralId) ? `&entry=${referralId}#referral-${referralId}` : '';
    try {
      await asActor(request, (tx, actor) => marac.completeAction(tx, actor, actionId));
      return reply.redirect(`/marac/meetings/${id}?saved=done${back}`, 303);
    } catch (error) {
      // Done already (a second click, a colleague): the page shows it done.
      if (!(error instanceof Conflict)) throw error;
      return reply.redirect(`/marac/meetings/${id}${back ? `?${back.slice(1)}` : ''}`, 303);
    }
  });
}
