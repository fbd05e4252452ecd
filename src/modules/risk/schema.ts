import { Type, type Static } from 'typebox';
import { StringEnum, Uuid } from '../../lib/schema.js';
import { DASH_RIC_QUESTION_IDS } from './dash-ric.js';
import { ANSWERS } from './definition.js';
import { RISK_LEVELS } from './scoring.js';

export const DashAnswers = Type.Object(
  Object.fromEntries(DASH_RIC_QUESTION_IDS.map((id) => [id, StringEnum(ANSWERS)])),
  { additionalProperties: false, description: 'Every one of the 24 questions: yes, no or dont_know' },
);

export const NewAssessment = Type.Object(
  {
    answers: DashAnswers,
    professionalJudgement: Type.Optional(
      Type.Object(
        {
          level: StringEnum(RISK_LEVELS),
          reason: Type.String({ minLength: 1, maxLength: 2000, description: 'Why: required whenever judgement is given' }),
        },
        { additionalProperties: false },
      ),
    ),
    policeCallouts12m: Type.Integer({ minimum: 0, maximum: 500, default: 0 }),
    otherIncidents12m: Type.Integer({ minimum: 0, maximum: 500, default: 0 }),
  },
  { additionalProperties: false },
);
export type NewAssessment = Static<typeof NewAssessment>;

const Reason = Type.Object({ code: Type.String(), level: Type.String(), message: Type.String() });
const Prompt = Type.Object({ id: Type.String(), message: Type.String(), questionIds: Type.Array(Type.String()) });

export const AssessmentView = Type.Object(
  {
    id: Uuid,
    contactId: Uuid,
    questionnaire: Type.Object({ code: Type.String(), version: Type.Integer() }),
    answers: Type.Record(Type.String(), Type.String()),
    yesCount: Type.Integer(),
    scoreLevel: StringEnum(RISK_LEVELS),
    level: StringEnum(RISK_LEVELS),
    reasons: Type.Array(Reason),
    prompts: Type.Array(Prompt),
    professionalJudgement: Type.Union([Type.Object({ level: Type.String(), reason: Type.String() }), Type.Null()]),
    policeCallouts12m: Type.Integer(),
    otherIncidents12m: Type.Integer(),
    supersedesId: Type.Union([Uuid, Type.Null()]),
    current: Type.Boolean(),
    assessedBy: Uuid,
    completedAt: Type.String(),
  },
  { $id: 'RiskAssessment' },
);
export type AssessmentView = Static<typeof AssessmentView>;

export const QuestionnaireView = Type.Object({
  code: Type.String(),
  version: Type.Integer(),
  title: Type.String(),
  wording: Type.String(),
  answerOptions: Type.Array(Type.String()),
  questions: Type.Array(
    Type.Object({
      id: Type.String(),
      topic: Type.String(),
      prompt: Type.String(),
      officialWording: Type.Optional(Type.String()),
      tags: Type.Array(Type.String()),
    }),
  ),
  riskPrompts: Type.Array(Type.Object({ id: Type.String(), message: Type.String() })),
  thresholds: Type.Object({ highYesCount: Type.Integer(), mediumYesCount: Type.Integer(), escalationIncidents: Type.Integer() }),
});

export const OfficialWording = Type.Object(
  {
    source: Type.String({ minLength: 1, maxLength: 300, description: 'Where the licensed wording comes from' }),
    questions: Type.Object(
      Object.fromEntries(DASH_RIC_QUESTION_IDS.map((id) => [id, Type.String({ minLength: 1, maxLength: 1000 })])),
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type OfficialWording = Static<typeof OfficialWording>;
