import type { Tx } from '../../db/transaction.js';
import { toJson } from '../../lib/json.js';
import type { QuestionnaireDefinition } from './definition.js';

/** The latest version of a questionnaire, with its partnership's settings (its thresholds) in the same round-trip. */
export function latestDefinition(tx: Tx, partnershipId: string, code: string) {
  return tx
    .selectFrom('questionnaire_definitions as q')
    .innerJoin('partnerships as p', 'p.id', 'q.partnership_id')
    .selectAll('q')
    .select('p.settings as partnership_settings')
    .where('q.partnership_id', '=', partnershipId)
    .where('q.code', '=', code)
    .orderBy('q.version', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export function insertDefinition(
  tx: Tx,
  values: { partnershipId: string; version: number; definition: QuestionnaireDefinition; createdBy: string | null },
) {
  return tx
    .insertInto('questionnaire_definitions')
    .values({
      partnership_id: values.partnershipId,
      code: values.definition.code,
      version: values.version,
      title: values.definition.title,
      definition: toJson(values.definition),
      created_by: values.createdBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

const assessmentColumns = [
  'a.id',
  'a.contact_id',
  'a.answers',
  'a.yes_count',
  'a.score_level',
  'a.level',
  'a.reasons',
  'a.prompts',
  'a.judgement_level',
  'a.judgement_reason',
  'a.police_callouts_12m',
  'a.other_incidents_12m',
  'a.supersedes_id',
  'a.assessed_by',
  'a.completed_at',
  'q.code as questionnaire_code',
  'q.version as questionnaire_version',
] as const;

/** Assessments of a contact, newest first, each marked current unless a later one supersedes it. */
export function assessmentsOf(tx: Tx, contactId: string) {
  return tx
    .selectFrom('risk_assessments as a')
    .innerJoin('questionnaire_definitions as q', 'q.id', 'a.questionnaire_id')
    .select(assessmentColumns)
    .select((eb) =>
      eb
        .not(eb.exists(eb.selectFrom('risk_assessments as later').select('later.id').whereRef('later.supersedes_id', '=', 'a.id')))
        .as('current'),
    )
    .where('a.contact_id', '=', contactId)
    .orderBy('a.completed_at', 'desc')
    .execute();
}
export type AssessmentRow = Awaited<ReturnType<typeof assessmentsOf>>[number];

export function insertAssessment(tx: Tx, values: Parameters<ReturnType<Tx['insertInto']>['values']>[0]) {
  return tx.insertInto('risk_assessments').values(values as never).returningAll().executeTakeFirstOrThrow();
}
