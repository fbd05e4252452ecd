import { Type, type Static } from 'typebox';
import { IsoDate, IsoDateTime, Nullable, PhoneNumber, Postcode, StringEnum, Uuid } from '../../lib/schema.js';

export const CHANNELS = ['phone', 'web_self_referral', 'professional_referral', 'email', 'in_person', 'other'] as const;
export const CALLER_TYPES = ['victim', 'family_friend', 'professional', 'perpetrator', 'other'] as const;
export const CONTACT_STATUSES = ['open', 'advice_only', 'referred', 'closed'] as const;
export const DANGER_ANSWERS = ['yes', 'no', 'not_known'] as const;
export const GENDERS = ['female', 'male', 'non_binary', 'other', 'not_known'] as const;
export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export const RELATIONSHIPS = ['current_partner', 'former_partner', 'family_member', 'household_member', 'other', 'not_known'] as const;

const ShortText = (maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, ...(description ? { description } : {}) });
const Time = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'HH:MM, Europe/London' });

export const SafeNumber = Type.Object(
  {
    number: PhoneNumber,
    label: Type.Optional(ShortText(60)),
    callSafe: Type.Boolean({ description: 'Safe to ring this number' }),
    textSafe: Type.Boolean({ description: 'Safe to send a text message' }),
    voicemailSafe: Type.Boolean({ description: 'Safe to leave a voicemail' }),
  },
  { additionalProperties: false },
);

export const SafeTime = Type.Object(
  { days: Type.Array(StringEnum(WEEKDAYS), { minItems: 1, maxItems: 7, uniqueItems: true }), from: Time, to: Time },
  { additionalProperties: false },
);

export const SafeContact = Type.Object(
  {
    phones: Type.Optional(Type.Array(SafeNumber, { maxItems: 5 })),
    safeTimes: Type.Optional(Type.Array(SafeTime, { maxItems: 14 })),
    safeTimesNote: Type.Optional(ShortText(300)),
    safeEmail: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
    safeAddress: Type.Optional(ShortText(300, 'An address where letters are safe')),
    codeWord: Type.Optional(ShortText(60)),
    language: Type.Optional(ShortText(60)),
    interpreterNeeded: Type.Optional(Type.Boolean()),
    knowsAboutReferral: Type.Optional(StringEnum(['yes', 'no', 'not_known'] as const)),
    whoTheyFear: Type.Optional(ShortText(500)),
    safeToTalkTo: Type.Optional(ShortText(500)),
    unsafeToTalkTo: Type.Optional(ShortText(500)),
    notes: Type.Optional(ShortText(1000)),
  },
  { additionalProperties: false },
);

export const Person = Type.Object(
  {
    name: Type.Optional(ShortText(120)),
    otherNames: Type.Optional(Type.Array(ShortText(120), { maxItems: 5 })),
    dateOfBirth: Type.Optional(IsoDate),
    gender: Type.Optional(StringEnum(GENDERS)),
    postcode: Type.Optional(Postcode),
    phones: Type.Optional(Type.Array(PhoneNumber, { maxItems: 5 })),
  },
  { additionalProperties: false },
);

export const Caller = Type.Object(
  {
    name: Type.Optional(ShortText(120)),
    relationship: Type.Optional(ShortText(60, 'How the caller knows the person, e.g. sister, GP')),
    organisation: Type.Optional(ShortText(120)),
    role: Type.Optional(ShortText(120)),
    phone: Type.Optional(PhoneNumber),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
  },
  { additionalProperties: false },
);

export const Child = Type.Object(
  {
    name: Type.Optional(ShortText(120)),
    dateOfBirth: Type.Optional(IsoDate),
    gender: Type.Optional(StringEnum(GENDERS)),
    livesWithVictim: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const Perpetrator = Type.Object(
  {
    name: Type.Optional(ShortText(120)),
    dateOfBirth: Type.Optional(IsoDate),
    phones: Type.Optional(Type.Array(PhoneNumber, { maxItems: 5 })),
    relationship: Type.Optional(StringEnum(RELATIONSHIPS)),
  },
  { additionalProperties: false },
);

const contactFields = {
  channel: StringEnum(CHANNELS),
  callerType: StringEnum(CALLER_TYPES),
  receivedAt: Type.Optional(IsoDateTime),
  immediateDanger: StringEnum(DANGER_ANSWERS, { description: 'Is anyone in immediate danger? Always asked first.' }),
  status: Type.Optional(StringEnum(CONTACT_STATUSES)),
  person: Type.Optional(Person),
  caller: Type.Optional(Nullable(Caller)),
  safeContact: Type.Optional(SafeContact),
  needs: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9_]{1,40}$' }), { maxItems: 40, uniqueItems: true })),
  children: Type.Optional(Type.Array(Child, { maxItems: 15 })),
  perpetrators: Type.Optional(Type.Array(Perpetrator, { maxItems: 5 })),
  summary: Type.Optional(Type.String({ maxLength: 4000 })),
};

export const NewContact = Type.Object(contactFields, { additionalProperties: false, $id: 'NewContact' });
export type NewContact = Static<typeof NewContact>;

export const ContactPatch = Type.Partial(Type.Object(contactFields, { additionalProperties: false }), {
  additionalProperties: false,
  minProperties: 1,
});
export type ContactPatch = Static<typeof ContactPatch>;

export const ContactView = Type.Object(
  {
    id: Uuid,
    reference: Type.String(),
    partnershipId: Uuid,
    organisationId: Uuid,
    handlerId: Uuid,
    channel: Type.String(),
    callerType: Type.String(),
    status: Type.String(),
    receivedAt: Type.String(),
    immediateDanger: Type.String(),
    flags: Type.Array(Type.String()),
    guidance: Type.Array(Type.String()),
    person: Person,
    caller: Nullable(Caller),
    safeContact: SafeContact,
    needs: Type.Array(Type.String()),
    children: Type.Array(Child),
    perpetrators: Type.Array(Perpetrator),
    summary: Type.String(),
    sharedWith: Type.Array(Uuid),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: 'Contact' },
);
export type ContactView = Static<typeof ContactView>;

export const ContactListQuery = Type.Object(
  {
    from: Type.Optional(IsoDate),
    to: Type.Optional(IsoDate),
    handlerId: Type.Optional(Uuid),
    callerType: Type.Optional(StringEnum(CALLER_TYPES)),
    channel: Type.Optional(StringEnum(CHANNELS)),
    status: Type.Optional(StringEnum(CONTACT_STATUSES)),
    immediateDanger: Type.Optional(StringEnum(DANGER_ANSWERS)),
    q: Type.Optional(Type.String({ minLength: 2, maxLength: 120, description: 'Name, reference, postcode or phone number' })),
    page: Type.Integer({ minimum: 1, maximum: 10_000, default: 1 }),
    perPage: Type.Integer({ minimum: 1, maximum: 100, default: 25 }),
  },
  { additionalProperties: false },
);
export type ContactListQuery = Static<typeof ContactListQuery>;

/** A contact as a list shows it: the record's headline fields and the person's name. */
export const ContactSummary = Type.Intersect([
  Type.Pick(ContactView, ['id', 'reference', 'organisationId', 'handlerId', 'channel', 'callerType', 'status', 'receivedAt', 'immediateDanger']),
  Type.Object({ personName: Nullable(Type.String()) }),
]);

export const ContactList = Type.Object({
  items: Type.Array(ContactSummary),
  total: Type.Integer(),
  page: Type.Integer(),
  perPage: Type.Integer(),
});

export const NewShare = Type.Object(
  { organisationId: Uuid, reason: ShortText(500) },
  { additionalProperties: false },
);
export type NewShare = Static<typeof NewShare>;
