import { Type, type TSchema } from 'typebox';
import type { Tx } from '../../db/transaction.js';
import type { Actor } from '../access/actor.js';
import { IdempotencyHeader, idempotent } from '../../http/idempotency.js';
import { asActor, IdParams, problemResponses, type RoutePlugin } from '../../http/route-kit.js';
import { Uuid } from '../../lib/schema.js';
import {
  CaseListQuery,
  CasePerpetrator,
  CaseSummary,
  CaseView,
  CloseCase,
  HouseholdMember,
  MatchDecision,
  MatchView,
  NewAction,
  NewNote,
  NewOutcome,
  NewSafetyPlan,
  NoteView,
  PersonPatch,
  PersonView,
  SafetyPlanView,
  TaskView,
  TimelineEntry,
} from './schema.js';
import * as service from './service.js';

const ActionParams = Type.Object({ id: Uuid, actionId: Uuid }, { additionalProperties: false });

export const caseRoutes: RoutePlugin = async (app) => {
  const people = ['people'];
  const tags = ['cases'];
  const responses = (ok: TSchema, code: 200 | 201 = 200) => ({ ...problemResponses, 409: Type.Ref('Problem'), [code]: ok });

  app.get(
    '/contacts/:id/matches',
    {
      config: { permission: 'person:match' },
      schema: { tags: people, summary: 'Known people this contact may be about, ranked with reasons (never merged automatically)', params: IdParams, response: responses(MatchView) },
    },
    async (request) => asActor(request, (tx, actor) => service.matchesFor(tx, actor, request.params.id)),
  );

  app.post(
    '/contacts/:id/matches',
    {
      config: { permission: 'person:match' },
      schema: { tags: people, summary: 'Confirm or reject a proposed match (recorded either way)', params: IdParams, body: MatchDecision, response: responses(MatchView) },
    },
    async (request) => asActor(request, (tx, actor) => service.decideMatch(tx, actor, request.params.id, request.body)),
  );

  app.post(
    '/contacts/:id/person',
    {
      config: { permission: 'person:match' },
      schema: { tags: people, summary: 'Record the contact as a person not known before', params: IdParams, response: { 201: MatchView, ...problemResponses, 409: Type.Ref('Problem') } },
    },
    async (request, reply) => reply.code(201).send(await asActor(request, (tx, actor) => service.createPersonFromContact(tx, actor, request.params.id))),
  );

  app.get(
    '/cases',
    {
      config: { permission: 'case:read' },
      schema: { tags, summary: "Your organisation's cases", querystring: CaseListQuery, response: responses(Type.Array(CaseSummary)) },
    },
    async (request) => asActor(request, (tx, actor) => service.listCases(tx, actor, request.query)),
  );

  app.get(
    '/cases/:id',
    { config: { permission: 'case:read' }, schema: { tags, summary: 'One case of your organisation', params: IdParams, response: responses(CaseView) } },
    async (request) => asActor(request, (tx, actor) => service.getCase(tx, actor, request.params.id)),
  );

  app.get(
    '/cases/:id/person',
    { config: { permission: 'case:read' }, schema: { tags, summary: "The case's person, with identifiers", params: IdParams, response: responses(PersonView) } },
    async (request) => asActor(request, (tx, actor) => service.personOfCase(tx, actor, request.params.id)),
  );

  app.patch(
    '/cases/:id/person',
    {
      config: { permission: 'case:write' },
      schema: { tags, summary: 'Correct or add to what is known of the person (other names, identifiers, numbers)', params: IdParams, body: PersonPatch, response: responses(PersonView) },
    },
    async (request) => asActor(request, (tx, actor) => service.updatePerson(tx, actor, request.params.id, request.body)),
  );

  app.get(
    '/cases/:id/timeline',
    {
      config: { permission: 'case:read' },
      schema: { tags, summary: 'Everything that happened on the case, oldest first', params: IdParams, response: responses(Type.Array(TimelineEntry)) },
    },
    async (request) => asActor(request, (tx, actor) => service.timeline(tx, actor, request.params.id)),
  );

  /** A POST that adds something to a case: idempotent, answered 201. */
  const creating = <B>(url: string, summary: string, body: TSchema, response: TSchema, operation: (tx: Tx, actor: Actor, id: string, input: B) => Promise<object>) =>
    app.post(
      url,
      { config: { permission: 'case:write' }, schema: { tags, summary, params: IdParams, headers: IdempotencyHeader, body, response: responses(response, 201) } },
      async (request, reply) => idempotent(request, reply, 201, (tx, actor) => operation(tx, actor, (request.params as { id: string }).id, request.body as B)),
    );

  creating('/cases/:id/household', 'Add a household member (a child: date of birth and school)', HouseholdMember, CaseView, service.addHouseholdMember);
  creating('/cases/:id/perpetrators', 'Record an alleged perpetrator (their numbers feed the perpetrator alert)', CasePerpetrator, CaseView, service.addPerpetrator);
  creating('/cases/:id/notes', 'Write a note (sensitive: seen only by your organisation)', NewNote, NoteView, service.addNote);
  creating('/cases/:id/actions', 'Add an action with an owner and a due date', NewAction, CaseView, service.addAction);
  creating('/cases/:id/safety-plans', 'Write a new version of the safety plan from a template', NewSafetyPlan, SafetyPlanView, service.writeSafetyPlan);
  creating('/cases/:id/outcomes', 'Record outcome measures at intake or at exit', NewOutcome, CaseView, service.recordOutcome);

  app.get(
    '/cases/:id/notes',
    {
      config: { permission: 'case:read' },
      schema: { tags, summary: "Notes on the case's person you may read: your organisation's, and others' not marked sensitive", params: IdParams, response: responses(Type.Array(NoteView)) },
    },
    async (request) => asActor(request, (tx, actor) => service.listNotes(tx, actor, request.params.id)),
  );

  app.get(
    '/cases/:id/safety-plans',
    {
      config: { permission: 'case:read' },
      schema: { tags, summary: 'Every version of the safety plan, newest first', params: IdParams, response: responses(Type.Array(SafetyPlanView)) },
    },
    async (request) => asActor(request, (tx, actor) => service.safetyPlanVersions(tx, actor, request.params.id)),
  );

  app.post(
    '/cases/:id/actions/:actionId/done',
    { config: { permission: 'case:write' }, schema: { tags, summary: 'Mark an action done', params: ActionParams, response: responses(CaseView) } },
    async (request) => asActor(request, (tx, actor) => service.completeAction(tx, actor, request.params.id, request.params.actionId)),
  );

  app.post(
    '/cases/:id/close',
    { config: { permission: 'case:write' }, schema: { tags, summary: 'Close the case with a reason', params: IdParams, body: CloseCase, response: responses(CaseView) } },
    async (request) => asActor(request, (tx, actor) => service.closeCase(tx, actor, request.params.id, request.body)),
  );

  app.get(
    '/safety-plan-templates',
    {
      config: { permission: 'case:read' },
      schema: {
        tags,
        summary: "The partnership's safety-plan templates",
        response: responses(
          Type.Array(
            Type.Object({
              id: Uuid,
              code: Type.String(),
              version: Type.Integer(),
              title: Type.String(),
              sections: Type.Array(Type.Object({ id: Type.String(), title: Type.String(), hint: Type.String() })),
            }),
          ),
        ),
      },
    },
    async (request) => asActor(request, (tx, actor) => service.listTemplates(tx, actor)),
  );

  app.get(
    '/tasks',
    {
      config: { permission: 'case:read' },
      schema: { tags, summary: 'Your open actions and the safety-plan reviews due within a week', response: responses(Type.Array(TaskView)) },
    },
    async (request) => asActor(request, (tx, actor) => service.tasks(tx, actor)),
  );
};
