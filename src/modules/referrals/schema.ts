import { Type, type Static } from 'typebox';
import { Nullable, PhoneNumber, StringEnum, Uuid } from '../../lib/schema.js';
import { ContactView } from '../contacts/schema.js';
import { UNIT_TYPES } from '../directory/schema.js';
import { AssessmentView } from '../risk/schema.js';
import { CLOSE_REASONS, DECLINE_REASONS, REFERRAL_STATES } from './lifecycle.js';
import { ATTEMPT_CHANNELS } from './safe-channels.js';

export const CONSENT = ['given', 'refused', 'not_asked'] as const;

export const NewReferrals = Type.Object(
  {
    referrals: Type.Array(
      Type.Object(
        {
          serviceId: Uuid,
          reason: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'Required for a service the pathways did not propose' })),
          unitType: Type.Optional(StringEnum(UNIT_TYPES, { description: 'Safe accommodation only: the unit asked for, which must have a vacancy' })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 20 },
    ),
    consent: StringEnum(CONSENT, { description: "The person's consent to share; help never depends on it" }),
    lawfulBasis: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1000, description: 'Required unless consent is given, e.g. serious risk of harm' }),
    ),
    decidedBy: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);
export type NewReferrals = Static<typeof NewReferrals>;

const Clock = Type.Object({
  dueAt: Type.String(),
  metAt: Nullable(Type.String()),
  minutesRemaining: Nullable(Type.Integer()),
  breached: Type.Boolean(),
});

export const ReferralView = Type.Object(
  {
    id: Uuid,
    contactId: Uuid,
    contactReference: Type.String(),
    serviceId: Uuid,
    serviceName: Type.String(),
    organisationId: Uuid,
    referringOrganisationId: Uuid,
    state: StringEnum(REFERRAL_STATES),
    riskLevel: Type.String(),
    ruleId: Nullable(Type.String()),
    addedReason: Nullable(Type.String()),
    consent: Type.String(),
    lawfulBasis: Nullable(Type.String()),
    replacesReferralId: Nullable(Uuid),
    caseId: Type.Optional(Nullable(Uuid)),
    unitType: Type.Optional(Nullable(Type.String())),
    clocks: Type.Object({ acknowledge: Clock, firstContact: Clock }),
    nextDueAt: Nullable(Type.String()),
    createdAt: Type.String(),
  },
  { $id: 'Referral' },
);
export type ReferralView = Static<typeof ReferralView>;

const EventView = Type.Object({
  from: Nullable(Type.String()),
  to: Type.String(),
  at: Type.String(),
  reasonCode: Nullable(Type.String()),
  redirectServiceId: Nullable(Type.String()),
});

/** What the receiving organisation sees: the whole contact and its assessment (tell it once). */
export const ReferralPackage = Type.Object({
  referral: ReferralView,
  contact: Type.Partial(ContactView),
  assessment: Nullable(AssessmentView),
  events: Type.Array(Type.Intersect([EventView, Type.Object({ reasonText: Nullable(Type.String()), actorId: Nullable(Type.String()) })])),
  attempts: Type.Array(Type.Object({ id: Uuid, channel: Type.String(), outcome: Type.String(), note: Type.String(), at: Type.String(), by: Uuid })),
});

/** What the referrer hears back: the status history, without case notes. */
export const ReferralFeedback = Type.Object({
  referralId: Uuid,
  serviceName: Type.String(),
  state: Type.String(),
  events: Type.Array(EventView),
});

export const Transition = Type.Object(
  {
    to: StringEnum(['acknowledged', 'accepted', 'declined', 'redirected', 'engaged', 'closed', 'withdrawn'] as const),
    reasonCode: Type.Optional(StringEnum([...new Set([...DECLINE_REASONS, ...CLOSE_REASONS, 'no_longer_needed', 'sent_in_error'])] as const)),
    reasonText: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    redirectServiceId: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);
export type Transition = Static<typeof Transition>;

export const NewContactAttempt = Type.Object(
  {
    channel: StringEnum(ATTEMPT_CHANNELS),
    number: Type.Optional(PhoneNumber),
    outcome: StringEnum(['reached', 'no_answer', 'not_safe_to_talk', 'message_left', 'wrong_number', 'other'] as const),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type NewContactAttempt = Static<typeof NewContactAttempt>;

export const InboxQuery = Type.Object(
  {
    state: Type.Optional(StringEnum(REFERRAL_STATES)),
    page: Type.Integer({ minimum: 1, maximum: 10_000, default: 1 }),
    perPage: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
  },
  { additionalProperties: false },
);
export type InboxQuery = Static<typeof InboxQuery>;

export const Reroute = Type.Object(
  {
    serviceId: Type.Optional(Uuid),
    reason: Type.String({ minLength: 1, maxLength: 1000 }),
  },
  { additionalProperties: false, description: 'Send to another service, or (without serviceId) record why no further referral is made' },
);
export type Reroute = Static<typeof Reroute>;

export const EscalationView = Type.Object({
  id: Uuid,
  referralId: Uuid,
  clock: Type.String(),
  dueAt: Type.String(),
  raisedAt: Type.String(),
  serviceName: Type.String(),
  state: Type.String(),
});
