/**
 * The directory as a read-only Open Referral UK API (SPEC §4): open without a key, with
 * `Access-Control-Allow-Origin: *`, so other local directories can consume it. Refuges
 * publish no address.
 */
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { NotFound } from '../../lib/errors.js';
import type { RoutePlugin } from '../../http/route-kit.js';
import { publicPartnershipId } from '../access/service.js';
import { fallbackUrl } from './oruk-io.js';
import { ORUK_PROFILE, ORUK_VERSION, orukTaxonomies, orukTaxonomyTerms, page, serviceListItem, serviceToOruk } from './oruk.js';
import { listOrganisations, toView } from './service.js';
import * as store from './store.js';

const Paging = Type.Object(
  {
    page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
    per_page: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  },
  { additionalProperties: false },
);

const PageFields = {
  total_items: Type.Integer(),
  total_pages: Type.Integer(),
  page_number: Type.Integer(),
  size: Type.Integer(),
  first_page: Type.Boolean(),
  last_page: Type.Boolean(),
  empty: Type.Boolean(),
};

export const orukRoutes: RoutePlugin = async (app) => {
  const db = app.database.db;
  const tags = ['Open Referral UK'];
  const publicRoute = { config: { public: true } } as const;

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('access-control-allow-origin', '*');
    reply.header('cache-control', 'public, max-age=300');
    return payload;
  });

  const baseUrl = (request: FastifyRequest): string => app.config.publicUrl ?? `${request.protocol}://${request.host}`;

  /** The partnership this server publishes: the configured one, or the only one. */
  function publishedPartnership(): Promise<string> {
    return publicPartnershipId(db, app.config.publicPartnership);
  }

  async function fullServices(request: FastifyRequest, filter: { id?: string; limit?: number; offset?: number }) {
    const partnershipId = await publishedPartnership();
    const organisations = new Map((await listOrganisations(db, partnershipId)).map((o) => [o.id, o]));
    let q = store.selectServices(db, partnershipId);
    if (filter.id) q = q.where('s.id', '=', filter.id);
    if (filter.limit !== undefined) q = q.limit(filter.limit).offset(filter.offset ?? 0);
    const rows = await q.execute();
    const total = filter.id ? rows.length : Number((await db.selectFrom('services').select((eb) => eb.fn.countAll<number>().as('n')).where('partnership_id', '=', partnershipId).executeTakeFirstOrThrow()).n);
    const services = rows.map((row) =>
      serviceToOruk(toView(row, { showAddress: false }), organisations.get(row.organisation_id)!, {
        includeConfidential: false,
        fallbackUrl: fallbackUrl(baseUrl(request)),
      }),
    );
    return { services, total };
  }

  app.get(
    '/',
    {
      ...publicRoute,
      schema: {
        tags,
        security: [],
        summary: 'About this API and its relationship with HSDS',
        response: { 200: Type.Object({ version: Type.String(), profile: Type.String(), openapi_url: Type.String() }) },
      },
    },
    async (request) => ({ version: ORUK_VERSION, profile: ORUK_PROFILE, openapi_url: `${baseUrl(request)}/openapi.json` }),
  );

  app.get(
    '/services',
    {
      ...publicRoute,
      schema: {
        tags,
        security: [],
        summary: 'A page of services (one-to-one fields)',
        querystring: Paging,
        response: { 200: Type.Object({ ...PageFields, contents: Type.Array(Type.Record(Type.String(), Type.Unknown())) }) },
      },
    },
    async (request) => {
      const { page: pageNumber, per_page: perPage } = request.query;
      const { services, total } = await fullServices(request, { limit: perPage, offset: (pageNumber - 1) * perPage });
      return page(services.map(serviceListItem), pageNumber, perPage, total);
    },
  );

  app.get(
    '/services/:id',
    {
      ...publicRoute,
      schema: {
        tags,
        security: [],
        summary: 'One service, fully nested',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: Type.Record(Type.String(), Type.Unknown()) },
      },
    },
    async (request) => {
      const { services } = await fullServices(request, { id: request.params.id });
      if (services.length === 0) throw new NotFound('Service');
      return services[0];
    },
  );

  app.get(
    '/taxonomies',
    {
      ...publicRoute,
      schema: {
        tags,
        security: [],
        summary: "A page of the taxonomies spoc's services are described with",
        querystring: Paging,
        response: { 200: Type.Object({ ...PageFields, contents: Type.Array(Type.Record(Type.String(), Type.Unknown())) }) },
      },
    },
    async (request) => {
      const { page: pageNumber, per_page: perPage } = request.query;
      const all = orukTaxonomies();
      return page(all.slice((pageNumber - 1) * perPage, pageNumber * perPage), pageNumber, perPage, all.length);
    },
  );

  app.get(
    '/taxonomy_terms',
    {
      ...publicRoute,
      schema: {
        tags,
        security: [],
        summary: 'A page of taxonomy terms',
        querystring: Paging,
        response: { 200: Type.Object({ ...PageFields, contents: Type.Array(Type.Record(Type.String(), Type.Unknown())) }) },
      },
    },
    async (request) => {
      const { page: pageNumber, per_page: perPage } = request.query;
      const all = orukTaxonomyTerms();
      return page(all.slice((pageNumber - 1) * perPage, pageNumber * perPage), pageNumber, perPage, all.length);
    },
  );
};
