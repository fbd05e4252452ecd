/**
 * The small forms that add to a case, one page each: household member, alleged perpetrator,
 * note, action (owned by me or a colleague), safety plan (from a template), outcome
 * measures, a place on a recovery programme, closure. Each is a step object — what it reads
 * from the form, the schema the API uses, the service call, and which field each error
 * links to — served by one GET and one POST (303 back to the case, or 422 with the error
 * summary).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TObject } from 'typebox';
import type { Tx } from '../../db/transaction.js';
import { asActor, IdParams } from '../../http/route-kit.js';
import { Conflict, Invalid, type FieldError } from '../../lib/errors.js';
import type { Actor } from '../../modules/access/actor.js';
import { EQUALITY_KEYS, EQUALITY_QUESTIONS } from '../../modules/cases/equality.js';
import { ABUSE_TYPES, CasePerpetrator, CloseCase, HouseholdMember, NewAction, NewNote, NewOutcome, NewSafetyPlan, PersonPatch, type CaseView } from '../../modules/cases/schema.js';
import * as cases from '../../modules/cases/service.js';
import { listServices } from '../../modules/directory/service.js';
import { JoinProgramme, type PlaceView } from '../../modules/programmes/schema.js';
import { joinProgramme, programme } from '../../modules/programmes/service.js';
import { commaList, lines, objectIn, readDate, text } from '../forms.js';
import {
  ABUSE_TYPE_ITEMS,
  CASE_CLOSURE_ITEMS,
  FREQUENCY_ITEMS,
  HOUSEHOLD_RELATIONSHIP_ITEMS,
  OUTCOME_STAGE_ITEMS,
  PERPETRATOR_RELATIONSHIP_ITEMS,
  SEVERITY_ITEMS,
} from '../labels.js';
import { checkAgainst, formErrors, longDate, render } from '../render.js';
import { londonToday } from '../../lib/dates.js';

type Form = Record<string, unknown>;
type Fields = Record<string, { id: string; label: string }>;

/** What a form said, as the service's input (blank fields left out), and what could not be read. */
interface Reading {
  input: Record<string, unknown>;
  errors: FieldError[];
}

interface CaseForm {
  path: string;
  title: string;
  template: string;
  schema: TObject;
  /** The banner the case page shows afterwards (see cases.ts). */
  saved: string;
  /** When the banner depends on what the save answered (e.g. a place, or the waiting list). */
  savedAs?(result: unknown): string;
  /** Whether it may still be used once the case is closed (exit outcomes). */
  whenClosed?: boolean;
  read(form: Form): Reading;
  /** The service operation; its input has passed `schema`, the type it takes (hence `never` here). */
  save(tx: Tx, actor: Actor, caseId: string, input: never): Promise<unknown>;
  /** The field each error pointer links to, in the order the page shows them. */
  fields(context: Record<string, unknown>): Fields;
  /** More for the template: templates, the current plan, defaults. */
  context?(tx: Tx, actor: Actor, view: CaseView, wanted: { template?: string; form?: Form }): Promise<Record<string, unknown>>;
}

const defined = (input: Record<string, unknown>) => Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
const today = londonToday;

const household: CaseForm = {
  path: 'household',
  title: 'Add a household member',
  template: 'pages/cases/household.njk',
  schema: HouseholdMember,
  saved: 'household',
  read(form) {
    const errors: FieldError[] = [];
    const livesWith = text(form, 'livesWithPerson');
    const input = defined({
      relationship: text(form, 'relationship'),
      name: text(form, 'name'),
      dateOfBirth: readDate(form, 'dateOfBirth', errors, { notFuture: true, example: '27 3 2016' }),
      school: text(form, 'school'),
      livesWithPerson: livesWith === 'yes' ? true : livesWith === 'no' ? false : undefined,
    });
    return { input, errors };
  },
  save: cases.addHouseholdMember,
  fields: () => ({
    '/relationship': { id: 'relationship', label: 'Who they are' },
    '/name': { id: 'name', label: 'Name' },
    '/dateOfBirth': { id: 'dateOfBirth-day', label: 'Date of birth' },
    '/school': { id: 'school', label: 'School, nursery or college' },
    '/livesWithPerson': { id: 'livesWithPerson', label: 'Whether they live with the person' },
  }),
  context: async () => ({ relationshipItems: HOUSEHOLD_RELATIONSHIP_ITEMS }),
};

const perpetrator: CaseForm = {
  path: 'perpetrators',
  title: 'Add an alleged perpetrator',
  template: 'pages/cases/perpetrator.njk',
  schema: CasePerpetrator,
  saved: 'perpetrator',
  read(form) {
    const errors: FieldError[] = [];
    const address = text(form, 'address');
    const input = defined({
      relationship: text(form, 'relationship'),
      name: text(form, 'name'),
      otherNames: commaList(form, 'otherNames'),
      dateOfBirth: readDate(form, 'dateOfBirth', errors, { notFuture: true, example: '27 3 1985' }),
      phones: lines(form, 'phones'),
      vehicles: lines(form, 'vehicles'),
      addresses: address ? [address] : undefined,
    });
    return { input, errors };
  },
  save: cases.addPerpetrator,
  fields: () => ({
    '/relationship': { id: 'relationship', label: 'Relationship to the person' },
    '/name': { id: 'name', label: 'Name' },
    '/otherNames': { id: 'otherNames', label: 'Other names' },
    '/dateOfBirth': { id: 'dateOfBirth-day', label: 'Date of birth' },
    '/phones': { id: 'phones', label: 'Phone numbers' },
    '/vehicles': { id: 'vehicles', label: 'Vehicles' },
    '/addresses': { id: 'address', label: 'Address' },
  }),
  context: async () => ({ relationshipItems: PERPETRATOR_RELATIONSHIP_ITEMS }),
};

const note: CaseForm = {
  path: 'notes',
  title: 'Write a note',
  template: 'pages/cases/note.njk',
  schema: NewNote,
  saved: 'note',
  read: (form) => ({ input: defined({ body: text(form, 'body'), sensitive: form.sensitive === 'yes' }), errors: [] }),
  save: cases.addNote,
  fields: () => ({ '/body': { id: 'body', label: 'Note' }, '/sensitive': { id: 'sensitive', label: 'Sensitive' } }),
};

const action: CaseForm = {
  path: 'actions',
  title: 'Add an action',
  template: 'pages/cases/action.njk',
  schema: NewAction,
  saved: 'action',
  read(form) {
    const errors: FieldError[] = [];
    const input = defined({ title: text(form, 'title'), ownerId: text(form, 'ownerId'), dueOn: readDate(form, 'dueOn', errors, { example: '27 3 2027' }) });
    return { input, errors };
  },
  save: cases.addAction,
  fields: () => ({ '/title': { id: 'title', label: 'Action' }, '/ownerId': { id: 'ownerId', label: 'Owner' }, '/dueOn': { id: 'dueOn-day', label: 'Due date' } }),
  // Colleagues of my organisation who can own an action; me unless another is chosen.
  async context(tx, actor, _view, wanted) {
    const chosen = (wanted.form && text(wanted.form, 'ownerId')) ?? actor.userId;
    const people = await cases.colleagues(tx, actor);
    return { ownerItems: people.map((p) => ({ value: p.id, text: p.id === actor.userId ? `${p.name} (you)` : p.name, selected: p.id === chosen })) };
  },
};

/** A place on one of my organisation's recovery programmes: the first course with room, else its waiting list. */
const programmePlace: CaseForm = {
  path: 'programme-places',
  title: 'Offer a place on a programme',
  template: 'pages/cases/programme.njk',
  schema: JoinProgramme,
  saved: 'place',
  savedAs: (result) => ((result as PlaceView).status === 'waiting' ? 'waiting' : 'place'),
  read: (form) => ({ input: defined({ serviceId: text(form, 'serviceId') }), errors: [] }),
  save: (tx, actor, caseId, input: JoinProgramme) => joinProgramme(tx, actor, caseId, input.serviceId),
  fields: () => ({ '/serviceId': { id: 'serviceId', label: 'Programme' } }),
  async context(tx, actor) {
    const ours = (await listServices(tx, actor, { kind: 'recovery_programme', organisationId: actor.organisationId })).filter((s) => s.status === 'active');
    const programmes = [];
    for (const service of ours) {
      const now = await programme(tx, actor, service.id);
      const room = now.courses.find((c) => c.enrolled < c.places);
      const hint = room
        ? `A place on “${room.title}”, starting ${longDate(room.startsOn)}`
        : now.nextEstimatedStart
          ? `The waiting list (${now.waiting} waiting): estimated start ${longDate(now.nextEstimatedStart)}`
          : `The waiting list (${now.waiting} waiting): no course with room is scheduled yet`;
      programmes.push({ value: service.id, text: service.name, hint: { text: hint } });
    }
    return { programmeItems: programmes };
  },
};

const safetyPlan: CaseForm = {
  path: 'safety-plan',
  title: 'Safety plan',
  template: 'pages/cases/safety-plan.njk',
  schema: NewSafetyPlan,
  saved: 'plan',
  read(form) {
    const errors: FieldError[] = [];
    const sections = Object.fromEntries(
      Object.entries(objectIn(form.sections))
        .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
        .map(([key, value]) => [key, value.replace(/\s+$/, '')]),
    );
    const input = defined({ templateId: text(form, 'templateId'), sections, reviewOn: readDate(form, 'reviewOn', errors, { example: '27 3 2027' }) });
    return { input, errors };
  },
  save: cases.writeSafetyPlan,
  fields(context) {
    const template = context.template as { sections: Array<{ id: string; title: string }> } | undefined;
    const sections = template?.sections ?? [];
    return {
      '/templateId': { id: 'templateId', label: 'Template' },
      ...Object.fromEntries(sections.map((s) => [`/sections/${s.id}`, { id: `section-${s.id}`, label: s.title }])),
      '/sections': { id: sections[0] ? `section-${sections[0].id}` : 'main-content', label: 'The plan:' },
      '/reviewOn': { id: 'reviewOn-day', label: 'Review date' },
    };
  },
  async context(tx, actor, view, wanted) {
    const templates = await cases.listTemplates(tx, actor);
    const id = text(wanted.form ?? {}, 'templateId') ?? wanted.template ?? view.safetyPlan?.templateId;
    const template = templates.find((t) => t.id === id) ?? templates[0];
    const current = Object.fromEntries((view.safetyPlan?.sections ?? []).map((s) => [s.id, s.text]));
    const review = view.safetyPlan && view.safetyPlan.reviewOn >= today() ? view.safetyPlan.reviewOn.split('-') : [];
    return {
      templates: templates.map((t) => ({ value: t.id, text: `${t.title} (version ${t.version})`, selected: t.id === template?.id })),
      template,
      current,
      review: { year: review[0], month: review[1], day: review[2] },
    };
  },
};

const outcomes: CaseForm = {
  path: 'outcomes',
  title: 'Outcome measures',
  template: 'pages/cases/outcomes.njk',
  schema: NewOutcome,
  saved: 'outcome',
  whenClosed: true,
  read(form) {
    const given = objectIn(form.abuse);
    const abuse = Object.fromEntries(
      ABUSE_TYPES.map((type) => {
        const measure = objectIn(given[type]);
        return [type, defined({ frequency: text(measure, 'frequency'), severity: text(measure, 'severity') })];
      }),
    );
    // A score is a whole number 1–10; anything else is left as text for the schema to name.
    const score = (name: string) => {
      const value = text(form, name);
      return value !== undefined && /^\d{1,2}$/.test(value) ? Number(value) : value;
    };
    return { input: defined({ stage: text(form, 'stage'), abuse, feelingSafe: score('feelingSafe'), wellbeing: score('wellbeing') }), errors: [] };
  },
  save: cases.recordOutcome,
  fields: () => ({
    '/stage': { id: 'stage', label: 'When' },
    ...Object.fromEntries(
      ABUSE_TYPE_ITEMS.flatMap((type) => [
        [`/abuse/${type.value}/frequency`, { id: `abuse-${type.value}-frequency`, label: `${type.text}: how often` }],
        [`/abuse/${type.value}/severity`, { id: `abuse-${type.value}-severity`, label: `${type.text}: how severe` }],
        [`/abuse/${type.value}`, { id: `abuse-${type.value}-frequency`, label: type.text }],
      ]),
    ),
    '/feelingSafe': { id: 'feelingSafe', label: 'How safe they feel' },
    '/wellbeing': { id: 'wellbeing', label: 'Wellbeing' },
  }),
  async context(_tx, _actor, view) {
    const hasIntake = view.outcomes.some((o) => o.stage === 'intake');
    const scale = [{ value: '', text: 'Choose' }, ...Array.from({ length: 10 }, (_, i) => ({ value: String(i + 1), text: String(i + 1) }))];
    return {
      stageItems: view.state === 'closed' ? OUTCOME_STAGE_ITEMS.filter((s) => s.value === 'exit') : OUTCOME_STAGE_ITEMS,
      defaultStage: hasIntake || view.state === 'closed' ? 'exit' : 'intake',
      abuseTypes: ABUSE_TYPE_ITEMS,
      frequencyItems: [{ value: '', text: 'Choose' }, ...FREQUENCY_ITEMS],
      severityItems: [{ value: '', text: 'Choose' }, ...SEVERITY_ITEMS],
      scale,
    };
  },
};

const close: CaseForm = {
  path: 'close',
  title: 'Close the case',
  template: 'pages/cases/close.njk',
  schema: CloseCase,
  saved: 'closed',
  read: (form) => ({ input: defined({ reason: text(form, 'reason'), note: text(form, 'note') }), errors: [] }),
  save: cases.closeCase,
  fields: () => ({ '/reason': { id: 'reason', label: 'Why it is closing' }, '/note': { id: 'note', label: 'Note' } }),
  context: async (_tx, _actor, view) => ({
    reasonItems: CASE_CLOSURE_ITEMS,
    openActions: view.actions.filter((a) => !a.doneAt).length,
    hasExit: view.outcomes.some((o) => o.stage === 'exit'),
  }),
};

/** Equality monitoring: each question answered, "prefer not to say", or left unasked (blank clears an answer). */
const equality: CaseForm = {
  path: 'equality',
  title: 'Equality monitoring',
  template: 'pages/cases/equality.njk',
  schema: PersonPatch,
  saved: 'equality',
  read: (form) => ({ input: { equality: Object.fromEntries(EQUALITY_KEYS.map((key) => [key, text(form, key) ?? null])) }, errors: [] }),
  save: (tx, actor, caseId, input: PersonPatch) => cases.updatePerson(tx, actor, caseId, input),
  fields: () => Object.fromEntries(EQUALITY_KEYS.map((key) => [`/equality/${key}`, { id: key, label: EQUALITY_QUESTIONS[key].label }])),
  context: async (tx, actor, view, wanted) => {
    const person = await cases.personOfCase(tx, actor, view.id);
    const answer = (key: string) => (wanted.form ? text(wanted.form, key) : (person.equality[key] ?? undefined));
    return {
      questions: EQUALITY_KEYS.map((key) => ({
        key,
        label: EQUALITY_QUESTIONS[key].label,
        items: [
          ...Object.entries(EQUALITY_QUESTIONS[key].options).map(([value, label]) => ({ value, text: label, checked: answer(key) === value })),
          { divider: 'or' },
          { value: '', text: 'Not asked', checked: !answer(key) },
        ],
      })),
    };
  },
};

export const CASE_FORMS: readonly CaseForm[] = [household, perpetrator, note, action, safetyPlan, outcomes, programmePlace, close, equality];

async function showForm(spec: CaseForm, request: FastifyRequest, reply: FastifyReply, extra: { form?: Form; errors?: FieldError[] } = {}) {
  const { id } = request.params as { id: string };
  const query = request.query as { template?: unknown };
  const data = await asActor(request, async (tx, actor) => {
    const view = await cases.getCase(tx, actor, id);
    if (view.state === 'closed' && !spec.whenClosed) throw new Conflict('This case is closed');
    const more = spec.context ? await spec.context(tx, actor, view, { ...(typeof query.template === 'string' ? { template: query.template } : {}), ...(extra.form ? { form: extra.form } : {}) }) : {};
    return { caseView: view, ...more };
  });
  return render(request, reply, spec.template, {
    title: spec.title,
    backLink: `/cases/${id}`,
    ...data,
    form: extra.form,
    errors: extra.errors ? formErrors(inPageOrder(extra.errors, spec.fields(data)), spec.fields(data)) : undefined,
  });
}

/** Errors in the order their fields appear on the page, as the error summary lists them. */
function inPageOrder(errors: readonly FieldError[], fields: Fields): FieldError[] {
  const pointers = Object.keys(fields);
  const place = (error: FieldError) => {
    const at = pointers.findIndex((p) => error.field === p || error.field.startsWith(`${p}/`));
    return at === -1 ? pointers.length : at;
  };
  return [...errors].sort((a, b) => place(a) - place(b));
}

export async function caseFormPages(app: FastifyInstance): Promise<void> {
  for (const spec of CASE_FORMS) {
    const options = { config: { web: true, permission: 'case:write' as const }, schema: { params: IdParams } };
    app.get(`/cases/:id/${spec.path}`, options, async (request, reply) => showForm(spec, request, reply));
    app.post(`/cases/:id/${spec.path}`, options, async (request, reply) => {
      const { id } = request.params as { id: string };
      const form = (request.body ?? {}) as Form;
      try {
        const { input, errors } = spec.read(form);
        let checked: never;
        try {
          checked = checkAgainst<never>(spec.schema, input);
        } catch (error) {
          throw error instanceof Invalid ? new Invalid([...errors, ...error.errors]) : error;
        }
        if (errors.length > 0) throw new Invalid(errors);
        const result = await asActor(request, (tx, actor) => spec.save(tx, actor, id, checked));
        return reply.redirect(`/cases/${id}?saved=${spec.savedAs ? spec.savedAs(result) : spec.saved}`, 303);
      } catch (error) {
        if (!(error instanceof Invalid)) throw error;
        reply.code(422);
        return showForm(spec, request, reply, { form, errors: error.errors });
      }
    });
  }
}
