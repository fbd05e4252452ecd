/**
 * MARAC in the staff web app (issue 8; SafeLives). For the MARAC coordinator: the dashboard
 * (meetings to come, referrals waiting for a meeting, overdue actions), scheduling a meeting
 * or a series, referring a contact by hand, and the figures for a period. For every agency
 * with MARAC access: the meetings it attends. A meeting's list, with its research and
 * actions, its CSV and its printable version, is in marac-meeting.ts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { asActor, IdParams } from '../../http/route-kit.js';
import { londonDate, londonToday } from '../../lib/dates.js';
import { Conflict, Invalid, NotFound, type FieldError } from '../../lib/errors.js';
import { can } from '../../modules/access/actor.js';
import { ContactListQuery } from '../../modules/contacts/schema.js';
import * as contacts from '../../modules/contacts/service.js';
import { listOrganisations } from '../../modules/directory/service.js';
import { FiguresQuery, ManualReferral, NewMeetings } from '../../modules/marac/schema.js';
import * as marac from '../../modules/marac/service.js';
import { dateInput, readDate, text } from '../forms.js';
import { MARAC_CRITERION_LABELS, MARAC_STATUS_COLOURS, MARAC_STATUS_LABELS } from '../labels.js';
import { checkAgainst, formErrors, longDate, render } from '../render.js';
import { staffOf } from '../session.js';

type Form = Record<string, unknown>;
type Fields = Record<string, { id: string; label: string }>;

const today = londonToday;
const defined = (input: Record<string, unknown>) => Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));

/** What the MARAC page says after a form was saved (its `saved` key). */
const SAVED: Record<string, string> = {
  referred: 'Referred to MARAC. No meeting to come has room: the referral waits below until one is scheduled.',
};

/** Errors in the order their fields appear on the page, as the error summary lists them. */
export function inPageOrder(errors: readonly FieldError[], fields: Fields): FieldError[] {
  const pointers = Object.keys(fields);
  const place = (error: FieldError) => {
    const at = pointers.findIndex((p) => error.field === p || error.field.startsWith(`${p}/`));
    return at === -1 ? pointers.length : at;
  };
  return [...errors].sort((a, b) => place(a) - place(b));
}

/** A whole number typed into a field: undefined when blank; out of range or not a number named under `/name`. */
export function wholeNumber(form: Form, name: string, min: number, max: number, errors: FieldError[]): number | undefined {
  const value = text(form, name);
  if (value === undefined) return undefined;
  const n = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) {
    errors.push({ field: `/${name}`, message: `must be a whole number from ${min} to ${max}` });
    return undefined;
  }
  return n;
}

/** Several checkboxes of one name, as qs parses them: a string for one, an array for more. */
function checked(value: unknown): string[] {
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string' && v !== '');
}

/** A YYYY-MM-DD date as the three fields of a GOV.UK date input. */
function dateParts(iso: string): { day: string; month: string; year: string } {
  const [year, month, day] = iso.split('-');
  return { day: String(Number(day)), month: String(Number(month)), year: year! };
}

/** The calendar quarter today falls in (also the financial year's quarters: April–June, and so on). */
export function currentQuarter(date = today()): { from: string; to: string } {
  const [year, month] = date.split('-').map(Number) as [number, number];
  const first = Math.floor((month - 1) / 3) * 3 + 1;
  const last = new Date(Date.UTC(year, first + 2, 0)).getUTCDate();
  const pad = (n: number) => String(n).padStart(2, '0');
  return { from: `${year}-${pad(first)}-01`, to: `${year}-${pad(first + 2)}-${pad(last)}` };
}

/** A meeting as the MARAC pages list it: its date, how full it is, and who attends. */
function meetingRow(m: { id: string; heldOn: string; capacity: number; listed: number; attendingOrganisationIds: string[] }, names: Map<string, string>) {
  return {
    ...m,
    dateText: longDate(m.heldOn),
    full: m.listed >= m.capacity,
    agencies: m.attendingOrganisationIds.map((id) => names.get(id) ?? 'An organisation').join(', '),
  };
}

// ── schedule ─────────────────────────────────────────────────────────────────────────

const SCHEDULE_FIELDS: Fields = {
  '/heldOn': { id: 'heldOn-day', label: 'Date of the meeting' },
  '/capacity': { id: 'capacity', label: 'How many cases it can hear' },
  '/attendingOrganisationIds': { id: 'attendingOrganisationIds', label: 'Attending agencies' },
  '/count': { id: 'count', label: 'How many meetings' },
  '/repeatEveryDays': { id: 'repeatEveryDays', label: 'Days between meetings' },
};

function readSchedule(form: Form): { input: Record<string, unknown>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const input = defined({
    heldOn: readDate(form, 'heldOn', errors, { example: '27 3 2027' }),
    capacity: wholeNumber(form, 'capacity', 1, 100, errors),
    attendingOrganisationIds: checked(form.attendingOrganisationIds),
    count: wholeNumber(form, 'count', 1, 26, errors),
    repeatEveryDays: wholeNumber(form, 'repeatEveryDays', 1, 90, errors),
  });
  // One meeting needs no interval (a default left in the field is not an error); a series does.
  if (input.count === undefined || input.count === 1) delete input.repeatEveryDays;
  else if (input.repeatEveryDays === undefined && !errors.some((e) => e.field === '/repeatEveryDays')) {
    errors.push({ field: '/repeatEveryDays', message: 'is required to schedule more than one meeting' });
  }
  return { input, errors };
}

async function schedulePage(request: FastifyRequest, reply: FastifyReply, posted: { form?: Form; errors?: FieldError[] } = {}) {
  const organisations = await asActor(request, (tx, actor) => listOrganisations(tx, actor.partnershipId));
  const chosen = new Set(checked(posted.form?.attendingOrganisationIds));
  // The hub runs the meeting (and always attends); commissioners see aggregates only.
  const agencyItems = organisations.filter((o) => o.kind !== 'spoc_hub' && o.kind !== 'commissioner').map((o) => ({ value: o.id, text: o.name, checked: chosen.has(o.id) }));
  return render(request, reply, 'pages/marac/schedule.njk', {
    title: 'Schedule MARAC meetings',
    backLink: '/marac',
    hubName: organisations.find((o) => o.kind === 'spoc_hub')?.name ?? 'The SPOC',
    agencyItems,
    form: posted.form ?? { count: '1', repeatEveryDays: '14' },
    errors: posted.errors ? formErrors(inPageOrder(posted.errors, SCHEDULE_FIELDS), SCHEDULE_FIELDS) : undefined,
  });
}

// ── refer by hand ────────────────────────────────────────────────────────────────────

async function referPage(request: FastifyRequest, reply: FastifyReply, posted: { form?: Form; errors?: FieldError[] } = {}) {
  const query = request.query as Form;
  const q = text(posted.form ?? query, 'q');
  const wanted = text(posted.form ?? query, 'contactId');
  const errors: FieldError[] = [...(posted.errors ?? [])];
  const found = await asActor(request, async (tx, actor) => {
    const candidates: Array<{ id: string; reference: string; personName: string | null; receivedAt: string }> = [];
    if (q !== undefined) {
      try {
        const search = checkAgainst<ContactListQuery>(ContactListQuery, { q, page: 1, perPage: 20 });
        candidates.push(...(await contacts.listContacts(tx, actor, search)).items);
      } catch (error) {
        if (!(error instanceof Invalid)) throw error;
        errors.push(...error.errors);
      }
    }
    return candidates;
  });
  // Chosen from the contact's page (or before the form came back with an error): shown even if not in the search.
  // Read in a transaction of its own, so that a refusal is audited like any other.
  if (wanted && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(wanted) && !found.some((c) => c.id === wanted)) {
    try {
      const contact = await asActor(request, (tx, actor) => contacts.getContact(tx, actor, wanted));
      found.unshift({ id: contact.id, reference: contact.reference, personName: contact.person.name ?? null, receivedAt: contact.receivedAt });
    } catch (error) {
      if (!(error instanceof NotFound)) throw error;
    }
  }
  const fields: Fields = {
    '/q': { id: 'q', label: 'Search' },
    '/contactId': { id: found.length ? 'contactId' : 'q', label: 'The contact' },
    '/reason': { id: 'reason', label: 'Why they should be heard at MARAC' },
  };
  const contactItems = found.map((c) => ({
    value: c.id,
    text: `${c.reference} · ${c.personName ?? 'Name not given'}`,
    hint: { text: `Received ${longDate(londonDate(new Date(c.receivedAt)))}` },
    checked: c.id === wanted,
  }));
  if (errors.length > 0 && reply.statusCode < 400) reply.code(422);
  return render(request, reply, 'pages/marac/refer.njk', {
    title: 'Refer to MARAC',
    backLink: '/marac',
    q,
    searched: q !== undefined,
    contactItems,
    form: posted.form,
    errors: errors.length ? formErrors(inPageOrder(errors, fields), fields) : undefined,
  });
}

// ── figures ──────────────────────────────────────────────────────────────────────────

const FIGURES_FIELDS: Fields = {
  '/from': { id: 'from-day', label: 'Start date' },
  'query/from': { id: 'from-day', label: 'Start date' },
  '/to': { id: 'to-day', label: 'End date' },
  'query/to': { id: 'to-day', label: 'End date' },
};

export async function maracPages(app: FastifyInstance): Promise<void> {
  /**
   * The MARAC page. The coordinator's dashboard: meetings to come, referrals waiting for a
   * meeting with room, and actions past their due date. For other agencies: the meetings
   * they attend.
   */
  app.get('/marac', { config: { web: true, permission: 'marac:read' } }, async (request, reply) => {
    const staff = staffOf(request);
    const manage = can(staff, 'marac:manage');
    const data = await asActor(request, async (tx, actor) => ({
      organisations: await listOrganisations(tx, actor.partnershipId),
      meetings: await marac.listMeetings(tx, actor),
      board: manage ? await marac.dashboard(tx, actor) : null,
    }));
    const names = new Map(data.organisations.map((o) => [o.id, o.name]));
    const now = today();
    const upcoming = data.board ? data.board.meetings : data.meetings.filter((m) => m.heldOn >= now);
    const past = data.meetings.filter((m) => m.heldOn < now).reverse().slice(0, 8);
    const saved = (request.query as { saved?: unknown }).saved;
    return render(request, reply, 'pages/marac/dashboard.njk', {
      title: 'MARAC',
      manage,
      saved: typeof saved === 'string' ? SAVED[saved] : undefined,
      upcoming: upcoming.map((m) => meetingRow(m, names)),
      past: past.map((m) => meetingRow(m, names)),
      awaiting: data.board?.awaiting.map((r) => ({
        ...r,
        referredText: longDate(r.referredOn),
        criteriaText: r.criteria.map((c) => MARAC_CRITERION_LABELS[c] ?? c),
        previousText: r.previousReferredOn ? longDate(r.previousReferredOn) : null,
      })),
      overdue: data.board?.overdueActions.map((a) => ({ ...a, dueText: longDate(a.dueOn) })),
    });
  });

  /** One referral: on its meeting's list when it has one; otherwise where it stands. */
  app.get('/marac/referrals/:id', { config: { web: true, permission: 'marac:read' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const referral = await asActor(request, (tx, actor) => marac.getReferral(tx, actor, id));
    if (referral.meetingId) return reply.redirect(`/marac/meetings/${referral.meetingId}?entry=${referral.id}#referral-${referral.id}`, 303);
    return render(request, reply, 'pages/marac/referral.njk', {
      title: 'MARAC referral',
      backLink: '/marac',
      referral,
      mayReadContact: can(staffOf(request), 'contact:read'),
      statusText: MARAC_STATUS_LABELS[referral.status],
      statusColour: MARAC_STATUS_COLOURS[referral.status],
      criteriaText: referral.criteria.map((c) => MARAC_CRITERION_LABELS[c] ?? c),
      referredText: longDate(referral.referredOn),
      previousText: referral.previousReferredOn ? longDate(referral.previousReferredOn) : null,
    });
  });

  const manage = { config: { web: true, permission: 'marac:manage' as const } };

  app.get('/marac/meetings/new', manage, async (request, reply) => schedulePage(request, reply));

  app.post('/marac/meetings/new', manage, async (request, reply) => {
    const form = (request.body ?? {}) as Form;
    try {
      const { input, errors } = readSchedule(form);
      let checkedInput: NewMeetings;
      try {
        checkedInput = checkAgainst<NewMeetings>(NewMeetings, input);
      } catch (error) {
        throw error instanceof Invalid ? new Invalid([...errors, ...error.errors]) : error;
      }
      if (errors.length > 0) throw new Invalid(errors);
      const meetings = await asActor(request, (tx, actor) => marac.scheduleMeetings(tx, actor, checkedInput));
      return reply.redirect(`/marac/meetings/${meetings[0]!.id}?saved=${meetings.length > 1 ? 'series' : 'scheduled'}`, 303);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      reply.code(422);
      return schedulePage(request, reply, { form, errors: error.errors });
    }
  });

  app.get('/marac/refer', manage, async (request, reply) => referPage(request, reply));

  app.post('/marac/refer', manage, async (request, reply) => {
    const form = (request.body ?? {}) as Form;
    try {
      const input = checkAgainst<ManualReferral>(ManualReferral, defined({ contactId: text(form, 'contactId'), reason: text(form, 'reason') }));
      const referral = await asActor(request, (tx, actor) => marac.referManually(tx, actor, input));
      if (referral.meetingId) return reply.redirect(`/marac/meetings/${referral.meetingId}?saved=referred&entry=${referral.id}#referral-${referral.id}`, 303);
      return reply.redirect('/marac?saved=referred', 303);
    } catch (error) {
      // Referred already (automatically, or by a colleague): named on the contact, nothing changed.
      if (error instanceof Conflict) {
        reply.code(409);
        return referPage(request, reply, { form, errors: [{ field: '/contactId', message: error.message }] });
      }
      // A contact that is not there and one the coordinator may not see answer alike (the refusal is audited).
      if (error instanceof NotFound) {
        reply.code(404);
        return referPage(request, reply, { form, errors: [{ field: '/contactId', message: 'was not found, or you do not have access to it' }] });
      }
      if (!(error instanceof Invalid)) throw error;
      reply.code(422);
      return referPage(request, reply, { form, errors: error.errors });
    }
  });

  /** Referrals in a period (the current quarter unless another is asked for): repeats, sources, criteria. */
  app.get('/marac/figures', manage, async (request, reply) => {
    const form = request.query as Form;
    const quarter = currentQuarter();
    const errors: FieldError[] = [];
    const example = (iso: string) => Object.values(dateParts(iso)).join(' ');
    const from = readDate(form, 'from', errors, { example: example(quarter.from) }) ?? quarter.from;
    const to = readDate(form, 'to', errors, { example: example(quarter.to) }) ?? quarter.to;
    const asked = (name: string) => dateInput(form, name) !== '';
    const shown = {
      from: asked('from') ? { day: form['from-day'], month: form['from-month'], year: form['from-year'] } : dateParts(from),
      to: asked('to') ? { day: form['to-day'], month: form['to-month'], year: form['to-year'] } : dateParts(to),
    };
    try {
      if (errors.length === 0 && to < from) errors.push({ field: '/to', message: 'must be the same as or after the start date' });
      if (errors.length > 0) throw new Invalid(errors);
      const query = checkAgainst<FiguresQuery>(FiguresQuery, { from, to });
      const result = await asActor(request, (tx, actor) => marac.figures(tx, actor, query));
      const share = (n: number) => (result.referrals ? `${Math.round((n / result.referrals) * 1000) / 10}%` : '—');
      return render(request, reply, 'pages/marac/figures.njk', {
        title: 'MARAC figures',
        backLink: '/marac',
        shown,
        result,
        periodText: `${longDate(result.from)} to ${longDate(result.to)}`,
        agencyRows: result.bySourceAgency.map((r) => [{ text: r.agency }, { text: String(r.referrals), format: 'numeric' }, { text: share(r.referrals), format: 'numeric' }]),
        criterionRows: result.byCriterion.map((r) => [{ text: MARAC_CRITERION_LABELS[r.criterion] ?? r.criterion }, { text: String(r.referrals), format: 'numeric' }, { text: share(r.referrals), format: 'numeric' }]),
      });
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      reply.code(422);
      return render(request, reply, 'pages/marac/figures.njk', {
        title: 'MARAC figures',
        backLink: '/marac',
        shown,
        result: null,
        errors: formErrors(inPageOrder(error.errors, FIGURES_FIELDS), FIGURES_FIELDS),
      });
    }
  });
}
