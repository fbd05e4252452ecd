/**
 * The routing engine (SPEC §4): applies rules to a contact and the directory and explains
 * every proposal and every exclusion. Pure: the caller passes the facts, the services,
 * and how to compute a service's deadlines.
 */
import type { ServiceView } from '../directory/schema.js';
import type { RiskLevel } from '../risk/scoring.js';
import type { Rule } from './rules.js';
import { fittingVacancies, unitTypeFor } from '../accommodation/fit.js';

export interface PathwayFacts {
  callerType: string;
  /** The current assessment's level; null when none has been completed. */
  riskLevel: RiskLevel | null;
  needs: string[];
  age: number | null;
  gender: string | null;
  /** Postcode district, e.g. XB1. */
  district: string | null;
  /** ISO 639 code, when known and not English. */
  language: string | null;
  interpreterNeeded: boolean;
  childrenCount: number;
}

export type CheckName = 'status' | 'area' | 'age' | 'gender' | 'specialism' | 'risk_level' | 'language' | 'capacity' | 'vacancy';
export interface Check {
  check: CheckName;
  passed: boolean;
  detail: string;
}

export interface Proposal {
  serviceId: string;
  serviceName: string;
  organisationId: string;
  kind: string;
  ruleId: string;
  rule: string;
  checks: Check[];
  capacity: { status: string; vacancies: ServiceView['vacancies'] };
  deadlines: { acknowledgeBy: string; firstContactBy: string };
}

export interface Exclusion {
  serviceId: string;
  serviceName: string;
  kind: string;
  /** The rule that considered it; null when no rule asks for its kind here. */
  ruleId: string | null;
  reason: string;
  failed: Check[];
}

export interface PathwayResult {
  riskLevel: RiskLevel;
  notes: string[];
  proposals: Proposal[];
  excluded: Exclusion[];
}

const KNOWABLE_SPECIALISMS = new Set(['men', 'lgbt', 'young_people_16_17', 'older_people']);
const SPECIALISM_NEEDS: Record<string, string> = { lgbt: 'lgbt', older_person: 'older_people', male_victim: 'men', age_16_17: 'young_people_16_17' };

/** Communities a specialist service could be for, from what the contact says. */
export function personSpecialisms(facts: PathwayFacts): Set<string> {
  const out = new Set(facts.needs.map((need) => SPECIALISM_NEEDS[need]).filter((s): s is string => Boolean(s)));
  if (facts.gender === 'male') out.add('men');
  if (facts.age !== null && facts.age >= 16 && facts.age <= 17) out.add('young_people_16_17');
  if (facts.age !== null && facts.age >= 60) out.add('older_people');
  return out;
}

export function eligibility(service: ServiceView, facts: PathwayFacts, level: RiskLevel): Check[] {
  const checks: Check[] = [];
  const add = (check: CheckName, passed: boolean, detail: string) => checks.push({ check, passed, detail });
  add('status', service.status === 'active', service.status === 'active' ? 'active' : 'not active');
  if (service.areaDistricts.length === 0) add('area', true, 'no area limit');
  else if (facts.district === null) add('area', true, 'postcode not known: area not checked');
  else add('area', service.areaDistricts.includes(facts.district), `${facts.district} ${service.areaDistricts.includes(facts.district) ? 'is' : 'is not'} in the area served`);
  if (facts.age === null) add('age', true, 'age not known: not checked');
  else {
    const ok = (service.minAge === null || facts.age >= service.minAge) && (service.maxAge === null || facts.age <= service.maxAge);
    add('age', ok, `age ${facts.age}; serves ${service.minAge ?? 0}–${service.maxAge ?? 'any'}`);
  }
  if (service.genders.length === 0) add('gender', true, 'open to everyone');
  else if (facts.gender === null || facts.gender === 'not_known') add('gender', true, `gender not known: serves ${service.genders.join(', ')}`);
  else add('gender', (service.genders as string[]).includes(facts.gender), `${facts.gender}; serves ${service.genders.join(', ')}`);
  // A specialist service is for its community: spoc can tell men, LGBT+, 16–17 and older people
  // from the contact; other communities (e.g. by-and-for services for Black and minoritised
  // women) it cannot, so those pass and the handler offers them where they fit.
  const knowable = service.specialisms.filter((s) => KNOWABLE_SPECIALISMS.has(s));
  if (knowable.length === 0) add('specialism', true, service.specialisms.length > 0 ? `for ${service.specialisms.join(', ')}: offer where it fits` : 'not a specialist service');
  else {
    const mine = personSpecialisms(facts);
    const ok = knowable.some((s) => mine.has(s));
    add('specialism', ok, ok ? `for ${knowable.join(', ')}` : `only for ${knowable.join(', ')}`);
  }
  add('risk_level', service.riskLevels.includes(level), `${level} risk; accepts ${service.riskLevels.join(', ')}`);
  if (facts.language === null || facts.language === 'en') add('language', true, 'English');
  else if (service.languages.includes(facts.language)) add('language', true, `works in ${facts.language}`);
  else add('language', facts.interpreterNeeded, facts.interpreterNeeded ? `with an interpreter (${facts.language})` : `does not work in ${facts.language}; mark an interpreter as needed to include it`);
  add('capacity', service.capacityStatus !== 'closed', service.capacityStatus === 'closed' ? 'not taking referrals' : service.capacityStatus.replace('_', ' '));
  return checks;
}

function vacancyCheck(service: ServiceView, facts: PathwayFacts): Check {
  const unit = unitTypeFor(facts.childrenCount);
  const noRecourse = facts.needs.includes('immigration_nrpf');
  const fits = fittingVacancies(service.vacancies, { children: facts.childrenCount, accessible: facts.needs.includes('disability'), noRecourse }).length > 0;
  return { check: 'vacancy', passed: fits, detail: fits ? `a ${unit.replace(/_/g, ' ')} vacancy` : `no ${unit.replace(/_/g, ' ')} vacancy${noRecourse ? ' accepting no recourse to public funds' : ''}` };
}

function ruleMatches(rule: Rule, facts: PathwayFacts, level: RiskLevel): boolean {
  const when = rule.when;
  if (when.callerTypes && !when.callerTypes.includes(facts.callerType as never)) return false;
  if (when.riskLevels && !when.riskLevels.includes(level)) return false;
  if (when.needsAny && !when.needsAny.some((need) => facts.needs.includes(need))) return false;
  if (when.hasChildren !== undefined && when.hasChildren !== (facts.childrenCount > 0 || facts.needs.includes('children_in_household'))) return false;
  return true;
}

export function propose(
  facts: PathwayFacts,
  rules: Rule[],
  services: ServiceView[],
  deadlinesOf: (service: ServiceView, level: RiskLevel) => Proposal['deadlines'],
): PathwayResult {
  const level: RiskLevel = facts.riskLevel ?? 'standard';
  const notes: string[] = [];
  if (facts.riskLevel === null) notes.push('No risk assessment yet: treated as standard risk until one is completed.');
  const exclusive = rules.find((rule) => rule.exclusive && ruleMatches(rule, facts, level));
  const applicable = exclusive ? [exclusive] : rules.filter((rule) => ruleMatches(rule, facts, level));
  const proposals = new Map<string, Proposal>();
  const excluded = new Map<string, Exclusion>();

  const consider = (rule: Rule, candidates: ServiceView[], withVacancy: boolean): number => {
    let proposed = 0;
    for (const service of candidates) {
      const checks = eligibility(service, facts, level);
      if (withVacancy) checks.push(vacancyCheck(service, facts));
      const failed = checks.filter((c) => !c.passed);
      if (failed.length > 0) {
        if (!proposals.has(service.id)) {
          excluded.set(service.id, {
            serviceId: service.id,
            serviceName: service.name,
            kind: service.kind,
            ruleId: rule.id,
            reason: failed.map((c) => c.detail).join('; '),
            failed,
          });
        }
        continue;
      }
      proposed += 1;
      excluded.delete(service.id);
      if (proposals.has(service.id)) continue;
      proposals.set(service.id, {
        serviceId: service.id,
        serviceName: service.name,
        organisationId: service.organisationId,
        kind: service.kind,
        ruleId: rule.id,
        rule: rule.description,
        checks,
        capacity: { status: service.capacityStatus, vacancies: service.vacancies },
        deadlines: deadlinesOf(service, level),
      });
    }
    return proposed;
  };

  const specialisms = personSpecialisms(facts);
  for (const rule of applicable) {
    const ofKinds = (kinds: readonly string[]) => services.filter((s) => kinds.includes(s.kind));
    const found = consider(rule, ofKinds(rule.propose), Boolean(rule.requireVacancy));
    if (rule.specialists && specialisms.size > 0) {
      consider(rule, services.filter((s) => s.specialisms.some((x) => specialisms.has(x))), false);
    }
    if (found === 0 && rule.otherwise) {
      if (rule.propose.length > 0) notes.push(`${rule.description}: no ${rule.propose.join(' or ')} service fits, so ${rule.otherwise.join(' and ')} instead.`);
      consider(rule, ofKinds(rule.otherwise), false);
    }
  }

  if (proposals.size === 0) {
    const outOfArea = excluded.size > 0 && [...excluded.values()].every((e) => e.failed.some((c) => c.check === 'area'));
    notes.push(
      outOfArea
        ? `No local service: postcode district ${facts.district} is outside the area of every service considered. Offer the National Domestic Abuse Helpline (0808 2000 247, 24 hours) or the local service where the person lives.`
        : 'No service in the directory fits: see the exclusions for why. The National Domestic Abuse Helpline (0808 2000 247) is open 24 hours.',
    );
  }
  // Every other service is accounted for too.
  const rest = services
    .filter((s) => !proposals.has(s.id) && !excluded.has(s.id))
    .map((s) => ({ serviceId: s.id, serviceName: s.name, kind: s.kind, ruleId: null, reason: `no rule proposes a service of kind ${s.kind} for this contact`, failed: [] }));
  return { riskLevel: level, notes, proposals: [...proposals.values()], excluded: [...excluded.values(), ...rest] };
}
