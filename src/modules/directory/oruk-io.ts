/** The directory as an Open Referral UK document: export, and import (all or nothing). */
import { Ajv } from 'ajv';
import * as addFormatsModule from 'ajv-formats';
import { Type } from 'typebox';
import type { Tx } from '../../db/transaction.js';
import { Conflict, Invalid, type FieldError } from '../../lib/errors.js';
import { normalisePostcode } from '../../lib/schema.js';
import { audit } from '../access/audit.js';
import { findHub, insertOrganisation, listOrganisations as organisationRows } from '../access/store.js';
import {
  ORUK_PROFILE,
  ORUK_VERSION,
  organisationFromOruk,
  organisationToOruk,
  orukTaxonomies,
  serviceFromOruk,
  serviceToOruk,
  type OrukOrganisationIn,
  type OrukServiceIn,
} from './oruk.js';
import { NewService } from './schema.js';
import { checkService, listOrganisations, toView } from './service.js';
import * as store from './store.js';

const addFormats = (addFormatsModule as unknown as { default: (ajv: Ajv) => Ajv }).default;
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));

const DocumentShape = Type.Object({
  organizations: Type.Optional(Type.Array(Type.Object({ id: Type.String({ format: 'uuid' }), name: Type.String({ minLength: 1 }) }))),
  services: Type.Array(Type.Object({ id: Type.String({ format: 'uuid' }), name: Type.String({ minLength: 1 }) })),
});
const checkDocument = ajv.compile(DocumentShape);
const checkService_ = ajv.compile(NewService);

export const fallbackUrl = (base: string) => (serviceId: string) => `${base.replace(/\/$/, '')}/oruk/services/${serviceId}`;

/** Every service of a partnership, fully nested, with the organisations and taxonomies. */
export async function exportDirectory(tx: Tx, partnershipId: string, options: { includeConfidential: boolean; baseUrl?: string }) {
  const organisations = await listOrganisations(tx, partnershipId);
  const byId = new Map(organisations.map((o) => [o.id, o]));
  const rows = await store.selectServices(tx, partnershipId).execute();
  const url = fallbackUrl(options.baseUrl ?? 'http://localhost:3000');
  await audit(tx, null, { action: 'directory.export', details: { partnershipId, includeConfidential: options.includeConfidential } });
  return {
    version: ORUK_VERSION,
    profile: ORUK_PROFILE,
    generator: 'spoc',
    exported_at: new Date().toISOString(),
    taxonomies: orukTaxonomies(),
    organizations: organisations.map(organisationToOruk),
    services: rows.map((row) =>
      serviceToOruk(toView(row, { showAddress: options.includeConfidential }), byId.get(row.organisation_id)!, {
        includeConfidential: options.includeConfidential,
        fallbackUrl: url,
      }),
    ),
  };
}

function slugify(name: string): string {
  return name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'organisation';
}

/**
 * Loads organisations and services from an ORUK document into a partnership, all or
 * nothing. Records keep their ids, so importing again updates them; the document's SPOC hub
 * becomes the partnership's own hub.
 */
export async function importDirectory(
  tx: Tx,
  partnershipId: string,
  document: unknown,
  onProgress?: (done: number, total: number) => void,
) {
  if (!checkDocument(document)) {
    throw new Invalid((checkDocument.errors ?? []).slice(0, 50).map((e) => ({ field: e.instancePath || '/', message: e.message ?? 'is invalid' })));
  }
  const doc = document as { organizations?: OrukOrganisationIn[]; services: OrukServiceIn[] };
  const existing = new Map((await organisationRows(tx, partnershipId)).map((o) => [o.id, o]));
  const slugs = new Set([...existing.values()].map((o) => o.slug));
  const hub = await findHub(tx, partnershipId);
  const organisationIds = new Map<string, string>();

  const organisations = [
    ...(doc.organizations ?? []),
    // Organisations named only inside services.
    ...doc.services.flatMap((s) => (s.organization ? [s.organization] : [])),
  ];
  for (const incoming of organisations) {
    if (organisationIds.has(incoming.id)) continue;
    const org = organisationFromOruk(incoming);
    if (org.kind === 'spoc_hub' && hub) {
      organisationIds.set(org.id, hub.id);
      continue;
    }
    if (existing.has(org.id)) {
      organisationIds.set(org.id, org.id);
      continue;
    }
    let slug = org.slug && !slugs.has(org.slug) ? org.slug : slugify(org.name);
    for (let n = 2; slugs.has(slug); n += 1) slug = `${slugify(org.name)}-${n}`;
    slugs.add(slug);
    const clash = await tx.selectFrom('organisations').select('partnership_id').where('id', '=', org.id).executeTakeFirst();
    if (clash) throw new Conflict(`Organisation ${org.id} belongs to another partnership`);
    await insertOrganisation(tx, { ...org, slug, kind: org.kind === 'spoc_hub' ? 'provider' : org.kind, partnershipId });
    organisationIds.set(org.id, org.id);
  }

  const errors: FieldError[] = [];
  const services = doc.services.map((incoming, index) => {
    const service = serviceFromOruk(incoming);
    service.organisationId = organisationIds.get(service.organisationId) ?? service.organisationId;
    if (service.address?.postcode) service.address.postcode = normalisePostcode(service.address.postcode);
    const { id, ...data } = service;
    if (!checkService_(data)) {
      for (const e of checkService_.errors ?? []) {
        const field = e.keyword === 'required' ? `${e.instancePath}/${String(e.params.missingProperty)}` : e.instancePath;
        errors.push({ field: `/services/${index}${field}`, message: e.message ?? 'is invalid' });
      }
      return null;
    }
    try {
      checkService(data);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      errors.push(...error.errors.map((e) => ({ field: `/services/${index}${e.field}`, message: e.message })));
      return null;
    }
    if (!organisationIds.has(data.organisationId) && !existing.has(data.organisationId) && data.organisationId !== hub?.id) {
      errors.push({ field: `/services/${index}/organization_id`, message: 'names no organisation in the document or the partnership' });
    }
    return { id, data };
  });
  if (errors.length > 0) throw new Invalid(errors.slice(0, 50));

  let done = 0;
  for (const entry of services) {
    const { id, data } = entry!;
    const current = await tx.selectFrom('services').select(['partnership_id']).where('id', '=', id).executeTakeFirst();
    if (current && current.partnership_id !== partnershipId) throw new Conflict(`Service ${id} belongs to another partnership`);
    if (current) {
      await tx.updateTable('services').set({ ...store.toColumns(data), updated_at: new Date() }).where('id', '=', id).execute();
    } else {
      await store.insertService(tx, partnershipId, data, id);
    }
    done += 1;
    onProgress?.(done, services.length);
  }
  await audit(tx, null, { action: 'directory.import', details: { partnershipId, services: services.length } });
  return { organisations: organisationIds.size, services: services.length };
}
