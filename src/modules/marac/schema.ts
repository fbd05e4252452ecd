import { Type, type Static } from 'typebox';
import { IsoDate, Nullable, StringEnum, Uuid } from '../../lib/schema.js';
import { MARAC_CRITERIA } from './criteria.js';

export const MARAC_STATUSES = ['awaiting_meeting', 'listed', 'heard', 'withdrawn'] as const;

export const ManualReferral = Type.Object(
  { contactId: Uuid, reason: Type.String({ minLength: 1, maxLength: 2000, description: 'Why this person should be heard at MARAC' }) },
  { additionalProperties: false },
);
export type ManualReferral = Static<typeof ManualReferral>;

export const NewMeetings = Type.Object(
  {
    heldOn: IsoDate,
    capacity: Type.Integer({ minimum: 1, maximum: 100, description: 'How many cases the meeting can hear' }),
    attendingOrganisationIds: Type.Array(Uuid, { maxItems: 40, uniqueItems: true }),
    repeatEveryDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 90, description: 'e.g. 14 for fortnightly' })),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 26, default: 1, description: 'How many meetings to schedule' })),
  },
  { additionalProperties: false },
);
export type NewMeetings = Static<typeof NewMeetings>;

export const NewResearch = Type.Object({ summary: Type.String({ minLength: 1, maxLength: 4000 }) }, { additionalProperties: false });
export type NewResearch = Static<typeof NewResearch>;

export const NewMaracAction = Type.Object(
  {
    organisationId: Uuid,
    description: Type.String({ minLength: 1, maxLength: 1000 }),
    ownerName: Type.Optional(Type.String({ minLength: 1, maxLength: 120, description: 'Who at the agency owns it' })),
    dueOn: IsoDate,
  },
  { additionalProperties: false },
);
export type NewMaracAction = Static<typeof NewMaracAction>;

export const MaracReferralView = Type.Object({
  id: Uuid,
  contactId: Uuid,
  contactReference: Type.String(),
  criteria: Type.Array(StringEnum(MARAC_CRITERIA)),
  reason: Nullable(Type.String()),
  referredOn: Type.String(),
  referringOrganisationId: Uuid,
  referringOrganisationName: Type.String(),
  repeat: Type.Boolean(),
  previousReferredOn: Nullable(Type.String()),
  meetingId: Nullable(Uuid),
  meetingOn: Nullable(Type.String()),
  status: StringEnum(MARAC_STATUSES),
});
export type MaracReferralView = Static<typeof MaracReferralView>;

export const MeetingView = Type.Object({
  id: Uuid,
  heldOn: Type.String(),
  capacity: Type.Integer(),
  listed: Type.Integer(),
  attendingOrganisationIds: Type.Array(Uuid),
});

/** One line of a meeting's list, as the viewer's agency may see it. */
export const ListEntry = Type.Object({
  referralId: Uuid,
  victim: Type.Object({ name: Nullable(Type.String()), dateOfBirth: Nullable(Type.String()), postcode: Type.Optional(Nullable(Type.String())) }),
  children: Type.Array(Type.Object({ name: Nullable(Type.String()), dateOfBirth: Nullable(Type.String()) })),
  perpetrators: Type.Array(Type.Object({ name: Nullable(Type.String()), relationship: Nullable(Type.String()) })),
  risk: Type.Object({ level: Type.String(), yesCount: Nullable(Type.Integer()), criteria: Type.Array(Type.String()) }),
  repeat: Type.Boolean(),
  previousReferredOn: Nullable(Type.String()),
  referringAgency: Type.String(),
  research: Type.Array(Type.Object({ organisationName: Type.String(), summary: Type.String(), recordedAt: Type.String() })),
  actions: Type.Array(
    Type.Object({ id: Uuid, organisationId: Uuid, organisationName: Type.String(), description: Type.String(), ownerName: Type.String(), dueOn: Type.String(), doneAt: Nullable(Type.String()), overdue: Type.Boolean() }),
  ),
});
export type ListEntry = Static<typeof ListEntry>;

export const MeetingList = Type.Object({ meeting: MeetingView, entries: Type.Array(ListEntry) });

export const FiguresQuery = Type.Object({ from: IsoDate, to: IsoDate }, { additionalProperties: false });
export type FiguresQuery = Static<typeof FiguresQuery>;
