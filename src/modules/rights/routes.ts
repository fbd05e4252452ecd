import { IdParams, asActor, problemResponses, type RoutePlugin } from '../../http/route-kit.js';
import { SubjectAccessExport } from './schema.js';
import { subjectAccess } from './subject-access.js';

export const rightsRoutes: RoutePlugin = async (app) => {
  app.get(
    '/people/:id/subject-access',
    {
      config: { permission: 'person:subject_access' },
      schema: {
        tags: ['people'],
        summary: 'Everything held about a person, for a subject access request (audited as an export)',
        params: IdParams,
        response: { 200: SubjectAccessExport, ...problemResponses },
      },
    },
    async (request) => asActor(request, (tx, actor) => subjectAccess(tx, actor, request.params.id, 'json')),
  );
};
