import { Type } from 'typebox';
import { asActor, problemResponses, type RoutePlugin } from '../../http/route-kit.js';
import { Report, ReportQuery } from './schema.js';
import * as service from './service.js';

export const reportRoutes: RoutePlugin = async (app) => {
  const tags = ['reports'];

  app.get(
    '/reports',
    {
      config: { permission: 'report:read' },
      schema: {
        tags,
        summary: "Every measure of a period as tables: your organisation's exactly, anything wider with counts from 1 to 4 suppressed",
        querystring: ReportQuery,
        response: { 200: Report, ...problemResponses },
      },
    },
    async (request) => asActor(request, (tx, actor) => service.report(tx, actor, request.query, { beside: app.database.beside })),
  );

  app.get(
    '/reports/tables/:table.csv',
    {
      config: { permission: 'report:read' },
      schema: {
        tags,
        summary: 'One table of the report as CSV',
        params: Type.Object({ table: Type.String({ pattern: '^[a-z][a-zA-Z-]{1,40}$' }) }, { additionalProperties: false }),
        querystring: ReportQuery,
        produces: ['text/csv'],
      },
    },
    async (request, reply) => {
      const csv = await asActor(request, async (tx, actor) => {
        const report = await service.report(tx, actor, request.query, { audit: 'report.export', beside: app.database.beside });
        return service.csvOfTable(report, request.params.table);
      });
      return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${request.params.table}.csv"`).send(csv);
    },
  );

  app.get(
    '/reports/quarterly-return.csv',
    {
      config: { permission: 'report:read' },
      schema: {
        tags,
        summary: 'The quarterly return as one CSV (table, row, column, value); the last ended quarter unless date names a day in another',
        querystring: ReportQuery,
        produces: ['text/csv'],
      },
    },
    async (request, reply) => {
      const report = await asActor(request, (tx, actor) => service.quarterlyReturn(tx, actor, request.query, app.database.beside));
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="quarterly-return-${report.period.from}.csv"`)
        .send(service.returnCsv(report));
    },
  );
};
