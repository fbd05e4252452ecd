/**
 * Open Referral UK (the UK profile of HSDS 3.0) in and out. Pure: directory values in,
 * ORUK JSON out, and back. What HSDS has no field for (service kind, risk levels, needs,
 * response targets, capacity, vacancies, referral route) travels as `attributes` linked to
 * terms of spoc's own published taxonomies, so an export imports back unchanged.
 */
import { stableId } from '../../lib/ids.js';
import type { OrganisationView, ServiceData, ServiceView } from './schema.js';
import { SERVICE_KIND_LABELS, SERVICE_KINDS } from './schema.js';

export const ORUK_VERSION = '3.0';
export const ORUK_PROFILE = 'https://openreferraluk.org/';

const NAMESPACE = 'spoc:oruk';
const DAY_CODES = { monday: 'MO', tuesday: 'TU', wednesday: 'WE', thursday: 'TH', friday: 'FR', saturday: 'SA', sunday: 'SU' } as const;
type Day = keyof typeof DAY_CODES;

interface TaxonomyDef {
  key: string;
  name: string;
  description: string;
  /** How the attribute relates the term to the service (an HSDS link_type). */
  linkType: string;
  /** Known terms; other values (e.g. a partnership's own needs) are terms made on the fly. */
  terms?: readonly string[];
}

export const TAXONOMIES: readonly TaxonomyDef[] = [
  { key: 'service-kinds', name: 'spoc service kinds', description: 'What a domestic-abuse service does', linkType: 'service_type', terms: SERVICE_KINDS },
  { key: 'risk-levels', name: 'spoc risk levels', description: 'DASH RIC risk levels a service accepts', linkType: 'eligibility', terms: ['standard', 'medium', 'high'] },
  { key: 'needs', name: 'spoc needs', description: 'Needs a service meets', linkType: 'eligibility' },
  { key: 'genders', name: 'spoc genders', description: 'Genders a service is for (none listed: everyone)', linkType: 'eligibility' },
  { key: 'specialisms', name: 'spoc specialisms', description: 'Communities a specialist service is for', linkType: 'audience' },
  { key: 'flags', name: 'spoc flags', description: 'by_and_for: run by and for the community it serves; confidential_location: a refuge whose address is never published', linkType: 'audience', terms: ['by_and_for', 'confidential_location'] },
  { key: 'details', name: 'spoc service details', description: 'Structured details with no HSDS field; the value is JSON', linkType: 'detail', terms: ['capacity_status', 'vacancies', 'response_targets', 'referral_route', 'accessibility', 'phone', 'organisation_kind', 'organisation_slug'] },
];

const taxonomyId = (key: string): string => stableId(NAMESPACE, 'taxonomy', key);
const termId = (key: string, term: string): string => stableId(NAMESPACE, 'term', key, term);

export function orukTaxonomies() {
  return TAXONOMIES.map((t) => ({ id: taxonomyId(t.key), name: t.name, description: t.description, version: '1' }));
}

function term(key: string, code: string) {
  const name = SERVICE_KIND_LABELS[code as keyof typeof SERVICE_KIND_LABELS] ?? code;
  // HSDS core names a term by code and name; the UK profile by term.
  return { id: termId(key, code), code, term: code, name, description: name, taxonomy: key, taxonomy_id: taxonomyId(key) };
}

export function orukTaxonomyTerms() {
  return TAXONOMIES.flatMap((t) => (t.terms ?? []).map((code) => term(t.key, code)));
}

function attribute(linkId: string, linkEntity: string, key: string, code: string, value?: unknown) {
  const def = TAXONOMIES.find((t) => t.key === key)!;
  return {
    id: stableId(NAMESPACE, 'attribute', linkId, key, code),
    link_id: linkId,
    link_type: def.linkType,
    link_entity: linkEntity,
    taxonomy_term_id: termId(key, code),
    taxonomy_term: term(key, code),
    ...(value === undefined ? {} : { value: JSON.stringify(value) }),
  };
}

export interface OrukOptions {
  /** Where the service has no web page of its own: a URL the UK profile requires. */
  fallbackUrl: (serviceId: string) => string;
  /** Confidential (refuge) addresses: never on the public API; in an export only when asked. */
  includeConfidential: boolean;
}

export function organisationToOruk(org: OrganisationView) {
  return {
    id: org.id,
    name: org.name,
    description: org.description || org.name,
    ...(org.email ? { email: org.email } : {}),
    ...(org.url ? { website: org.url } : {}),
    attributes: [
      attribute(org.id, 'organization', 'details', 'organisation_kind', org.kind),
      attribute(org.id, 'organization', 'details', 'organisation_slug', org.slug),
      ...(org.phone ? [attribute(org.id, 'organization', 'details', 'phone', org.phone)] : []),
    ],
  };
}

/** A fully nested ORUK service (as `/services/{id}` answers). */
export function serviceToOruk(service: ServiceView, org: OrganisationView, options: OrukOptions) {
  const id = service.id;
  const showAddress = service.address !== null && (!service.confidentialLocation || options.includeConfidential);
  const details: Array<[string, unknown]> = [
    ['capacity_status', service.capacityStatus],
    ['response_targets', service.responseTargets],
    ['referral_route', service.referralRoute],
    ...(service.vacancies.length > 0 ? [['vacancies', service.vacancies] as [string, unknown]] : []),
    ...(service.accessibility ? [['accessibility', service.accessibility] as [string, unknown]] : []),
    ...(service.phone ? [['phone', service.phone] as [string, unknown]] : []),
  ];
  return {
    id,
    organization_id: org.id,
    name: service.name,
    description: service.description || service.name,
    url: service.url ?? options.fallbackUrl(id),
    ...(service.email ? { email: service.email } : {}),
    status: service.status,
    ...(service.minAge !== null ? { minimum_age: service.minAge } : {}),
    ...(service.maxAge !== null ? { maximum_age: service.maxAge } : {}),
    ...(service.capacityStatus !== 'open' ? { alert: service.capacityStatus === 'closed' ? 'Not taking referrals at present' : 'Waiting list' } : {}),
    last_modified: service.updatedAt,
    organization: organisationToOruk(org),
    schedules: service.openingHours.map((slot) => ({
      id: stableId(NAMESPACE, 'schedule', id, slot.day, slot.opens, slot.closes),
      service_id: id,
      freq: 'WEEKLY',
      interval: 1,
      byday: DAY_CODES[slot.day],
      opens_at: `${slot.opens}:00`,
      closes_at: slot.closes === '24:00' ? '23:59:59' : `${slot.closes}:00`,
      description: `${slot.day} ${slot.opens}–${slot.closes}`,
    })),
    service_areas: service.areaDistricts.map((district) => ({
      id: stableId(NAMESPACE, 'area', id, district),
      service_id: id,
      name: district,
      description: `Postcode district ${district}`,
      extent_type: 'postcode_district',
    })),
    languages: service.languages.map((code) => ({ id: stableId(NAMESPACE, 'language', id, code), service_id: id, code, name: code })),
    service_at_locations: showAddress
      ? [
          {
            id: stableId(NAMESPACE, 'service_at_location', id),
            service_id: id,
            location: {
              id: stableId(NAMESPACE, 'location', id),
              location_type: 'physical',
              name: service.name,
              addresses: [
                {
                  id: stableId(NAMESPACE, 'address', id),
                  address_1: service.address!.line1,
                  ...(service.address!.line2 ? { address_2: service.address!.line2 } : {}),
                  city: service.address!.town,
                  state_province: '',
                  postal_code: service.address!.postcode,
                  country: 'GB',
                  address_type: 'physical',
                },
              ],
            },
          },
        ]
      : [],
    attributes: [
      attribute(id, 'service', 'service-kinds', service.kind),
      ...service.riskLevels.map((level) => attribute(id, 'service', 'risk-levels', level)),
      ...service.needs.map((need) => attribute(id, 'service', 'needs', need)),
      ...service.genders.map((gender) => attribute(id, 'service', 'genders', gender)),
      ...service.specialisms.map((specialism) => attribute(id, 'service', 'specialisms', specialism)),
      ...(service.byAndFor ? [attribute(id, 'service', 'flags', 'by_and_for')] : []),
      ...(service.confidentialLocation ? [attribute(id, 'service', 'flags', 'confidential_location')] : []),
      ...details.map(([code, value]) => attribute(id, 'service', 'details', code, value)),
    ],
  };
}
export type OrukService = ReturnType<typeof serviceToOruk>;
export type OrukOrganisation = ReturnType<typeof organisationToOruk>;

/** The one-to-one fields of a service, as `/services` lists them. */
export function serviceListItem(full: OrukService) {
  const { organization: _o, schedules: _s, service_areas: _a, languages: _l, service_at_locations: _sl, attributes: _at, ...flat } = full;
  return flat;
}

export function page<T>(items: T[], pageNumber: number, perPage: number, total: number) {
  const totalPages = Math.max(1, Math.ceil(total / perPage));
  return {
    total_items: total,
    total_pages: totalPages,
    page_number: pageNumber,
    size: items.length,
    first_page: pageNumber === 1,
    last_page: pageNumber >= totalPages,
    empty: items.length === 0,
    contents: items,
  };
}

// ---- back in ----

interface AttributeIn {
  taxonomy_term?: { code?: string; taxonomy?: string };
  value?: string;
}

function parseValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function readAttributes(attributes: AttributeIn[] | undefined) {
  const byTaxonomy = new Map<string, Array<{ code: string; value: unknown }>>();
  for (const a of attributes ?? []) {
    const key = a.taxonomy_term?.taxonomy;
    const code = a.taxonomy_term?.code;
    if (!key || !code) continue;
    const list = byTaxonomy.get(key) ?? [];
    list.push({ code, value: a.value === undefined ? undefined : parseValue(a.value) });
    byTaxonomy.set(key, list);
  }
  const codes = (key: string) => (byTaxonomy.get(key) ?? []).map((a) => a.code);
  const detail = (code: string) => (byTaxonomy.get('details') ?? []).find((a) => a.code === code)?.value;
  return { codes, detail };
}

const DAYS_BY_CODE = Object.fromEntries(Object.entries(DAY_CODES).map(([day, code]) => [code, day])) as Record<string, Day>;

export interface OrukServiceIn {
  id: string;
  organization_id?: string;
  organization?: OrukOrganisationIn;
  name: string;
  description?: string;
  url?: string;
  email?: string;
  status?: string;
  minimum_age?: number;
  maximum_age?: number;
  schedules?: Array<{ byday?: string; opens_at?: string; closes_at?: string }>;
  service_areas?: Array<{ name?: string }>;
  languages?: Array<{ code?: string }>;
  service_at_locations?: Array<{ location?: { addresses?: Array<{ address_1?: string; address_2?: string; city?: string; postal_code?: string }> } }>;
  attributes?: AttributeIn[];
}

export interface OrukOrganisationIn {
  id: string;
  name: string;
  description?: string;
  email?: string;
  website?: string;
  attributes?: AttributeIn[];
}

export function organisationFromOruk(org: OrukOrganisationIn) {
  const { detail } = readAttributes(org.attributes);
  return {
    id: org.id,
    name: org.name,
    description: org.description === org.name ? '' : (org.description ?? ''),
    email: org.email ?? null,
    url: org.website ?? null,
    phone: (detail('phone') as string | undefined) ?? null,
    kind: (detail('organisation_kind') as string | undefined) ?? 'provider',
    slug: detail('organisation_slug') as string | undefined,
  };
}

/** A service as spoc holds it, from ORUK JSON; the caller validates the result. */
export function serviceFromOruk(service: OrukServiceIn): ServiceData & { id: string } {
  const { codes, detail } = readAttributes(service.attributes);
  const address = service.service_at_locations?.[0]?.location?.addresses?.[0];
  const time = (value: string | undefined) => (value === '23:59:59' ? '24:00' : (value ?? '').slice(0, 5));
  return {
    id: service.id,
    organisationId: service.organization_id ?? service.organization?.id ?? '',
    name: service.name,
    kind: codes('service-kinds')[0] as ServiceData['kind'],
    description: service.description === service.name ? '' : (service.description ?? ''),
    status: service.status === 'inactive' ? 'inactive' : 'active',
    byAndFor: codes('flags').includes('by_and_for'),
    specialisms: codes('specialisms') as ServiceData['specialisms'],
    areaDistricts: (service.service_areas ?? []).map((a) => a.name ?? ''),
    minAge: service.minimum_age ?? null,
    maxAge: service.maximum_age ?? null,
    genders: codes('genders') as ServiceData['genders'],
    riskLevels: codes('risk-levels') as ServiceData['riskLevels'],
    needs: codes('needs'),
    languages: (service.languages ?? []).map((l) => l.code ?? ''),
    accessibility: (detail('accessibility') as string | undefined) ?? '',
    openingHours: (service.schedules ?? []).map((s) => ({
      day: DAYS_BY_CODE[s.byday ?? ''] as Day,
      opens: time(s.opens_at),
      closes: time(s.closes_at),
    })),
    referralRoute: (detail('referral_route') as ServiceData['referralRoute']) ?? { method: 'spoc_inbox' },
    responseTargets: detail('response_targets') as ServiceData['responseTargets'],
    capacityStatus: (detail('capacity_status') as ServiceData['capacityStatus']) ?? 'open',
    vacancies: (detail('vacancies') as ServiceData['vacancies']) ?? [],
    confidentialLocation: codes('flags').includes('confidential_location'),
    address: address
      ? {
          line1: address.address_1 ?? '',
          ...(address.address_2 ? { line2: address.address_2 } : {}),
          town: address.city ?? '',
          postcode: address.postal_code ?? '',
        }
      : null,
    phone: (detail('phone') as string | undefined) ?? null,
    email: service.email ?? null,
    // An export gives a service without a page of its own the address of its ORUK record.
    url: service.url?.endsWith(`/oruk/services/${service.id}`) ? null : (service.url ?? null),
  };
}
