import { Type } from 'typebox';
import { asActor, IdParams, problemResponses, type RoutePlugin } from '../../http/route-kit.js';
import { CapacityUpdate, NewService, OrganisationView, ServiceListQuery, ServiceView } from './schema.js';
import * as service from './service.js';

export const directoryRoutes: RoutePlugin = async (app) => {
  const tags = ['directory'];

  app.get(
    '/organisations',
    {
      config: { permission: 'directory:read' },
      schema: { tags, summary: "The partnership's organisations", response: { 200: Type.Array(OrganisationView), ...problemResponses } },
    },
    async (request) => asActor(request, (tx, actor) => service.listOrganisations(tx, actor.partnershipId)),
  );

  app.get(
    '/services',
    {
      config: { permission: 'directory:read' },
      schema: {
        tags,
        summary: "The partnership's services (refuge addresses only to the refuge's own staff)",
        querystring: ServiceListQuery,
        response: { 200: Type.Array(ServiceView), ...problemResponses },
      },
    },
    async (request) => asActor(request, (tx, actor) => service.listServices(tx, actor, request.query)),
  );

  app.get(
    '/services/:id',
    {
      config: { permission: 'directory:read' },
      schema: { tags, summary: 'One service', params: IdParams, response: { 200: ServiceView, ...problemResponses } },
    },
    async (request) => asActor(request, (tx, actor) => service.getService(tx, actor, request.params.id)),
  );

  app.post(
    '/services',
    {
      config: { permission: 'directory:manage' },
      schema: { tags, summary: 'Add a service to the directory', body: NewService, response: { 201: ServiceView, ...problemResponses } },
    },
    async (request, reply) => {
      const created = await asActor(request, async (tx, actor) => {
        const id = await service.createService(tx, actor, actor.partnershipId, request.body);
        return service.getService(tx, actor, id);
      });
      return reply.code(201).header('location', `/api/v1/services/${created.id}`).send(created);
    },
  );

  app.patch(
    '/services/:id/capacity',
    {
      config: { permission: 'directory:manage' },
      schema: {
        tags,
        summary: "Update a service's capacity and vacancies",
        params: IdParams,
        body: CapacityUpdate,
        response: { 200: ServiceView, ...problemResponses },
      },
    },
    async (request) => asActor(request, (tx, actor) => service.updateCapacity(tx, actor, request.params.id, request.body)),
  );
};
