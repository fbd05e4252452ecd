import { Type, type Static } from 'typebox';
import { Nullable, Postcode, StringEnum, Uuid } from '../../lib/schema.js';
import { GENDERS, WEEKDAYS } from '../contacts/schema.js';
import { RISK_LEVELS } from '../risk/scoring.js';

/** What a service does (SPEC §4). Routing rules match these kinds, never service names. */
export const SERVICE_KINDS = [
  'idva',
  'outreach',
  'safe_accommodation',
  'sanctuary_scheme',
  'children_young_people',
  'recovery_programme',
  'counselling',
  'perpetrator_programme',
  'advice',
  'concerned_others_advice',
  'marac',
  'childrens_social_care',
  'housing_options',
] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

export const SERVICE_KIND_LABELS: Record<ServiceKind, string> = {
  idva: 'Independent domestic violence advocacy (IDVA)',
  outreach: 'Community outreach',
  safe_accommodation: 'Refuge / safe accommodation',
  sanctuary_scheme: 'Sanctuary scheme',
  children_young_people: 'Children and young people',
  recovery_programme: 'Recovery / group programme',
  counselling: 'Counselling',
  perpetrator_programme: 'Perpetrator behaviour-change programme',
  advice: 'Advice and information',
  concerned_others_advice: 'Advice for family and friends',
  marac: 'Multi-agency risk assessment conference (MARAC)',
  childrens_social_care: "Children's social care",
  housing_options: 'Housing options',
};

/** Communities a specialist service is for; `byAndFor` marks services run by and for them. */
export const SPECIALISMS = [
  'men',
  'lgbt',
  'young_people_16_17',
  'older_people',
  'black_minoritised',
  'south_asian',
  'deaf_disabled',
  'faith_communities',
] as const;

export const CAPACITY_STATUSES = ['open', 'waiting_list', 'closed'] as const;
export const UNIT_TYPES = ['single', 'family_1_child', 'family_2_children', 'family_3plus_children', 'accessible'] as const;
export const REFERRAL_METHODS = ['spoc_inbox', 'secure_email', 'phone', 'web_form'] as const;
export const TARGET_UNITS = ['working_hours', 'working_days'] as const;

const Time = Type.String({ pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$' });
export const OpeningHours = Type.Array(
  Type.Object({ day: StringEnum(WEEKDAYS), opens: Time, closes: Time }, { additionalProperties: false }),
  { maxItems: 21, description: 'Empty means by appointment; 00:00–24:00 on every day is 24/7' },
);

const Target = Type.Object(
  { value: Type.Integer({ minimum: 1, maximum: 500 }), unit: StringEnum(TARGET_UNITS) },
  { additionalProperties: false },
);
const LevelTargets = Type.Object({ acknowledge: Target, firstContact: Target }, { additionalProperties: false });
export const ResponseTargets = Type.Object(
  { high: LevelTargets, medium: LevelTargets, standard: LevelTargets },
  { additionalProperties: false },
);
export type ResponseTargets = Static<typeof ResponseTargets>;

export const Vacancy = Type.Object(
  {
    unitType: StringEnum(UNIT_TYPES),
    available: Type.Integer({ minimum: 0, maximum: 1000 }),
    acceptsNoRecourse: Type.Boolean({ description: 'Accepts people with no recourse to public funds' }),
  },
  { additionalProperties: false },
);

export const Address = Type.Object(
  {
    line1: Type.String({ minLength: 1, maxLength: 120 }),
    line2: Type.Optional(Type.String({ maxLength: 120 })),
    town: Type.String({ minLength: 1, maxLength: 80 }),
    postcode: Postcode,
  },
  { additionalProperties: false },
);

const District = Type.String({ pattern: '^[A-Z]{1,2}[0-9][A-Z0-9]?$', description: 'A postcode district, e.g. XB1' });

const serviceFields = {
  organisationId: Uuid,
  name: Type.String({ minLength: 1, maxLength: 160 }),
  kind: StringEnum(SERVICE_KINDS),
  description: Type.String({ maxLength: 4000 }),
  status: StringEnum(['active', 'inactive'] as const),
  byAndFor: Type.Boolean(),
  specialisms: Type.Array(StringEnum(SPECIALISMS), { uniqueItems: true }),
  areaDistricts: Type.Array(District, { maxItems: 200, uniqueItems: true, description: 'Empty means no area limit' }),
  minAge: Nullable(Type.Integer({ minimum: 0, maximum: 120 })),
  maxAge: Nullable(Type.Integer({ minimum: 0, maximum: 120 })),
  genders: Type.Array(StringEnum(GENDERS), { uniqueItems: true, description: 'Empty means everyone' }),
  riskLevels: Type.Array(StringEnum(RISK_LEVELS), { uniqueItems: true, minItems: 1 }),
  needs: Type.Array(Type.String({ pattern: '^[a-z0-9_]{1,40}$' }), { uniqueItems: true }),
  languages: Type.Array(Type.String({ pattern: '^[a-z]{2,3}$', description: 'ISO 639 code' }), { uniqueItems: true }),
  accessibility: Type.String({ maxLength: 1000 }),
  openingHours: OpeningHours,
  referralRoute: Type.Object(
    { method: StringEnum(REFERRAL_METHODS), detail: Type.Optional(Type.String({ maxLength: 300 })) },
    { additionalProperties: false },
  ),
  responseTargets: ResponseTargets,
  capacityStatus: StringEnum(CAPACITY_STATUSES),
  vacancies: Type.Array(Vacancy, { maxItems: 20 }),
  confidentialLocation: Type.Boolean({ description: 'A refuge: its address is never published' }),
  address: Nullable(Address),
  phone: Nullable(Type.String({ maxLength: 40 })),
  email: Nullable(Type.String({ format: 'email', maxLength: 254 })),
  url: Nullable(Type.String({ format: 'uri', maxLength: 500 })),
};

export const ServiceView = Type.Object(
  { id: Uuid, ...serviceFields, organisationName: Type.String(), updatedAt: Type.String() },
  { $id: 'Service' },
);
export type ServiceView = Static<typeof ServiceView>;
export type ServiceData = Omit<ServiceView, 'id' | 'organisationName' | 'updatedAt'>;

/** A new service: what it is and whom it serves; the rest has sensible defaults (see service.ts). */
const f = serviceFields;
export const NewService = Type.Object(
  {
    organisationId: f.organisationId,
    name: f.name,
    kind: f.kind,
    riskLevels: f.riskLevels,
    description: Type.Optional(f.description),
    status: Type.Optional(f.status),
    byAndFor: Type.Optional(f.byAndFor),
    specialisms: Type.Optional(f.specialisms),
    areaDistricts: Type.Optional(f.areaDistricts),
    minAge: Type.Optional(f.minAge),
    maxAge: Type.Optional(f.maxAge),
    genders: Type.Optional(f.genders),
    needs: Type.Optional(f.needs),
    languages: Type.Optional(f.languages),
    accessibility: Type.Optional(f.accessibility),
    openingHours: Type.Optional(f.openingHours),
    referralRoute: Type.Optional(f.referralRoute),
    responseTargets: Type.Optional(f.responseTargets),
    capacityStatus: Type.Optional(f.capacityStatus),
    vacancies: Type.Optional(f.vacancies),
    confidentialLocation: Type.Optional(f.confidentialLocation),
    address: Type.Optional(f.address),
    phone: Type.Optional(f.phone),
    email: Type.Optional(f.email),
    url: Type.Optional(f.url),
  },
  { additionalProperties: false },
);
export type NewService = Static<typeof NewService>;

export const CapacityUpdate = Type.Object(
  { capacityStatus: Type.Optional(StringEnum(CAPACITY_STATUSES)), vacancies: Type.Optional(Type.Array(Vacancy, { maxItems: 20 })) },
  { additionalProperties: false, minProperties: 1 },
);
export type CapacityUpdate = Static<typeof CapacityUpdate>;

export const OrganisationView = Type.Object({
  id: Uuid,
  slug: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  description: Type.String(),
  url: Nullable(Type.String()),
  email: Nullable(Type.String()),
  phone: Nullable(Type.String()),
});
export type OrganisationView = Static<typeof OrganisationView>;

export const ServiceListQuery = Type.Object(
  { kind: Type.Optional(StringEnum(SERVICE_KINDS)), organisationId: Type.Optional(Uuid) },
  { additionalProperties: false },
);

/** What a coordinator (or the service's own manager) may change about a service's description and reach. */
export const ServicePatch = Type.Object(
  {
    name: Type.Optional(serviceFields.name),
    description: Type.Optional(serviceFields.description),
    status: Type.Optional(serviceFields.status),
    areaDistricts: Type.Optional(serviceFields.areaDistricts),
    minAge: Type.Optional(serviceFields.minAge),
    maxAge: Type.Optional(serviceFields.maxAge),
    phone: Type.Optional(serviceFields.phone),
    email: Type.Optional(serviceFields.email),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type ServicePatch = Static<typeof ServicePatch>;
