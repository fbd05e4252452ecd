import { Type, type Static } from 'typebox';
import { IsoDate, Nullable, PhoneNumber, Postcode, StringEnum, Uuid } from '../../lib/schema.js';
import { EQUALITY_KEYS, EQUALITY_QUESTIONS, optionsOf } from './equality.js';

const Text = (maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, ...(description ? { description } : {}) });

export const MATCH_DECISIONS = ['confirmed', 'rejected'] as const;
export const HOUSEHOLD_RELATIONSHIPS = ['child', 'stepchild', 'grandchild', 'adult_family_member', 'other'] as const;
export const PERPETRATOR_RELATIONSHIPS = ['current_partner', 'former_partner', 'family_member', 'household_member', 'other', 'not_known'] as const;
export const CLOSURE_REASONS = [
  'support_completed',
  'disengaged',
  'moved_out_of_area',
  'transferred',
  'declined_support',
  'no_longer_safe_to_contact',
  'died',
  'other',
] as const;
export const ABUSE_TYPES = ['physical', 'sexual', 'emotional', 'coercive_control', 'economic', 'stalking', 'online'] as const;
export const FREQUENCIES = ['none', 'once', 'monthly', 'weekly', 'daily'] as const;
export const SEVERITIES = ['none', 'low', 'medium', 'high'] as const;

export const PersonSummary = Type.Object({
  id: Uuid,
  name: Type.String(),
  otherNames: Type.Array(Type.String()),
  dateOfBirth: Nullable(Type.String()),
  gender: Nullable(Type.String()),
  postcode: Nullable(Type.String()),
});

export const KnownTo = Type.Object({ organisationId: Uuid, organisationName: Type.String(), caseState: Type.String() });

/** Equality monitoring answers (equality.ts); null clears an answer. */
export const Equality = Type.Object(
  Object.fromEntries(EQUALITY_KEYS.map((key) => [key, Type.Optional(Nullable(StringEnum(optionsOf(key), { description: EQUALITY_QUESTIONS[key].label })))])) as Record<
    (typeof EQUALITY_KEYS)[number],
    ReturnType<typeof Type.Optional<ReturnType<typeof Nullable<ReturnType<typeof StringEnum<string[]>>>>>>
  >,
  { additionalProperties: false },
);
export type Equality = Partial<Record<(typeof EQUALITY_KEYS)[number], string | null>>;

export const PersonPatch = Type.Object(
  {
    name: Type.Optional(Text(120)),
    otherNames: Type.Optional(Type.Array(Text(120), { maxItems: 10, description: 'Previous names, aliases, other spellings' })),
    dateOfBirth: Type.Optional(IsoDate),
    gender: Type.Optional(StringEnum(['female', 'male', 'non_binary', 'other', 'not_known'] as const)),
    postcode: Type.Optional(Postcode),
    phones: Type.Optional(Type.Array(PhoneNumber, { maxItems: 5 })),
    identifiers: Type.Optional(
      Type.Record(Type.String({ pattern: '^[a-z_]{2,30}$' }), Text(60), { description: 'e.g. nhs_number, police_reference, local_authority_id' }),
    ),
    equality: Type.Optional(Equality),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PersonPatch = Static<typeof PersonPatch>;

export const PersonView = Type.Object({
  ...PersonSummary.properties,
  phoneDigits: Type.Array(Type.String()),
  identifiers: Type.Record(Type.String(), Type.String()),
  equality: Type.Record(Type.String(), Nullable(Type.String()), { description: 'Equality monitoring answers; null where not asked' }),
});

export const MatchView = Type.Object(
  {
    contactId: Uuid,
    linkedPerson: Nullable(PersonSummary),
    knownTo: Type.Array(KnownTo, { description: 'Organisations with a case for the linked person, among those you may know of' }),
    candidates: Type.Array(
      Type.Object({
        person: PersonSummary,
        score: Type.Integer(),
        reasons: Type.Array(Type.String()),
        knownTo: Type.Array(KnownTo),
        rejected: Type.Boolean({ description: 'Someone has already said this is not the same person' }),
      }),
    ),
  },
  { $id: 'PersonMatches' },
);
export type MatchView = Static<typeof MatchView>;

export const MatchDecision = Type.Object(
  {
    personId: Uuid,
    decision: StringEnum(MATCH_DECISIONS, { description: 'confirmed: the contact is about this person; rejected: it is not' }),
  },
  { additionalProperties: false },
);
export type MatchDecision = Static<typeof MatchDecision>;

export const HouseholdMember = Type.Object(
  {
    name: Type.Optional(Text(120)),
    dateOfBirth: Type.Optional(IsoDate),
    relationship: StringEnum(HOUSEHOLD_RELATIONSHIPS),
    school: Type.Optional(Text(160, 'School, nursery or college')),
    livesWithPerson: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);
export type HouseholdMember = Static<typeof HouseholdMember>;

export const CasePerpetrator = Type.Object(
  {
    name: Type.Optional(Text(120)),
    otherNames: Type.Optional(Type.Array(Text(120), { maxItems: 5 })),
    dateOfBirth: Type.Optional(IsoDate),
    relationship: StringEnum(PERPETRATOR_RELATIONSHIPS),
    phones: Type.Optional(Type.Array(PhoneNumber, { maxItems: 5 })),
    vehicles: Type.Optional(Type.Array(Text(60, 'Make, colour, registration'), { maxItems: 5 })),
    addresses: Type.Optional(Type.Array(Text(300), { maxItems: 5 })),
    identifiers: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z_]{2,30}$' }), Text(60), { description: 'e.g. police_national_computer: "…"' })),
  },
  { additionalProperties: false },
);
export type CasePerpetrator = Static<typeof CasePerpetrator>;

export const NewNote = Type.Object(
  {
    body: Text(8000),
    sensitive: Type.Optional(Type.Boolean({ default: false, description: 'Seen only by your organisation' })),
    supersedesId: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);
export type NewNote = Static<typeof NewNote>;

export const NewAction = Type.Object(
  { title: Text(300), ownerId: Type.Optional(Uuid), dueOn: IsoDate },
  { additionalProperties: false },
);
export type NewAction = Static<typeof NewAction>;

export const NewSafetyPlan = Type.Object(
  {
    templateId: Uuid,
    sections: Type.Record(Type.String({ pattern: '^[a-z_]{2,40}$' }), Type.String({ maxLength: 4000 })),
    reviewOn: IsoDate,
  },
  { additionalProperties: false },
);
export type NewSafetyPlan = Static<typeof NewSafetyPlan>;

export const AbuseMeasure = Type.Object(
  { frequency: StringEnum(FREQUENCIES), severity: StringEnum(SEVERITIES) },
  { additionalProperties: false },
);

export const NewOutcome = Type.Object(
  {
    stage: StringEnum(['intake', 'exit'] as const),
    abuse: Type.Object(
      Object.fromEntries(ABUSE_TYPES.map((type) => [type, AbuseMeasure])) as Record<(typeof ABUSE_TYPES)[number], typeof AbuseMeasure>,
      { additionalProperties: false },
    ),
    feelingSafe: Type.Integer({ minimum: 1, maximum: 10, description: 'How safe the person feels, 1 (not at all) to 10 (completely)' }),
    wellbeing: Type.Integer({ minimum: 1, maximum: 10 }),
  },
  { additionalProperties: false },
);
export type NewOutcome = Static<typeof NewOutcome>;

export const CloseCase = Type.Object(
  { reason: StringEnum(CLOSURE_REASONS), note: Type.Optional(Text(2000)) },
  { additionalProperties: false },
);
export type CloseCase = Static<typeof CloseCase>;

export const CaseListQuery = Type.Object(
  { state: Type.Optional(StringEnum(['open', 'closed'] as const)) },
  { additionalProperties: false },
);
export type CaseListQuery = Static<typeof CaseListQuery>;

export const NoteView = Type.Object({
  id: Uuid,
  caseId: Uuid,
  organisationId: Uuid,
  organisationName: Type.String(),
  body: Type.String(),
  sensitive: Type.Boolean(),
  supersedesId: Nullable(Uuid),
  authorId: Uuid,
  createdAt: Type.String(),
});

export const SafetyPlanView = Type.Object({
  id: Uuid,
  version: Type.Integer(),
  templateId: Uuid,
  title: Type.String(),
  sections: Type.Array(Type.Object({ id: Type.String(), title: Type.String(), text: Type.String() })),
  reviewOn: Type.String(),
  createdBy: Uuid,
  createdAt: Type.String(),
});

export const CaseSummary = Type.Object({
  id: Uuid,
  reference: Type.String(),
  organisationId: Uuid,
  state: Type.String(),
  person: PersonSummary,
  caseworkerId: Nullable(Uuid),
  caseworkerName: Nullable(Type.String()),
  openedAt: Type.String(),
  closedAt: Nullable(Type.String()),
});

export const CaseView = Type.Object(
  {
    ...CaseSummary.properties,
    closureReason: Nullable(Type.String()),
    closureNote: Nullable(Type.String()),
    referrals: Type.Array(Type.Object({ id: Uuid, contactId: Uuid, serviceId: Uuid, serviceName: Type.String(), state: Type.String() })),
    household: Type.Array(Type.Object({ id: Uuid, ...HouseholdMember.properties, livesWithPerson: Type.Boolean() })),
    perpetrators: Type.Array(Type.Object({ id: Uuid, ...CasePerpetrator.properties })),
    actions: Type.Array(
      Type.Object({ id: Uuid, title: Type.String(), ownerId: Uuid, ownerName: Type.String(), dueOn: Type.String(), doneAt: Nullable(Type.String()), overdue: Type.Boolean() }),
    ),
    safetyPlan: Nullable(SafetyPlanView),
    outcomes: Type.Array(Type.Object({ id: Uuid, ...NewOutcome.properties, recordedAt: Type.String() })),
  },
  { $id: 'Case' },
);
export type CaseView = Static<typeof CaseView>;

export const TimelineEntry = Type.Object({
  at: Type.String(),
  kind: Type.String({ description: 'contact, assessment, referral, case, note, safety_plan, action, outcome, household, perpetrator' }),
  title: Type.String(),
  detail: Type.String(),
  organisationName: Type.String(),
  recordId: Type.String(),
});
export type TimelineEntry = Static<typeof TimelineEntry>;

export const TaskView = Type.Object({
  kind: StringEnum(['action', 'safety_plan_review'] as const),
  caseId: Uuid,
  caseReference: Type.String(),
  title: Type.String(),
  dueOn: Type.String(),
  overdue: Type.Boolean(),
  actionId: Nullable(Uuid),
});
