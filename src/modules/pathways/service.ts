import { Ajv } from 'ajv';
import type { Tx } from '../../db/transaction.js';
import { Invalid } from '../../lib/errors.js';
import { isBankHoliday } from '../../lib/holidays.js';
import { toJson } from '../../lib/json.js';
import { CASELOAD_KINDS, serviceLoads } from '../reports/caseload.js';
import { requirePermission, type Actor } from '../access/actor.js';
import { audit } from '../access/audit.js';
import { loadContact, toView as contactView } from '../contacts/service.js';
import type { ContactView } from '../contacts/schema.js';
import type { ServiceView } from '../directory/schema.js';
import { listServices } from '../directory/service.js';
import { deadline } from '../referrals/clock.js';
import { currentAssessmentOf } from '../risk/service.js';
import type { RiskLevel } from '../risk/scoring.js';
import { propose, type PathwayResult } from './engine.js';
import { factsOf } from './facts.js';
import { DEFAULT_RULES, RuleSet, type Rule } from './rules.js';

const checkRuleSet = new Ajv({ allErrors: true, strict: false }).compile(RuleSet);

/** The deadlines a referral made now would get from this service's targets and hours. */
export function deadlinesFor(service: ServiceView, level: RiskLevel, from: Date) {
  const targets = service.responseTargets[level];
  return {
    acknowledgeBy: reachable(() => deadline(from, targets.acknowledge, service.openingHours, isBankHoliday), from).toISOString(),
    firstContactBy: reachable(() => deadline(from, targets.firstContact, service.openingHours, isBankHoliday), from).toISOString(),
  };
}

/** Hours so sparse that a target cannot be met within the clock's horizon: the deadline is the horizon (800 days), never an error. */
function reachable(count: () => Date, from: Date): Date {
  try {
    return count();
  } catch {
    return new Date(from.getTime() + 800 * 86_400_000);
  }
}

export async function currentRules(tx: Tx, partnershipId: string): Promise<{ version: number; rules: Rule[] }> {
  const row = await tx
    .selectFrom('routing_rule_sets')
    .select(['version', 'rules'])
    .where('partnership_id', '=', partnershipId)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? { version: row.version, rules: row.rules as Rule[] } : { version: 0, rules: DEFAULT_RULES };
}

/** Checks a rule set (e.g. a file for replay) against the schema, naming every bad field. */
export function parseRuleSet(candidate: unknown): Rule[] {
  if (!checkRuleSet(candidate)) {
    throw new Invalid((checkRuleSet.errors ?? []).map((e) => ({ field: e.instancePath || '/', message: e.message ?? 'is invalid' })));
  }
  const rules = (candidate as { rules: Rule[] }).rules;
  const ids = rules.map((r) => r.id);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) throw Invalid.field('/rules', `rule id "${duplicate}" is used twice`);
  return rules;
}

export async function saveRules(tx: Tx, actor: Actor, candidate: unknown) {
  requirePermission(actor, 'pathways:manage');
  const rules = parseRuleSet(candidate);
  // One save at a time per partnership, so two cannot both take the next version.
  await tx.selectFrom('partnerships').select('id').where('id', '=', actor.partnershipId).forUpdate().execute();
  const { version } = await currentRules(tx, actor.partnershipId);
  await tx
    .insertInto('routing_rule_sets')
    .values({ partnership_id: actor.partnershipId, version: version + 1, rules: toJson(rules), created_by: actor.userId })
    .execute();
  await audit(tx, actor, { action: 'pathways.rules.update', details: { version: version + 1 } });
  return { version: version + 1, rules };
}

/**
 * Proposals for a contact the caller has loaded (no access check or audit here), with the
 * assessment and the directory they were made from, so a caller acting on them reads neither twice.
 */
export async function pathwaysOf(tx: Tx, actor: Actor, contact: ContactView, rules: Rule[], now = new Date()) {
  const assessment = await currentAssessmentOf(tx, contact.id);
  const services = await listServices(tx, actor, {});
  const result: PathwayResult = propose(factsOf(contact, (assessment?.level as RiskLevel | undefined) ?? null, now), rules, services, (service, level) =>
    deadlinesFor(service, level, now),
  );
  return { result, assessment, services };
}

export async function pathwaysFor(tx: Tx, actor: Actor, contactId: string) {
  requirePermission(actor, 'referral:create');
  const row = await loadContact(tx, actor, contactId, 'read', 'pathways.read');
  const { version, rules } = await currentRules(tx, actor.partnershipId);
  const { result } = await pathwaysOf(tx, actor, contactView(row), rules);
  await audit(tx, actor, { action: 'pathways.read', recordType: 'contact', recordId: contactId, details: { rulesVersion: version } });
  return { contactId, rulesVersion: version, ...result, proposals: await withCaseloads(tx, actor.partnershipId, result.proposals) };
}

/** A proposed service held to the safe caseload (an IDVA service) carries its caseload, so the person sending a referral sees one that is over it. */
async function withCaseloads<P extends { serviceId: string; kind: string }>(tx: Tx, partnershipId: string, proposals: P[]) {
  if (!proposals.some((p) => CASELOAD_KINDS.includes(p.kind))) return proposals;
  const { safe, loads: list } = await serviceLoads(tx, partnershipId);
  const loads = new Map(list.map((l) => [l.serviceId, l]));
  return proposals.map((p) => {
    const load = loads.get(p.serviceId);
    return load ? { ...p, caseload: { perCaseworker: load.perCaseworker, caseworkers: load.caseworkers, safeLow: safe.low, safeHigh: safe.high, over: load.over } } : p;
  });
}
