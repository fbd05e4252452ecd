/**
 * A provider's cases (SPEC §2 step 10): the organisation's caseload, a case's page (the
 * person, household, alleged perpetrators, referrals, safety plan, actions, outcomes, safe
 * accommodation, programme places and the timeline), and the safety plan printed with
 * nothing on it that identifies anyone. The forms that add to a case are in case-forms.ts;
 * the safe accommodation search and refuge referral in accommodation.ts.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { asActor, IdParams } from '../../http/route-kit.js';
import { Conflict, NotFound, Refused } from '../../lib/errors.js';
import { Uuid } from '../../lib/schema.js';
import { can } from '../../modules/access/actor.js';
import type { CaseView } from '../../modules/cases/schema.js';
import * as cases from '../../modules/cases/service.js';
import { listServices } from '../../modules/directory/service.js';
import { placesOfCase } from '../../modules/programmes/service.js';
import {
  ABUSE_TYPE_ITEMS,
  CASE_CLOSURE_ITEMS,
  FREQUENCY_ITEMS,
  HOUSEHOLD_RELATIONSHIP_ITEMS,
  PERPETRATOR_RELATIONSHIP_ITEMS,
  SEVERITY_ITEMS,
  PLACE_STATUS_COLOURS,
  PLACE_STATUS_LABELS,
  labelOf,
} from '../labels.js';
import { longDate, render } from '../render.js';
import { staffOf } from '../session.js';
import { caseFormPages } from './case-forms.js';

const ActionParams = Type.Object({ id: Uuid, actionId: Uuid }, { additionalProperties: false });

/** What the case page says after a form was saved (the form's `saved` key). */
const SAVED: Record<string, string> = {
  household: 'Household member added.',
  perpetrator: 'Alleged perpetrator recorded. Their numbers now raise the perpetrator alert on calls.',
  note: 'Note saved.',
  action: 'Action added.',
  done: 'Action marked as done.',
  plan: 'Safety plan saved as a new version.',
  outcome: 'Outcome measures recorded.',
  refuge: 'Refuge referral sent. The refuge’s answer will appear on the timeline.',
  place: 'They have a place on a course of the programme.',
  waiting: 'No course has room: they are on the programme’s waiting list.',
  closed: 'Case closed.',
  equality: 'Equality monitoring answers saved.',
};

type Outcome = CaseView['outcomes'][number];

/** Outcome measures as a table: each abuse type, feeling safe and wellbeing, at intake and at exit (the latest of each). */
function outcomeTable(outcomes: CaseView['outcomes']) {
  const latest = (stage: Outcome['stage']) => outcomes.filter((o) => o.stage === stage).at(-1) ?? null;
  const intake = latest('intake');
  const exit = latest('exit');
  if (!intake && !exit) return null;
  const measure = (o: Outcome | null, type: string) => {
    const m = o?.abuse[type as keyof Outcome['abuse']];
    return m ? `${labelOf(FREQUENCY_ITEMS, m.frequency)}; severity ${labelOf(SEVERITY_ITEMS, m.severity).toLowerCase()}` : '—';
  };
  const score = (value: number | undefined) => (value === undefined ? '—' : `${value} out of 10`);
  return [
    ...ABUSE_TYPE_ITEMS.map((type) => [{ text: type.text }, { text: measure(intake, type.value) }, { text: measure(exit, type.value) }]),
    [{ text: 'How safe they feel' }, { text: score(intake?.feelingSafe) }, { text: score(exit?.feelingSafe) }],
    [{ text: 'Wellbeing' }, { text: score(intake?.wellbeing) }, { text: score(exit?.wellbeing) }],
  ];
}

export async function casePages(app: FastifyInstance): Promise<void> {
  app.get('/cases', { config: { web: true, permission: 'case:read' } }, async (request, reply) => {
    const asked = (request.query as { state?: unknown }).state;
    const state = asked === 'closed' || asked === 'all' ? asked : 'open';
    const list = await asActor(request, (tx, actor) => cases.listCases(tx, actor, state === 'all' ? {} : { state }));
    return render(request, reply, 'pages/cases/list.njk', { title: 'Cases', list, state, userId: staffOf(request).userId });
  });

  app.get('/cases/:id', { config: { web: true, permission: 'case:read' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const data = await asActor(request, async (tx, actor) => {
      const view = await cases.getCase(tx, actor, id);
      const timeline = await cases.timeline(tx, actor, id);
      const places = await placesOfCase(tx, actor, id);
      // My organisation's recovery programmes: the names of its places, and what it can offer.
      const programmes = await listServices(tx, actor, { kind: 'recovery_programme', organisationId: actor.organisationId });
      return { view, timeline, places, programmes };
    });
    const { view } = data;
    const staff = staffOf(request);
    const saved = (request.query as { saved?: unknown }).saved;
    const programmeName = new Map(data.programmes.map((p) => [p.id, p.name]));
    return render(request, reply, 'pages/cases/show.njk', {
      title: 'Case',
      caseView: view,
      open: view.state === 'open',
      userId: staff.userId,
      saved: typeof saved === 'string' ? SAVED[saved] : undefined,
      referrals: view.referrals,
      household: view.household.map((h) => ({ ...h, relationshipText: labelOf(HOUSEHOLD_RELATIONSHIP_ITEMS, h.relationship) })),
      perpetrators: view.perpetrators.map((p) => ({ ...p, relationshipText: labelOf(PERPETRATOR_RELATIONSHIP_ITEMS, p.relationship) })),
      outcomeRows: outcomeTable(view.outcomes),
      closureText: view.closureReason ? labelOf(CASE_CLOSURE_ITEMS, view.closureReason) : null,
      mayRefer: can(staff, 'referral:create'),
      canSubjectAccess: can(staff, 'person:subject_access'),
      places: data.places.map((p) => ({
        ...p,
        programmeName: programmeName.get(p.serviceId) ?? 'A programme',
        statusText: PLACE_STATUS_LABELS[p.status] ?? p.status,
        statusColour: PLACE_STATUS_COLOURS[p.status] ?? 'govuk-tag--grey',
        detail:
          p.status === 'waiting'
            ? `Number ${p.waitingPosition} on the waiting list; ${p.estimatedStart ? `estimated start ${longDate(p.estimatedStart)}` : 'no course with room is scheduled yet'}.`
            : p.courseStartsOn
              ? `Course starts ${longDate(p.courseStartsOn)}; ${p.attended} ${p.attended === 1 ? 'session' : 'sessions'} attended.`
              : '',
      })),
      offersProgrammes: data.programmes.some((p) => p.status === 'active'),
      // Newest first, as a caseworker reads a history.
      timeline: [...data.timeline].reverse(),
    });
  });

  app.post('/cases/:id/actions/:actionId/done', { config: { web: true, permission: 'case:write' }, schema: { params: ActionParams } }, async (request, reply) => {
    const { id, actionId } = request.params as { id: string; actionId: string };
    try {
      await asActor(request, (tx, actor) => cases.completeAction(tx, actor, id, actionId));
      return reply.redirect(`/cases/${id}?saved=done`, 303);
    } catch (error) {
      // Closed meanwhile, or done already (a second click, a colleague): the case page shows how it
      // stands. A case the actor may not reach is Refused, and answered as not found.
      const settled = error instanceof Conflict || (error instanceof NotFound && !(error instanceof Refused));
      if (!settled) throw error;
      return reply.redirect(`/cases/${id}`, 303);
    }
  });

  /**
   * The safety plan to print and give to the person: no name, no reference, no organisation,
   * no navigation, so a copy that is found says as little as possible. Read (and audited)
   * through the service like any other view of the case.
   */
  app.get('/cases/:id/safety-plan/print', { config: { web: true, permission: 'case:read' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const [plan] = await asActor(request, (tx, actor) => cases.safetyPlanVersions(tx, actor, id));
    if (!plan) throw new NotFound('Safety plan');
    return render(request, reply, 'pages/cases/print.njk', { title: 'Plan', plan, backLink: `/cases/${id}` });
  });

  await app.register(caseFormPages);
}
