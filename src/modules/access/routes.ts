import { Type } from 'typebox';
import { asActor, problemResponses, type RoutePlugin } from '../../http/route-kit.js';
import { describeActor } from './service.js';

export const accessRoutes: RoutePlugin = async (app) => {
  app.get(
    '/me',
    {
      config: { permission: 'directory:read' },
      schema: {
        tags: ['access'],
        summary: 'Who the bearer token acts as',
        response: {
          200: Type.Object({
            id: Type.String(),
            name: Type.String(),
            email: Type.String(),
            roles: Type.Array(Type.String()),
            organisationId: Type.String(),
            organisationName: Type.String(),
            partnershipSlug: Type.String(),
            partnershipName: Type.String(),
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => asActor(request, (tx, actor) => describeActor(tx, actor)),
  );
};
