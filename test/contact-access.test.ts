/**
 * Least access (SPEC §5), over the API, as a table: persona × route → allowed or not,
 * before and after the contact is shared with provider A. Refusals carry no personal data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPartnership, dashAnswers, newContact, startApp, type Partnership, type Persona, type TestApp } from './harness.js';

let t: TestApp;
let p: Partnership;
let other: Partnership;
const SECRET_NAME = 'Morgan Confidential';
const SECRET_PHONE = '07700 900456';

beforeAll(async () => {
  t = await startApp();
  p = await createPartnership(t.database);
  other = await createPartnership(t.database);
});
afterAll(() => t.close());

async function contactOwnedByHub(): Promise<string> {
  const created = await t.client.as(p.users.handler.token).post(
    '/api/v1/contacts',
    newContact({ person: { name: SECRET_NAME, phones: [SECRET_PHONE], postcode: 'XB3 4CD' }, summary: 'secret account' }),
  );
  expect(created.status).toBe(201);
  return created.body.id;
}

type Route = 'read' | 'list' | 'update' | 'share' | 'assess' | 'assessments';

async function attempt(token: string, route: Route, id: string) {
  const client = t.client.as(token);
  switch (route) {
    case 'read':
      return client.get(`/api/v1/contacts/${id}`);
    case 'list': {
      const answer = await client.get(`/api/v1/contacts?q=${encodeURIComponent(SECRET_NAME)}`);
      const found = answer.status === 200 && answer.body.items.some((c: { id: string }) => c.id === id);
      return { ...answer, status: found ? 200 : answer.status === 200 ? 404 : answer.status };
    }
    case 'update':
      return client.patch(`/api/v1/contacts/${id}`, { summary: 'changed by someone' });
    case 'share':
      // Shared with the police organisation, whose professionals see only what they referred: the table stays as it is.
      return client.post(`/api/v1/contacts/${id}/shares`, { organisationId: p.orgs.police, reason: 'test' });
    case 'assess':
      return client.post(`/api/v1/contacts/${id}/risk-assessments`, { answers: dashAnswers(3) });
    case 'assessments':
      return client.get(`/api/v1/contacts/${id}/risk-assessments`);
  }
}

const OK: Record<Route, number> = { read: 200, list: 200, update: 200, share: 200, assess: 201, assessments: 200 };

// Who may do what to a contact owned by the SPOC hub and not shared.
const UNSHARED: Record<Persona, Route[]> = {
  handler: ['read', 'list', 'update', 'share', 'assess', 'assessments'],
  coordinator: ['read', 'list', 'update', 'share', 'assess', 'assessments'],
  marac: ['read', 'list', 'assess', 'assessments'],
  admin: [],
  caseworkerA: [],
  managerA: [],
  caseworkerB: [],
  professional: [],
  professional2: [],
  commissioner: [],
};

// Once shared with provider A, its people may read it (and assess), never change the SPOC's record.
const SHARED_WITH_A: Record<Persona, Route[]> = {
  ...UNSHARED,
  caseworkerA: ['read', 'list', 'assess', 'assessments'],
  managerA: ['read', 'list', 'assessments'],
};

const ROUTES: Route[] = ['read', 'list', 'update', 'share', 'assess', 'assessments'];
const PERSONAS = Object.keys(UNSHARED) as Persona[];

async function checkTable(table: Record<Persona, Route[]>, id: string) {
  for (const persona of PERSONAS) {
    for (const route of ROUTES) {
      const answer = await attempt(p.users[persona].token, route, id);
      const allowed = table[persona].includes(route);
      const label = `${persona} ${route}`;
      if (allowed) {
        expect(answer.status, label).toBe(OK[route]);
      } else {
        expect([403, 404], `${label} -> ${answer.status}`).toContain(answer.status);
        expect(answer.text, label).not.toContain(SECRET_NAME);
        expect(answer.text, label).not.toContain(SECRET_PHONE);
        expect(answer.text, label).not.toContain('secret account');
      }
    }
  }
}

describe('contact access over the API', () => {
  it('follows the table for a contact that is not shared', async () => {
    await checkTable(UNSHARED, await contactOwnedByHub());
  });

  it('follows the table once the contact is shared with provider A', async () => {
    const id = await contactOwnedByHub();
    const shared = await t.client.as(p.users.handler.token).post(`/api/v1/contacts/${id}/shares`, {
      organisationId: p.orgs.providerA,
      reason: 'Referral for support',
    });
    expect(shared.status).toBe(200);
    expect(shared.body.sharedWith).toEqual([p.orgs.providerA]);
    await checkTable(SHARED_WITH_A, id);
  });

  it('refuses every user of another partnership, whatever their role', async () => {
    const id = await contactOwnedByHub();
    for (const persona of PERSONAS) {
      for (const route of ROUTES) {
        const answer = await attempt(other.users[persona].token, route, id);
        expect([403, 404], `${persona} ${route}`).toContain(answer.status);
        expect(answer.text).not.toContain(SECRET_NAME);
      }
    }
  });

  it('answers a refused read exactly as a missing contact', async () => {
    const id = await contactOwnedByHub();
    const refused = await t.client.as(p.users.caseworkerB.token).get(`/api/v1/contacts/${id}`);
    const missing = await t.client.as(p.users.caseworkerB.token).get('/api/v1/contacts/00000000-0000-4000-8000-000000000000');
    expect(refused.status).toBe(404);
    expect({ ...refused.body, requestId: null }).toEqual({ ...missing.body, requestId: null });
  });

  it('refuses requests without a valid token', async () => {
    const id = await contactOwnedByHub();
    expect((await t.client.as(undefined).get(`/api/v1/contacts/${id}`)).status).toBe(401);
    expect((await t.client.as('spoc_not_a_real_token_at_all_xxxxxxxx').get(`/api/v1/contacts/${id}`)).status).toBe(401);
    const noToken = await t.client.as(undefined).post('/api/v1/contacts', { bad: 'input' });
    expect(noToken.status).toBe(401);
  });

  it('refuses an organisation outside the partnership as a share target', async () => {
    const id = await contactOwnedByHub();
    const answer = await t.client.as(p.users.handler.token).post(`/api/v1/contacts/${id}/shares`, {
      organisationId: other.orgs.providerA,
      reason: 'wrong partnership',
    });
    expect(answer.status).toBe(422);
    expect(answer.body.errors[0].field).toBe('/organisationId');
  });
});
