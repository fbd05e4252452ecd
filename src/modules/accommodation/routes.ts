import { Type } from 'typebox';
import { IdempotencyHeader, idempotent } from '../../http/idempotency.js';
import { asActor, IdParams, problemResponses, type RoutePlugin } from '../../http/route-kit.js';
import { ReferralView } from '../referrals/schema.js';
import { RefugeReferral, VacancyResults, VacancySearch } from './schema.js';
import * as service from './service.js';

export const accommodationRoutes: RoutePlugin = async (app) => {
  const tags = ['accommodation'];

  app.get(
    '/accommodation/vacancies',
    {
      config: { permission: 'directory:read' },
      schema: {
        tags,
        summary: "Refuges and dispersed accommodation with a vacancy that fits a household (addresses only to the refuge's own staff)",
        querystring: VacancySearch,
        response: { 200: VacancyResults, ...problemResponses, 409: Type.Ref('Problem') },
      },
    },
    async (request) => asActor(request, (tx, actor) => service.searchVacancies(tx, actor, request.query)),
  );

  app.post(
    '/cases/:id/refuge-referrals',
    {
      config: { permission: 'referral:create' },
      schema: {
        tags,
        summary: 'Refer the person of a case to safe accommodation with a vacancy of the unit asked for',
        params: IdParams,
        headers: IdempotencyHeader,
        body: RefugeReferral,
        response: { 201: ReferralView, ...problemResponses, 409: Type.Ref('Problem') },
      },
    },
    async (request, reply) => idempotent(request, reply, 201, (tx, actor) => service.referToRefuge(tx, actor, request.params.id, request.body)),
  );
};
