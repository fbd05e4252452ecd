/** Vignettes of the default rules (SPEC §4) over the demo directory. */
import { describe, expect, it } from 'vitest';
import { DEMO_SERVICES } from '../../seed/demo.js';
import type { ServiceView } from '../directory/schema.js';
import { withDefaults } from '../directory/service.js';
import { propose, type PathwayFacts } from './engine.js';
import { DEFAULT_RULES } from './rules.js';

const directory: ServiceView[] = DEMO_SERVICES.map(({ organisation, ...service }, index) => ({
  ...withDefaults({ ...service, organisationId: `org-${organisation}` }),
  id: `service-${index}`,
  organisationName: organisation,
  updatedAt: '2026-01-01T00:00:00Z',
}));
const noDeadlines = () => ({ acknowledgeBy: 'x', firstContactBy: 'y' });

const victim = (facts: Partial<PathwayFacts>): PathwayFacts => ({
  callerType: 'victim',
  riskLevel: 'standard',
  needs: [],
  age: 34,
  gender: 'female',
  district: 'XB2',
  language: null,
  interpreterNeeded: false,
  childrenCount: 0,
  ...facts,
});

function kinds(facts: PathwayFacts, services = directory) {
  return propose(facts, DEFAULT_RULES, services, noDeadlines);
}
const kindsOf = (facts: PathwayFacts) => [...new Set(kinds(facts).proposals.map((p) => p.kind))].sort();

describe('default pathways', () => {
  it('sends high risk with children to an IDVA, MARAC and children’s services', () => {
    const result = kinds(victim({ riskLevel: 'high', childrenCount: 2 }));
    expect([...new Set(result.proposals.map((p) => p.kind))].sort()).toEqual(['childrens_social_care', 'idva', 'marac']);
    const idva = result.proposals.find((p) => p.kind === 'idva')!;
    expect(idva.ruleId).toBe('high-risk');
    expect(idva.checks.map((c) => c.check)).toEqual(expect.arrayContaining(['area', 'age', 'gender', 'risk_level', 'language', 'capacity']));
  });

  it('sends high risk without children to an IDVA and MARAC only', () => {
    expect(kindsOf(victim({ riskLevel: 'high' }))).toEqual(['idva', 'marac']);
  });

  it('sends medium risk to community outreach', () => {
    const result = kinds(victim({ riskLevel: 'medium' }));
    expect([...new Set(result.proposals.map((p) => p.kind))]).toEqual(['outreach']);
    // Outreach services only for men are excluded, with the reason.
    const mens = result.excluded.find((e) => e.serviceName.startsWith('Men'))!;
    expect(mens.failed.map((c) => c.check)).toEqual(['gender', 'specialism']);
    const lgbt = result.excluded.find((e) => e.serviceName === 'Rainbow Safe advocacy')!;
    expect(lgbt.failed).toEqual([{ check: 'specialism', passed: false, detail: 'only for lgbt' }]);
  });

  it('sends standard risk to advice, recovery and counselling', () => {
    expect(kindsOf(victim({ riskLevel: 'standard' }))).toEqual(['advice', 'counselling', 'recovery_programme']);
  });

  it('treats a contact with no assessment as standard risk, and says so', () => {
    const result = kinds(victim({ riskLevel: null }));
    expect(result.riskLevel).toBe('standard');
    expect(result.notes[0]).toMatch(/No risk assessment yet/);
  });

  it('finds a refuge with a vacancy of the right unit type for an accommodation need', () => {
    const single = kinds(victim({ riskLevel: 'medium', needs: ['accommodation'] }));
    const refuges = single.proposals.filter((p) => p.kind === 'safe_accommodation').map((p) => p.serviceName);
    expect(refuges).toEqual(['Castlebrook refuge']);
    const withOneChild = kinds(victim({ riskLevel: 'medium', needs: ['accommodation'], childrenCount: 1 }));
    expect(withOneChild.proposals.filter((p) => p.kind === 'safe_accommodation').map((p) => p.serviceName)).toEqual(['Brookside refuge']);
    expect(withOneChild.proposals.find((p) => p.kind === 'safe_accommodation')!.checks.find((c) => c.check === 'vacancy')!.detail).toMatch(/family 1 child/);
  });

  it('falls back to the sanctuary scheme and housing options when no refuge has a fitting vacancy', () => {
    const result = kinds(victim({ riskLevel: 'medium', needs: ['accommodation'], childrenCount: 3 }));
    const found = [...new Set(result.proposals.map((p) => p.kind))].sort();
    expect(found).toEqual(['housing_options', 'outreach', 'sanctuary_scheme']);
    expect(result.excluded.filter((e) => e.kind === 'safe_accommodation').map((e) => e.failed.map((c) => c.check))).toEqual([['vacancy'], ['vacancy']]);
    // Every service of the directory is either proposed or excluded with a reason.
    expect(result.proposals.length + result.excluded.length).toBe(directory.length);
    expect(result.excluded.find((e) => e.kind === 'idva')!.reason).toBe('no rule proposes a service of kind idva for this contact');
    expect(result.notes.join(' ')).toMatch(/sanctuary_scheme and housing_options instead/);
  });

  it('offers a man a service open to men, and never a women-only one', () => {
    const result = kinds(victim({ riskLevel: 'medium', gender: 'male', needs: ['accommodation'], childrenCount: 0 }));
    const names = result.proposals.map((p) => p.serviceName);
    expect(names).toContain('Men’s support service');
    for (const proposal of result.proposals) {
      const service = directory.find((s) => s.id === proposal.serviceId)!;
      expect(service.genders.length === 0 || service.genders.includes('male'), proposal.serviceName).toBe(true);
    }
    expect(result.proposals.some((p) => p.kind === 'safe_accommodation')).toBe(false);
  });

  it('offers a 16-year-old the young people’s service', () => {
    const result = kinds(victim({ riskLevel: 'medium', age: 16 }));
    expect(result.proposals.map((p) => p.serviceName)).toContain('Young Voices (16–17)');
    expect(result.proposals.map((p) => p.serviceName)).not.toContain('Brookside counselling');
  });

  it('offers an LGBT+ person the by-and-for service', () => {
    const result = kinds(victim({ riskLevel: 'standard', needs: ['lgbt'] }));
    expect(result.proposals.find((p) => p.serviceName === 'Rainbow Safe advocacy')?.ruleId).toBe('specialist');
  });

  it('offers a perpetrator seeking help the behaviour-change programme only', () => {
    const result = kinds(victim({ callerType: 'perpetrator', riskLevel: 'high', childrenCount: 2, needs: ['accommodation'], gender: 'male' }));
    expect(result.proposals.map((p) => p.kind)).toEqual(['perpetrator_programme']);
  });

  it('offers family and friends advice for concerned others', () => {
    expect(kindsOf(victim({ callerType: 'family_friend', riskLevel: null }))).toEqual(['concerned_others_advice']);
  });

  it('finds no local service for an out-of-area postcode, and says why', () => {
    const result = kinds(victim({ riskLevel: 'medium', district: 'ZZ9' }));
    expect(result.proposals).toEqual([]);
    expect(result.notes.join(' ')).toMatch(/No local service: postcode district ZZ9 is outside the area/);
    const considered = result.excluded.filter((e) => e.ruleId !== null);
    expect(considered.length).toBeGreaterThan(0);
    expect(considered.every((e) => e.failed.some((c) => c.check === 'area'))).toBe(true);
  });

  it('leaves out a closed service and names it', () => {
    const closed = directory.map((s) => (s.kind === 'counselling' ? { ...s, capacityStatus: 'closed' as const } : s));
    const result = kinds(victim({ riskLevel: 'standard' }), closed);
    expect(result.proposals.some((p) => p.kind === 'counselling')).toBe(false);
    expect(result.excluded.find((e) => e.kind === 'counselling')!.failed).toEqual([{ check: 'capacity', passed: false, detail: 'not taking referrals' }]);
  });

  it('needs an interpreter flag for a service that does not work in the person’s language', () => {
    const polish = kinds(victim({ riskLevel: 'medium', language: 'pl' }));
    expect(polish.proposals.map((p) => p.serviceName)).toEqual(['Community outreach']);
    const punjabi = kinds(victim({ riskLevel: 'medium', language: 'pa' }));
    expect(punjabi.proposals.map((p) => p.serviceName)).toEqual(['Saheli outreach']);
    const withInterpreter = kinds(victim({ riskLevel: 'medium', language: 'pa', interpreterNeeded: true }));
    expect(withInterpreter.proposals.map((p) => p.serviceName).sort()).toEqual(['Community outreach', 'Saheli outreach']);
  });
});
