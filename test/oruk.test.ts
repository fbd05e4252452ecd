/**
 * The directory in Open Referral UK (HSDS 3.0, UK profile): the public API's shapes, the
 * refuge rule, and an export that imports into an empty database unchanged.
 */
import { Ajv } from 'ajv';
import * as addFormatsModule from 'ajv-formats';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/connect.js';
import { inTransaction } from '../src/db/transaction.js';
import { exportDirectory, importDirectory } from '../src/modules/directory/oruk-io.js';
import { seedDemo } from '../src/seed/demo.js';
import { provisionPartnership } from '../src/seed/partnership.js';
import { emptyDatabase, startApp, type TestApp } from './harness.js';

const addFormats = (addFormatsModule as unknown as { default: (ajv: Ajv) => Ajv }).default;
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));

// What the UK profile requires (OpenReferralUK/uk-profile: profile/service.json, schema/*.json, schema/openapi.json).
const Uuid = Type.String({ format: 'uuid' });
const Attribute = Type.Object({ id: Uuid, link_id: Uuid, link_type: Type.String(), taxonomy_term_id: Uuid, taxonomy_term: Type.Object({ id: Uuid, taxonomy: Type.String() }) });
const Organization = Type.Object({ id: Uuid, name: Type.String(), description: Type.String() });
const ServiceList = Type.Object({
  id: Uuid,
  organization_id: Uuid,
  name: Type.String(),
  description: Type.String(),
  url: Type.String({ format: 'uri' }),
  status: Type.Union([Type.Literal('active'), Type.Literal('inactive'), Type.Literal('defunct'), Type.Literal('temporarily closed')]),
  minimum_age: Type.Optional(Type.Number()),
  maximum_age: Type.Optional(Type.Number()),
  last_modified: Type.String({ format: 'date-time' }),
});
const ServiceFull = Type.Intersect([
  ServiceList,
  Type.Object({
    organization: Organization,
    schedules: Type.Array(Type.Object({ id: Uuid, freq: Type.Literal('WEEKLY'), byday: Type.String({ pattern: '^(MO|TU|WE|TH|FR|SA|SU)$' }), opens_at: Type.String({ pattern: '^[0-2][0-9]:[0-5][0-9]:[0-5][0-9]$' }), closes_at: Type.String({ pattern: '^[0-2][0-9]:[0-5][0-9]:[0-5][0-9]$' }) })),
    service_areas: Type.Array(Type.Object({ id: Uuid, name: Type.String() })),
    languages: Type.Array(Type.Object({ id: Uuid, code: Type.String() })),
    service_at_locations: Type.Array(Type.Object({ id: Uuid, location: Type.Object({ id: Uuid, addresses: Type.Array(Type.Object({ id: Uuid, address_1: Type.String(), city: Type.String(), postal_code: Type.String(), country: Type.String(), address_type: Type.String() })) }) })),
    attributes: Type.Array(Attribute),
  }),
]);
const Page = (item: object) =>
  Type.Object({
    total_items: Type.Integer(),
    total_pages: Type.Integer(),
    page_number: Type.Integer(),
    size: Type.Integer(),
    first_page: Type.Boolean(),
    last_page: Type.Boolean(),
    empty: Type.Boolean(),
    contents: Type.Array(item as never),
  });
const Taxonomy = Type.Object({ id: Uuid, name: Type.String(), description: Type.String() });

function conforms(schema: object, value: unknown): void {
  const check = ajv.compile(schema);
  expect(check(value) ? [] : check.errors).toEqual([]);
}

let source: { database: Database; drop: () => Promise<void> };
let t: TestApp;

beforeAll(async () => {
  source = await emptyDatabase();
  await inTransaction(source.database.db, null, (tx) => seedDemo(tx));
  t = await startApp(source.database);
});
afterAll(async () => {
  await t.close();
  await source.drop();
});

describe('the Open Referral UK API', () => {
  it('describes itself at /oruk/, open to any origin', async () => {
    const answer = await t.client.get('/oruk/');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
    expect(answer.body).toEqual({ version: '3.0', profile: expect.stringMatching(/^https:/), openapi_url: expect.stringMatching(/\/openapi\.json$/) });
  });

  it('pages services with the standard page fields', async () => {
    const first = await t.client.get('/oruk/services?per_page=5');
    conforms(Page(ServiceList), first.body);
    expect(first.body).toMatchObject({ page_number: 1, size: 5, first_page: true, last_page: false, empty: false });
    expect(first.body.total_items).toBeGreaterThanOrEqual(12);
    const last = await t.client.get(`/oruk/services?per_page=5&page=${first.body.total_pages}`);
    expect(last.body.last_page).toBe(true);
    const all = await t.client.get('/oruk/services?per_page=500');
    expect(all.body.contents).toHaveLength(first.body.total_items);
    expect(new Set(all.body.contents.map((s: { id: string }) => s.id)).size).toBe(first.body.total_items);
    const beyond = await t.client.get(`/oruk/services?per_page=5&page=${first.body.total_pages + 1}`);
    expect(beyond.body).toMatchObject({ empty: true, size: 0 });
    expect((await t.client.get('/oruk/services?per_page=0')).status).toBe(400);
  });

  it('serves each service fully nested, and no refuge address', async () => {
    const all = (await t.client.get('/oruk/services?per_page=500')).body.contents as Array<{ id: string }>;
    let refuges = 0;
    for (const { id } of all) {
      const answer = await t.client.get(`/oruk/services/${id}`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('access-control-allow-origin')).toBe('*');
      conforms(ServiceFull, answer.body);
      const kind = answer.body.attributes.find((a: { taxonomy_term: { taxonomy: string } }) => a.taxonomy_term.taxonomy === 'service-kinds');
      if (kind.taxonomy_term.code === 'safe_accommodation') {
        refuges += 1;
        expect(answer.body.service_at_locations).toEqual([]);
        expect(answer.text).not.toMatch(/Example Row|Example Close|XB9 9ZZ|XB8 8ZZ/);
      }
    }
    expect(refuges).toBe(2);
    const missing = await t.client.get('/oruk/services/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('lists its taxonomies and terms', async () => {
    const taxonomies = await t.client.get('/oruk/taxonomies');
    conforms(Page(Taxonomy), taxonomies.body);
    expect(taxonomies.body.contents.map((x: { name: string }) => x.name)).toContain('spoc service kinds');
    const terms = await t.client.get('/oruk/taxonomy_terms?per_page=500');
    expect(terms.body.contents.map((x: { code: string }) => x.code)).toEqual(expect.arrayContaining(['idva', 'perpetrator_programme', 'high']));
  });
});

describe('export and import', () => {
  it('leaves refuge addresses out of an export unless asked', async () => {
    const plain = await inTransaction(source.database.db, null, async (tx) => {
      const { id } = await tx.selectFrom('partnerships').select('id').where('slug', '=', 'castlebrook').executeTakeFirstOrThrow();
      return exportDirectory(tx, id, { includeConfidential: false });
    });
    expect(JSON.stringify(plain)).not.toMatch(/Example Row|Example Close/);
  });

  it('imports an export into an empty database and gives the same directory', async () => {
    const partnershipId = async (database: Database, slug: string) =>
      (await database.db.selectFrom('partnerships').select('id').where('slug', '=', slug).executeTakeFirstOrThrow()).id;
    const exportOf = (database: Database, id: string) =>
      inTransaction(database.db, null, (tx) => exportDirectory(tx, id, { includeConfidential: true, baseUrl: 'https://spoc.example' }));

    const original = await exportOf(source.database, await partnershipId(source.database, 'castlebrook'));
    expect(JSON.stringify(original)).toMatch(/Example Row/);
    const target = await emptyDatabase();
    try {
      const { partnership, hub } = await inTransaction(target.database.db, null, (tx) =>
        provisionPartnership(tx, { slug: 'castlebrook', name: 'Castlebrook again', hubSlug: 'castlebrook-spoc', hubName: 'Castlebrook SPOC' }),
      );
      const document = JSON.parse(JSON.stringify(original));
      const result = await inTransaction(target.database.db, null, (tx) => importDirectory(tx, partnership.id, document));
      expect(result.services).toBe(original.services.length);

      const copy = await exportOf(target.database, partnership.id);
      // The target's SPOC hub is its own: everything else keeps its id.
      const originalHub = original.organizations.find((o) => o.attributes.some((a) => a.value === '"spoc_hub"'))!.id;
      // (The hub's attributes take their ids from the hub's.)
      const normalise = (doc: typeof original) =>
        JSON.parse(JSON.stringify({ ...doc, exported_at: null }).replaceAll(hub.id, 'HUB').replaceAll(originalHub, 'HUB'), (_key, value) =>
          value && typeof value === 'object' && value.link_id === 'HUB' ? { ...value, id: 'HUB-ATTRIBUTE' } : value,
        );
      const withoutTimes = (doc: unknown) => JSON.parse(JSON.stringify(doc).replace(/"last_modified":"[^"]+"/g, '"last_modified":null'));
      expect(withoutTimes(normalise(copy))).toEqual(withoutTimes(normalise(original)));

      // Importing the same document again changes nothing.
      await inTransaction(target.database.db, null, (tx) => importDirectory(tx, partnership.id, document));
      expect(withoutTimes(normalise(await exportOf(target.database, partnership.id)))).toEqual(withoutTimes(normalise(original)));
    } finally {
      await target.drop();
    }
  });

  it('refuses a bad document naming the field, and imports nothing', async () => {
    const target = await emptyDatabase();
    try {
      const { partnership } = await inTransaction(target.database.db, null, (tx) =>
        provisionPartnership(tx, { slug: 'elsewhere', name: 'Elsewhere', hubSlug: 'hub', hubName: 'Hub' }),
      );
      const original = await inTransaction(source.database.db, null, async (tx) => {
        const { id } = await tx.selectFrom('partnerships').select('id').where('slug', '=', 'castlebrook').executeTakeFirstOrThrow();
        return exportDirectory(tx, id, { includeConfidential: false });
      });
      const broken = JSON.parse(JSON.stringify(original));
      broken.services[2].attributes = broken.services[2].attributes.filter((a: { taxonomy_term: { taxonomy: string } }) => a.taxonomy_term.taxonomy !== 'risk-levels');
      await expect(inTransaction(target.database.db, null, (tx) => importDirectory(tx, partnership.id, broken))).rejects.toMatchObject({
        errors: [expect.objectContaining({ field: '/services/2/riskLevels' })],
      });
      await expect(inTransaction(target.database.db, null, (tx) => importDirectory(tx, partnership.id, { services: 'none' }))).rejects.toMatchObject({
        errors: [expect.objectContaining({ field: '/services' })],
      });
      const count = await target.database.db.selectFrom('services').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(0);
      const orgs = await target.database.db.selectFrom('organisations').select('id').execute();
      expect(orgs).toHaveLength(1);
    } finally {
      await target.drop();
    }
  });
});
