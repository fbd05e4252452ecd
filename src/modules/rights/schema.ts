import { Type, type Static } from 'typebox';
import { Uuid } from '../../lib/schema.js';

/** Records as they are held (column names in camelCase, times as ISO strings): a subject access answer gives everything. */
const Records = (description: string) => Type.Array(Type.Object({}, { additionalProperties: true }), { description });

export const SubjectAccessExport = Type.Object(
  {
    generatedAt: Type.String(),
    person: Type.Object({}, { additionalProperties: true, description: 'The person as recorded (names, date of birth, postcode, numbers, identifiers, equality answers)' }),
    contacts: Records('Every contact about the person: the account, safe-contact arrangements, children and perpetrators as told'),
    riskAssessments: Records('DASH RIC checklists of those contacts, with every answer'),
    referrals: Records('Referrals of those contacts, each with its history (events) and contact attempts'),
    calls: Records('Calls to the SPOC number that made those contacts'),
    matchDecisions: Records('Decisions that this person is (or is not) who a contact was about'),
    cases: Records('Cases, each with household, perpetrators, notes, actions, safety plans, outcome measures and programme places'),
    maracReferrals: Records('MARAC referrals, with what agencies held (research) and the actions agreed'),
    withheld: Type.Object({
      sensitiveNotes: Type.Array(
        Type.Object({ organisationId: Uuid, organisationName: Type.String(), count: Type.Integer() }),
        { description: 'Notes another organisation marked sensitive: kept with it (ask it for them)' },
      ),
    }),
    accessLog: Records('Who (by organisation) read or changed these records, and when, from the audit trail'),
  },
  { additionalProperties: false },
);
export type SubjectAccessExport = Static<typeof SubjectAccessExport>;
