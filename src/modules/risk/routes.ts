import { Type } from 'typebox';
import { IdempotencyHeader, idempotent } from '../../http/idempotency.js';
import { asActor, IdParams, problemResponses, type RoutePlugin } from '../../http/route-kit.js';
import { AssessmentView, NewAssessment, OfficialWording, QuestionnaireView } from './schema.js';
import * as service from './service.js';

export const riskRoutes: RoutePlugin = async (app) => {
  const tags = ['risk'];

  app.post(
    '/contacts/:id/risk-assessments',
    {
      config: { permission: 'risk:assess' },
      schema: {
        tags,
        summary: 'Submit a completed DASH RIC for a contact: scored, classified, stored immutably',
        params: IdParams,
        headers: IdempotencyHeader,
        body: NewAssessment,
        response: { 201: AssessmentView, ...problemResponses },
      },
    },
    async (request, reply) =>
      idempotent(request, reply, 201, (tx, actor) => service.submitAssessment(tx, actor, request.params.id, request.body)),
  );

  app.get(
    '/contacts/:id/risk-assessments',
    {
      config: { permission: 'risk:read' },
      schema: {
        tags,
        summary: "A contact's risk assessments, newest first",
        params: IdParams,
        response: { 200: Type.Array(AssessmentView), ...problemResponses },
      },
    },
    async (request) => {
      return asActor(request, (tx, actor) => service.listAssessments(tx, actor, request.params.id));
    },
  );

  app.get(
    '/questionnaires/dash-ric',
    {
      config: { permission: 'directory:read' },
      schema: { tags, summary: 'The DASH RIC as this partnership uses it', response: { 200: QuestionnaireView, ...problemResponses } },
    },
    async (request) => {
      return asActor(request, (tx, actor) => service.getQuestionnaire(tx, actor));
    },
  );

  app.put(
    '/questionnaires/dash-ric/wording',
    {
      config: { permission: 'questionnaire:manage' },
      schema: {
        tags,
        summary: "Load the partnership's licensed official SafeLives wording (makes a new version)",
        body: OfficialWording,
        response: { 200: QuestionnaireView, ...problemResponses },
      },
    },
    async (request) => {
      return asActor(request, (tx, actor) => service.loadOfficialWording(tx, actor, request.body));
    },
  );
};
