import { Type } from 'typebox';
import { IdParams, asActor, problemResponses, type RoutePlugin } from '../../http/route-kit.js';
import { AccessLog, BreakGlassQuery, BreakGlassRequest, BreakGlassView, Restriction, RestrictionChange, Review } from './schema.js';
import * as service from './service.js';

const tags = ['people'];

export const restrictionRoutes: RoutePlugin = async (app) => {
  app.get(
    '/people/:id/restriction',
    {
      config: { permission: 'person:restrict' },
      schema: { tags, summary: "Whether a person's records are restricted, and to whom", params: IdParams, response: { 200: Restriction, ...problemResponses } },
    },
    async (request) => asActor(request, (tx, actor) => service.getRestriction(tx, actor, request.params.id)),
  );

  app.put(
    '/people/:id/restriction',
    {
      config: { permission: 'person:restrict' },
      schema: {
        tags,
        summary: "Restrict a person's records to named users (you among them), or lift the restriction",
        params: IdParams,
        body: RestrictionChange,
        response: { 200: Restriction, ...problemResponses },
      },
    },
    async (request) => asActor(request, (tx, actor) => service.setRestriction(tx, actor, request.params.id, request.body)),
  );

  app.post(
    '/people/:id/break-glass',
    {
      config: { permission: 'person:break_glass' },
      schema: {
        tags,
        summary: "Open a restricted person's records for an hour, with a reason (audited; your manager reviews it)",
        params: IdParams,
        body: BreakGlassRequest,
        response: { 201: Type.Object({ id: Type.String({ format: 'uuid' }), personId: Type.String({ format: 'uuid' }), expiresAt: Type.String() }), 409: Type.Ref('Problem'), ...problemResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await asActor(request, (tx, actor) => service.breakGlass(tx, actor, request.params.id, request.body.reason))),
  );

  app.get(
    '/people/:id/access-log',
    {
      config: { permission: 'access:review' },
      schema: { tags, summary: "Who read or changed a person's records, newest first (audited)", params: IdParams, response: { 200: AccessLog, ...problemResponses } },
    },
    async (request) => asActor(request, (tx, actor) => service.accessLog(tx, actor, request.params.id)),
  );

  app.get(
    '/break-glass',
    {
      config: { permission: 'access:review' },
      schema: { tags: ['access'], summary: 'Break-glass access to restricted records, for managers to review', querystring: BreakGlassQuery, response: { 200: Type.Array(BreakGlassView), ...problemResponses } },
    },
    async (request) => asActor(request, (tx, actor) => service.listBreakGlass(tx, actor, request.query)),
  );

  app.post(
    '/break-glass/:id/review',
    {
      config: { permission: 'access:review' },
      schema: { tags: ['access'], summary: 'Mark a break-glass line reviewed, with what the review found', params: IdParams, body: Review, response: { 204: Type.Null(), 409: Type.Ref('Problem'), ...problemResponses } },
    },
    async (request, reply) => {
      await asActor(request, (tx, actor) => service.reviewBreakGlass(tx, actor, request.params.id, request.body.note));
      return reply.code(204).send(null);
    },
  );
};
