import type { Kysely } from 'kysely';
import type { Tx } from '../../db/transaction.js';
import type { DB } from '../../db/types.js';
import { toJson } from '../../lib/json.js';
import type { ServiceData } from './schema.js';

type Queryable = Kysely<DB> | Tx;

export function toColumns(service: ServiceData) {
  return {
    organisation_id: service.organisationId,
    name: service.name,
    kind: service.kind,
    description: service.description,
    status: service.status,
    by_and_for: service.byAndFor,
    specialisms: service.specialisms,
    area_districts: service.areaDistricts,
    min_age: service.minAge,
    max_age: service.maxAge,
    genders: service.genders,
    risk_levels: service.riskLevels,
    needs: service.needs,
    languages: service.languages,
    accessibility: service.accessibility,
    opening_hours: toJson(service.openingHours),
    referral_route: toJson(service.referralRoute),
    response_targets: toJson(service.responseTargets),
    capacity_status: service.capacityStatus,
    vacancies: toJson(service.vacancies),
    confidential_location: service.confidentialLocation,
    address: toJson(service.address),
    phone: service.phone,
    email: service.email,
    url: service.url,
  };
}

export function insertService(tx: Tx, partnershipId: string, service: ServiceData, id?: string) {
  return tx
    .insertInto('services')
    .values({ ...(id ? { id } : {}), partnership_id: partnershipId, ...toColumns(service) })
    .returning('id')
    .executeTakeFirstOrThrow();
}

export function selectServices(db: Queryable, partnershipId: string) {
  return db
    .selectFrom('services as s')
    .innerJoin('organisations as o', 'o.id', 's.organisation_id')
    .selectAll('s')
    .select('o.name as organisation_name')
    .where('s.partnership_id', '=', partnershipId)
    .orderBy('o.name')
    .orderBy('s.name')
    .orderBy('s.id');
}
export type ServiceRow = Awaited<ReturnType<ReturnType<typeof selectServices>['execute']>>[number];

export function updateService(tx: Tx, id: string, service: ServiceData) {
  return tx.updateTable('services').set({ ...toColumns(service), updated_at: new Date() }).where('id', '=', id).execute();
}

export function updateHours(tx: Tx, id: string, openingHours: string) {
  return tx.updateTable('services').set({ opening_hours: openingHours, updated_at: new Date() }).where('id', '=', id).execute();
}

export function updateCapacity(tx: Tx, id: string, values: { capacity_status?: string; vacancies?: string }) {
  return tx
    .updateTable('services')
    .set({ ...values, updated_at: new Date() })
    .where('id', '=', id)
    .execute();
}
