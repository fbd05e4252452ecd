import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPartnership, dashAnswers, newContact, startApp, type Partnership, type TestApp } from './harness.js';

let t: TestApp;
let p: Partnership;
const handler = () => t.client.as(p.users.handler.token);

beforeAll(async () => {
  t = await startApp();
  p = await createPartnership(t.database);
});
afterAll(() => t.close());

async function contact(): Promise<string> {
  return (await handler().post('/api/v1/contacts', newContact())).body.id;
}

describe('risk assessments over the API', () => {
  it('scores, classifies and explains a checklist', async () => {
    const id = await contact();
    const answer = await handler().post(`/api/v1/contacts/${id}/risk-assessments`, { answers: dashAnswers(14), policeCallouts12m: 1 });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ yesCount: 14, level: 'high', scoreLevel: 'high', current: true, questionnaire: { code: 'dash-ric', version: 1 } });
    expect(answer.body.reasons[0].message).toMatch(/14 of 24/);
  });

  it('records judgement with its reason and who made it', async () => {
    const id = await contact();
    const answer = await handler().post(`/api/v1/contacts/${id}/risk-assessments`, {
      answers: dashAnswers(4),
      professionalJudgement: { level: 'high', reason: 'Recent non-fatal strangulation' },
    });
    expect(answer.body).toMatchObject({ level: 'high', scoreLevel: 'standard', assessedBy: p.users.handler.id });
    expect(answer.body.professionalJudgement).toEqual({ level: 'high', reason: 'Recent non-fatal strangulation' });
  });

  it('returns the risk prompts with the result', async () => {
    const id = await contact();
    const answers = { ...dashAnswers(0), q15: 'yes', q14: 'yes' };
    const answer = await handler().post(`/api/v1/contacts/${id}/risk-assessments`, { answers });
    expect(answer.body.level).toBe('standard');
    expect(answer.body.prompts.map((x: { id: string }) => x.id)).toEqual(['strangulation', 'threats_to_kill']);
  });

  it('keeps a completed checklist immutable: a new one supersedes it', async () => {
    const id = await contact();
    const first = await handler().post(`/api/v1/contacts/${id}/risk-assessments`, { answers: dashAnswers(5) });
    const second = await handler().post(`/api/v1/contacts/${id}/risk-assessments`, { answers: dashAnswers(11) });
    expect(second.body.supersedesId).toBe(first.body.id);
    const list = await handler().get(`/api/v1/contacts/${id}/risk-assessments`);
    expect(list.body.map((a: { id: string; current: boolean; level: string }) => [a.id, a.current, a.level])).toEqual([
      [second.body.id, true, 'medium'],
      [first.body.id, false, 'standard'],
    ]);
    await expect(
      t.database.db.updateTable('risk_assessments').set({ level: 'high' }).where('id', '=', first.body.id).execute(),
    ).rejects.toThrow(/append-only/);
  });

  it('serves the questionnaire as data, and loads a partnership’s licensed wording as a new version', async () => {
    const coordinator = t.client.as(p.users.coordinator.token);
    const definition = await coordinator.get('/api/v1/questionnaires/dash-ric');
    expect(definition.body.questions).toHaveLength(24);
    expect(definition.body.version).toBe(1);
    expect(definition.body.thresholds).toEqual({ highYesCount: 14, mediumYesCount: 10, escalationIncidents: 3 });
    const questions = Object.fromEntries(definition.body.questions.map((q: { id: string }) => [q.id, `Official wording of ${q.id}`]));
    const loaded = await coordinator.put('/api/v1/questionnaires/dash-ric/wording', { source: 'Partnership licensed copy 2026', questions });
    expect(loaded.status).toBe(200);
    expect(loaded.body.version).toBe(2);
    expect(loaded.body.questions[13].officialWording).toBe('Official wording of q14');
    expect(loaded.body.questions[13].prompt).toBe(definition.body.questions[13].prompt);
    const id = await contact();
    const assessed = await handler().post(`/api/v1/contacts/${id}/risk-assessments`, { answers: dashAnswers(1) });
    expect(assessed.body.questionnaire.version).toBe(2);
    expect((await handler().put('/api/v1/questionnaires/dash-ric/wording', { source: 'x', questions })).status).toBe(403);
  });
});
