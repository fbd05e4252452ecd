import type { Kysely } from 'kysely';
import type { Tx } from '../../db/transaction.js';
import type { DB } from '../../db/types.js';
import { Forbidden, Invalid, NotFound, type FieldError } from '../../lib/errors.js';
import { toJson } from '../../lib/json.js';
import { normalisePostcode } from '../../lib/schema.js';
import { can, requirePermission, type Actor } from '../access/actor.js';
import { audit } from '../access/audit.js';
import { findOrganisation, listOrganisations as listOrganisationRows } from '../access/store.js';
import type { CapacityUpdate, NewService, OrganisationView, ResponseTargets, ServiceData, ServicePatch, ServiceView } from './schema.js';
import * as store from './store.js';

/** SPEC defaults: high — acknowledge in 4 working hours, first contact in 1 working day; medium 1 and 3 days; standard 2 and 5. */
export const DEFAULT_RESPONSE_TARGETS: ResponseTargets = {
  high: { acknowledge: { value: 4, unit: 'working_hours' }, firstContact: { value: 1, unit: 'working_days' } },
  medium: { acknowledge: { value: 1, unit: 'working_days' }, firstContact: { value: 3, unit: 'working_days' } },
  standard: { acknowledge: { value: 2, unit: 'working_days' }, firstContact: { value: 5, unit: 'working_days' } },
};

export const OFFICE_HOURS = (['monday', 'tuesday', 'wednesday', 'thursday', 'friday'] as const).map((day) => ({
  day,
  opens: '09:00',
  closes: '17:00',
}));

export function withDefaults(input: NewService): ServiceData {
  return {
    description: '',
    status: 'active',
    byAndFor: false,
    specialisms: [],
    areaDistricts: [],
    minAge: null,
    maxAge: null,
    genders: [],
    needs: [],
    languages: ['en'],
    accessibility: '',
    openingHours: OFFICE_HOURS,
    referralRoute: { method: 'spoc_inbox' },
    responseTargets: DEFAULT_RESPONSE_TARGETS,
    capacityStatus: 'open',
    vacancies: [],
    confidentialLocation: false,
    address: null,
    phone: null,
    email: null,
    url: null,
    ...input,
  };
}

/** Rules across fields, each naming the field at fault. */
export function checkService(service: ServiceData): void {
  const errors: FieldError[] = [];
  if (service.minAge !== null && service.maxAge !== null && service.minAge > service.maxAge) {
    errors.push({ field: '/maxAge', message: 'must not be below minAge' });
  }
  service.openingHours.forEach((slot, i) => {
    if (slot.opens >= slot.closes) errors.push({ field: `/openingHours/${i}/closes`, message: 'must be after opens' });
  });
  if (service.vacancies.length > 0 && service.kind !== 'safe_accommodation') {
    errors.push({ field: '/vacancies', message: 'only safe accommodation has vacancies' });
  }
  if (errors.length > 0) throw new Invalid(errors);
}

export function toView(row: store.ServiceRow, options: { showAddress: boolean }): ServiceView {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    organisationName: row.organisation_name,
    name: row.name,
    kind: row.kind as ServiceView['kind'],
    description: row.description,
    status: row.status as ServiceView['status'],
    byAndFor: row.by_and_for,
    specialisms: row.specialisms as ServiceView['specialisms'],
    areaDistricts: row.area_districts,
    minAge: row.min_age,
    maxAge: row.max_age,
    genders: row.genders as ServiceView['genders'],
    riskLevels: row.risk_levels as ServiceView['riskLevels'],
    needs: row.needs,
    languages: row.languages,
    accessibility: row.accessibility,
    openingHours: row.opening_hours as ServiceView['openingHours'],
    referralRoute: row.referral_route as ServiceView['referralRoute'],
    responseTargets: row.response_targets as ServiceView['responseTargets'],
    capacityStatus: row.capacity_status as ServiceView['capacityStatus'],
    vacancies: row.vacancies as ServiceView['vacancies'],
    confidentialLocation: row.confidential_location,
    address: !row.confidential_location || options.showAddress ? (row.address as ServiceView['address']) : null,
    phone: row.phone,
    email: row.email,
    url: row.url,
    updatedAt: row.updated_at.toISOString(),
  };
}

/** A refuge's address is shown only to the staff of the organisation that runs it. */
const showAddressTo = (actor: Actor | null, row: store.ServiceRow): boolean => actor?.organisationId === row.organisation_id;

export async function listServices(db: Kysely<DB> | Tx, actor: Actor, filter: { kind?: string; organisationId?: string }) {
  let q = store.selectServices(db, actor.partnershipId);
  if (filter.kind) q = q.where('s.kind', '=', filter.kind);
  if (filter.organisationId) q = q.where('s.organisation_id', '=', filter.organisationId);
  return (await q.execute()).map((row) => toView(row, { showAddress: showAddressTo(actor, row) }));
}

/** Every service of a partnership, as the public sees them (no refuge addresses); for batch work. */
export async function allServices(db: Kysely<DB> | Tx, partnershipId: string): Promise<ServiceView[]> {
  return (await store.selectServices(db, partnershipId).execute()).map((row) => toView(row, { showAddress: false }));
}

export async function getService(db: Kysely<DB> | Tx, actor: Actor, id: string): Promise<ServiceView> {
  const row = await store.selectServices(db, actor.partnershipId).where('s.id', '=', id).executeTakeFirst();
  if (!row) throw new NotFound('Service');
  return toView(row, { showAddress: showAddressTo(actor, row) });
}

export async function createService(tx: Tx, actor: Actor | null, partnershipId: string, input: NewService, id?: string) {
  if (actor) requirePermission(actor, 'directory:manage');
  const service = withDefaults(input);
  if (service.address) service.address = { ...service.address, postcode: normalisePostcode(service.address.postcode) };
  checkService(service);
  const organisation = await findOrganisation(tx, partnershipId, service.organisationId);
  if (!organisation) throw Invalid.field('/organisationId', 'is not an organisation of this partnership');
  if (actor && !actor.roles.includes('spoc_coordinator') && !actor.roles.includes('system_admin') && actor.organisationId !== organisation.id) {
    throw new Forbidden("You may add services only to your own organisation");
  }
  const { id: serviceId } = await store.insertService(tx, partnershipId, service, id);
  await audit(tx, actor, { action: 'service.create', recordType: 'service', recordId: serviceId });
  return serviceId;
}

/** The SPOC coordinator may change any service; a provider manager only their organisation's. */
export function mayManage(actor: Actor, service: { organisationId: string }): boolean {
  return can(actor, 'directory:manage') && (actor.roles.includes('spoc_coordinator') || actor.organisationId === service.organisationId);
}

async function manageable(tx: Tx, actor: Actor, id: string): Promise<ServiceView> {
  requirePermission(actor, 'directory:manage');
  const current = await getService(tx, actor, id);
  if (!mayManage(actor, current)) throw new Forbidden("You may change only your own organisation's services");
  return current;
}

/** A service's name, description, status, area, ages and contact details; checked as a whole. */
export async function updateServiceDetails(tx: Tx, actor: Actor, id: string, patch: ServicePatch): Promise<ServiceView> {
  await manageable(tx, actor, id);
  // Merged with the stored row as it is, address included: a refuge's address hidden from this user must not be lost.
  const row = await store.selectServices(tx, actor.partnershipId).where('s.id', '=', id).executeTakeFirstOrThrow();
  const { id: _id, organisationName: _o, updatedAt: _u, ...data } = toView(row, { showAddress: true });
  const merged: ServiceData = { ...data, ...patch };
  checkService(merged);
  await store.updateService(tx, id, merged);
  await audit(tx, actor, { action: 'service.update', recordType: 'service', recordId: id, details: { fields: Object.keys(patch).sort() } });
  return getService(tx, actor, id);
}

/** Opening hours, which the response clocks count in (new referrals only; sent ones keep their deadlines). */
export async function updateOpeningHours(tx: Tx, actor: Actor, id: string, openingHours: ServiceView['openingHours']): Promise<ServiceView> {
  await manageable(tx, actor, id);
  await store.updateHours(tx, id, toJson(openingHours));
  await audit(tx, actor, { action: 'service.hours', recordType: 'service', recordId: id, details: { slots: openingHours.length } });
  return getService(tx, actor, id);
}

/** Providers keep their own capacity and vacancies current; the SPOC coordinator can too. */
export async function updateCapacity(tx: Tx, actor: Actor, id: string, input: CapacityUpdate): Promise<ServiceView> {
  const current = await manageable(tx, actor, id);
  if (input.vacancies && input.vacancies.length > 0 && current.kind !== 'safe_accommodation') {
    throw Invalid.field('/vacancies', 'only safe accommodation has vacancies');
  }
  await store.updateCapacity(tx, id, {
    ...(input.capacityStatus ? { capacity_status: input.capacityStatus } : {}),
    ...(input.vacancies ? { vacancies: toJson(input.vacancies) } : {}),
  });
  await audit(tx, actor, { action: 'service.capacity', recordType: 'service', recordId: id, details: { ...input } });
  return getService(tx, actor, id);
}

export async function listOrganisations(db: Kysely<DB> | Tx, partnershipId: string): Promise<OrganisationView[]> {
  return (await listOrganisationRows(db, partnershipId)).map((o) => ({
    id: o.id,
    slug: o.slug,
    name: o.name,
    kind: o.kind,
    description: o.description,
    url: o.url,
    email: o.email,
    phone: o.phone,
  }));
}
