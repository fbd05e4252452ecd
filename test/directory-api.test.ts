import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPartnership, startApp, type Partnership, type TestApp } from './harness.js';

let t: TestApp;
let p: Partnership;
let refugeId: string;

beforeAll(async () => {
  t = await startApp();
  p = await createPartnership(t.database);
  const refuge = await t.client.as(p.users.coordinator.token).post('/api/v1/services', {
    organisationId: p.orgs.providerA,
    name: 'Hidden refuge',
    kind: 'safe_accommodation',
    riskLevels: ['standard', 'medium', 'high'],
    genders: ['female'],
    confidentialLocation: true,
    address: { line1: '9 Secret Street', town: 'Castlebrook', postcode: 'xb9 9zz' },
    vacancies: [{ unitType: 'single', available: 2, acceptsNoRecourse: true }],
  });
  expect(refuge.status).toBe(201);
  refugeId = refuge.body.id;
});
afterAll(() => t.close());

describe('the directory over the API', () => {
  it('fills sensible defaults for a new service', async () => {
    const created = await t.client.as(p.users.coordinator.token).post('/api/v1/services', {
      organisationId: p.orgs.providerB,
      name: 'Outreach',
      kind: 'outreach',
      riskLevels: ['medium'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'active',
      capacityStatus: 'open',
      languages: ['en'],
      referralRoute: { method: 'spoc_inbox' },
      responseTargets: { high: { acknowledge: { value: 4, unit: 'working_hours' }, firstContact: { value: 1, unit: 'working_days' } } },
    });
    expect(created.body.openingHours).toHaveLength(5);
  });

  it("shows a refuge's address only to the refuge's own staff", async () => {
    const own = await t.client.as(p.users.caseworkerA.token).get(`/api/v1/services/${refugeId}`);
    expect(own.body.address).toEqual({ line1: '9 Secret Street', town: 'Castlebrook', postcode: 'XB9 9ZZ' });
    for (const persona of ['handler', 'coordinator', 'caseworkerB', 'commissioner', 'admin'] as const) {
      const other = await t.client.as(p.users[persona].token).get(`/api/v1/services/${refugeId}`);
      expect(other.status, persona).toBe(200);
      expect(other.body.address, persona).toBeNull();
      expect(other.text).not.toContain('Secret Street');
      const list = await t.client.as(p.users[persona].token).get('/api/v1/services?kind=safe_accommodation');
      expect(list.text).not.toContain('Secret Street');
    }
  });

  it('lets a provider manager keep their own capacity current, and no one else’s', async () => {
    const updated = await t.client.as(p.users.managerA.token).patch(`/api/v1/services/${refugeId}/capacity`, {
      capacityStatus: 'waiting_list',
      vacancies: [{ unitType: 'family_2_children', available: 1, acceptsNoRecourse: false }],
    });
    expect(updated.status).toBe(200);
    expect(updated.body.capacityStatus).toBe('waiting_list');
    expect(updated.body.vacancies).toEqual([{ unitType: 'family_2_children', available: 1, acceptsNoRecourse: false }]);
    const refused = await t.client.as(p.users.caseworkerB.token).patch(`/api/v1/services/${refugeId}/capacity`, { capacityStatus: 'closed' });
    expect(refused.status).toBe(403);
  });

  it('lists the partnership organisations and nobody else’s', async () => {
    const list = await t.client.as(p.users.handler.token).get('/api/v1/organisations');
    expect(list.body.map((o: { id: string }) => o.id).sort()).toEqual(Object.values(p.orgs).sort());
  });

  it('documents every API route in OpenAPI 3.1 (and no web page)', async () => {
    const doc = await t.client.get('/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const all = servedRoutes(t.app.printRoutes({ commonPrefix: false }));
    const served = all.filter((r) => /^\w+ \/(api|oruk|health)/.test(r));
    expect(served.length).toBeGreaterThan(15);
    for (const route of served) expect(documented).toContain(route);
    // The staff web app's pages are served, and kept out of the API description.
    expect(all).toContain('GET /calls/new');
    expect(documented.filter((r) => !/^\w+ \/(api|oruk|health)/.test(r))).toEqual([]);
  });
});

/** Every route in Fastify's printed tree, as "METHOD /path/{param}" (HEAD left out). */
function servedRoutes(tree: string): string[] {
  // paths[d] is the full path of the last node seen at depth d.
  const paths: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│├└─\s]*)(\S+) \(([^)]+)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    const parent = depth > 1 ? paths[depth - 2]! : '';
    const segment = match[2]!;
    const path = parent === '' || parent.endsWith('/') || segment.startsWith('/') ? parent + segment : `${parent}/${segment}`;
    paths[depth - 1] = path;
    paths.length = depth;
    for (const method of match[3]!.split(', ')) {
      if (method !== 'HEAD') routes.push(`${method} ${path.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return routes;
}
