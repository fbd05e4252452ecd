import type { Kysely } from 'kysely';
import type { Tx } from '../../db/transaction.js';
import type { DB } from '../../db/types.js';
import { NotFound } from '../../lib/errors.js';
import { requirePermission, type Actor } from '../access/actor.js';
import { audit } from '../access/audit.js';
import { loadContact } from '../contacts/service.js';
import { DASH_RIC, DASH_RIC_CODE } from './dash-ric.js';
import type { Answer, QuestionnaireDefinition } from './definition.js';
import type { AssessmentView, NewAssessment, OfficialWording } from './schema.js';
import { score, thresholdsFrom, type RiskLevel } from './scoring.js';
import * as store from './store.js';
import { referIfHighRisk } from '../marac/service.js';

/** The partnership's current questionnaire and its thresholds. */
async function currentDefinition(tx: Tx, partnershipId: string) {
  const row = await store.latestDefinition(tx, partnershipId, DASH_RIC_CODE);
  if (!row) throw new NotFound('The DASH RIC questionnaire for this partnership');
  return { row, definition: row.definition as unknown as QuestionnaireDefinition, thresholds: thresholdsFrom(row.partnership_settings ?? {}) };
}

function toView(row: store.AssessmentRow): AssessmentView {
  return {
    id: row.id,
    contactId: row.contact_id,
    questionnaire: { code: row.questionnaire_code, version: row.questionnaire_version },
    answers: row.answers,
    yesCount: row.yes_count,
    scoreLevel: row.score_level as RiskLevel,
    level: row.level as RiskLevel,
    reasons: row.reasons as AssessmentView['reasons'],
    prompts: row.prompts as AssessmentView['prompts'],
    professionalJudgement:
      row.judgement_level && row.judgement_reason ? { level: row.judgement_level, reason: row.judgement_reason } : null,
    policeCallouts12m: row.police_callouts_12m,
    otherIncidents12m: row.other_incidents_12m,
    supersedesId: row.supersedes_id,
    current: Boolean(row.current),
    assessedBy: row.assessed_by,
    completedAt: row.completed_at.toISOString(),
  };
}

/** Scores and stores a completed checklist; it supersedes the contact's current one. */
export async function submitAssessment(tx: Tx, actor: Actor, contactId: string, input: NewAssessment): Promise<AssessmentView> {
  requirePermission(actor, 'risk:assess');
  // Locked: one assessment at a time per contact, so two cannot supersede the same one.
  await loadContact(tx, actor, contactId, 'read', 'risk.assess', true);
  const { row: questionnaire, definition, thresholds } = await currentDefinition(tx, actor.partnershipId);
  const result = score(
    definition,
    {
      answers: input.answers as Record<string, Answer>,
      judgement: input.professionalJudgement,
      policeCallouts12m: input.policeCallouts12m,
      otherIncidents12m: input.otherIncidents12m,
    },
    thresholds,
  );
  const previous = (await store.assessmentsOf(tx, contactId)).find((a) => a.current);
  const created = await store.insertAssessment(tx, {
    partnership_id: actor.partnershipId,
    organisation_id: actor.organisationId,
    contact_id: contactId,
    questionnaire_id: questionnaire.id,
    answers: JSON.stringify(input.answers),
    yes_count: result.yesCount,
    score_level: result.scoreLevel,
    level: result.level,
    reasons: JSON.stringify(result.reasons),
    prompts: JSON.stringify(result.prompts),
    judgement_level: input.professionalJudgement?.level ?? null,
    judgement_reason: input.professionalJudgement?.reason ?? null,
    police_callouts_12m: input.policeCallouts12m,
    other_incidents_12m: input.otherIncidents12m,
    supersedes_id: previous?.id ?? null,
    assessed_by: actor.userId,
  });
  // Every high-risk contact goes to MARAC, once (issue 8).
  await referIfHighRisk(tx, actor, contactId, { id: created.id, level: result.level, reasons: result.reasons });
  await audit(tx, actor, {
    action: 'risk.assess',
    recordType: 'risk_assessment',
    recordId: created.id,
    details: { contactId, level: result.level, supersedes: previous?.id ?? null },
  });
  return toView({ ...created, questionnaire_code: questionnaire.code, questionnaire_version: questionnaire.version, current: true });
}

export async function listAssessments(tx: Tx, actor: Actor, contactId: string): Promise<AssessmentView[]> {
  requirePermission(actor, 'risk:read');
  await loadContact(tx, actor, contactId, 'read', 'risk.read');
  const rows = await store.assessmentsOf(tx, contactId);
  await audit(tx, actor, { action: 'risk.read', recordType: 'contact', recordId: contactId, details: { assessments: rows.length } });
  return rows.map(toView);
}

/** The questionnaire as the partnership currently uses it, with its thresholds. No person data. */
export async function getQuestionnaire(tx: Tx, actor: Actor) {
  const { row, definition, thresholds } = await currentDefinition(tx, actor.partnershipId);
  return { ...definition, version: row.version, thresholds };
}

/** Loads the partnership's licensed official wording as a new version of the definition. */
export async function loadOfficialWording(tx: Tx, actor: Actor, input: OfficialWording) {
  requirePermission(actor, 'questionnaire:manage');
  // One save at a time per partnership, so two cannot both take the next version.
  await tx.selectFrom('partnerships').select('id').where('id', '=', actor.partnershipId).forUpdate().execute();
  const { row, definition } = await currentDefinition(tx, actor.partnershipId);
  const next: QuestionnaireDefinition = {
    ...definition,
    wording: input.source,
    questions: definition.questions.map((q) => ({ ...q, officialWording: input.questions[q.id as keyof typeof input.questions] })),
  };
  const created = await store.insertDefinition(tx, {
    partnershipId: actor.partnershipId,
    version: row.version + 1,
    definition: next,
    createdBy: actor.userId,
  });
  await audit(tx, actor, { action: 'questionnaire.update', recordType: 'questionnaire', recordId: created.id });
  return getQuestionnaire(tx, actor);
}

export async function installDefaultQuestionnaires(tx: Tx, partnershipId: string): Promise<void> {
  if (await store.latestDefinition(tx, partnershipId, DASH_RIC_CODE)) return;
  await store.insertDefinition(tx, { partnershipId, version: 1, definition: DASH_RIC, createdBy: null });
}

/** The contact's current (not superseded) assessment, for a caller that has already checked access. */
export async function currentAssessmentOf(tx: Tx, contactId: string): Promise<AssessmentView | null> {
  const current = (await store.assessmentsOf(tx, contactId)).find((a) => a.current);
  return current ? toView(current) : null;
}

/** The checklist's questions as the partnership words them (official wording when loaded); no person data. */
export async function questionTexts(db: Kysely<DB> | Tx, partnershipId: string): Promise<Array<{ id: string; text: string }>> {
  const row = await store.latestDefinition(db as Tx, partnershipId, DASH_RIC_CODE);
  if (!row) throw new NotFound('The DASH RIC questionnaire for this partnership');
  return (row.definition as unknown as QuestionnaireDefinition).questions.map((q) => ({ id: q.id, text: q.officialWording ?? q.prompt }));
}
