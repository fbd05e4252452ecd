/**
 * Safe accommodation (SPEC §2 step 9, §5): refuge vacancies by unit type kept current by
 * their providers (src/modules/directory), a search that matches a household, and a refuge
 * referral from a case. A refuge's address is shown only to the refuge's own staff: every
 * service here comes through the directory service, which hides it from everyone else.
 */
import type { Tx } from '../../db/transaction.js';
import { Invalid } from '../../lib/errors.js';
import { requirePermission, type Actor } from '../access/actor.js';
import { audit } from '../access/audit.js';
import { caseToReferFrom } from '../cases/service.js';
import { listServices } from '../directory/service.js';
import { sendReferrals } from '../referrals/service.js';
import { fittingVacancies, unitTypeFor, type Household } from './fit.js';
import type { RefugeReferral, VacancySearch } from './schema.js';

const CHILD_RELATIONSHIPS = ['child', 'stepchild', 'grandchild'];

/** What a case's household needs of a unit: children living with the person, and needs recorded on its contacts. */
async function householdOfCase(tx: Tx, actor: Actor, caseId: string): Promise<Household> {
  const { contactId } = await caseToReferFrom(tx, actor, caseId);
  const children = await tx
    .selectFrom('household_members')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('case_id', '=', caseId)
    .where('relationship', 'in', CHILD_RELATIONSHIPS)
    .where('lives_with_person', '=', true)
    .executeTakeFirstOrThrow();
  const contact = await tx.selectFrom('contacts').select(['needs', 'children']).where('id', '=', contactId).executeTakeFirstOrThrow();
  const recorded = Math.max(Number(children.n), (contact.children as unknown[]).length);
  return { children: recorded, accessible: contact.needs.includes('disability'), noRecourse: contact.needs.includes('immigration_nrpf') };
}

/** Safe accommodation with a vacancy that fits the household (given, or read from a case). */
export async function searchVacancies(tx: Tx, actor: Actor, query: VacancySearch) {
  requirePermission(actor, 'directory:read');
  const household: Household = query.caseId
    ? await householdOfCase(tx, actor, query.caseId)
    : { children: query.children ?? 0, accessible: query.accessible ?? false, noRecourse: query.noRecourse ?? false };
  const services = await listServices(tx, actor, { kind: 'safe_accommodation' });
  const results = services
    .filter((s) => s.status === 'active' && s.capacityStatus !== 'closed')
    .map((service) => ({ service, fitting: fittingVacancies(service.vacancies, household) }))
    .filter((r) => r.fitting.length > 0);
  if (query.caseId) await audit(tx, actor, { action: 'accommodation.search', recordType: 'case', recordId: query.caseId, details: { results: results.length } });
  return {
    household: { ...household, unitType: unitTypeFor(household.children) },
    results: results.map(({ service, fitting }) => ({
      serviceId: service.id,
      serviceName: service.name,
      organisationId: service.organisationId,
      organisationName: service.organisationName,
      // null unless the actor works for the refuge (the directory service decides).
      address: service.address,
      phone: service.phone,
      vacancies: fitting,
    })),
  };
}

/** A refuge referral from a case: to safe accommodation with a vacancy of the unit asked for. */
export async function referToRefuge(tx: Tx, actor: Actor, caseId: string, input: RefugeReferral) {
  requirePermission(actor, 'referral:create');
  const from = await caseToReferFrom(tx, actor, caseId);
  const services = await listServices(tx, actor, { kind: 'safe_accommodation' });
  if (!services.some((s) => s.id === input.serviceId)) throw Invalid.field('/serviceId', 'is not safe accommodation of this partnership');
  let sent;
  try {
    sent = await sendReferrals(
      tx,
      actor,
      from.contactId,
      {
        referrals: [{ serviceId: input.serviceId, unitType: input.unitType, reason: input.reason ?? 'Refuge referral from the case' }],
        consent: input.consent,
        ...(input.lawfulBasis ? { lawfulBasis: input.lawfulBasis } : {}),
      },
      undefined,
      'read',
    );
  } catch (error) {
    // The referral's own field names, as this request spells them.
    if (error instanceof Invalid) throw new Invalid(error.errors.map((e) => ({ ...e, field: e.field.replace(/^\/referrals\/0/, '') })));
    throw error;
  }
  const referral = sent.referrals[0]!;
  await tx.updateTable('referrals').set({ referring_case_id: caseId }).where('id', '=', referral.id).execute();
  await audit(tx, actor, { action: 'case.refuge_referral', recordType: 'case', recordId: caseId, details: { referralId: referral.id, unitType: input.unitType } });
  return referral;
}
