/**
 * The demo partnership: a fictional borough, Castlebrook, with its SPOC, providers and a
 * user for every role. Every name, number and address here is invented, except the real
 * national numbers (999, 101, the National Domestic Abuse Helpline 0808 2000 247).
 */
import type { Tx } from '../db/transaction.js';
import { addUser, createOrganisation, createToken } from '../modules/access/service.js';
import type { Role } from '../modules/access/policy.js';
import type { NewService } from '../modules/directory/schema.js';
import { createService } from '../modules/directory/service.js';
import { provisionPartnership } from './partnership.js';

export const DEMO_SLUG = 'castlebrook';
export const DEMO_PASSWORD = 'castlebrook-demo-only';
/**
 * The demo users' authenticator secret (TOTP), published like the password so anyone can try
 * the demo: add it to an authenticator app as a setup key. Never for real accounts.
 */
export const DEMO_TOTP_SECRET = 'MNQXG5DMMVRHE33PNNSGK3LPEBXW43DZ';
const BOROUGH = ['XB1', 'XB2', 'XB3', 'XB4', 'XB5', 'XB6', 'XB7', 'XB8', 'XB9'];
const ALL_DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
const ALWAYS_OPEN = ALL_DAYS.map((day) => ({ day, opens: '00:00', closes: '24:00' }));

const organisations = [
  { slug: 'castlebrook-da-service', name: 'Castlebrook Domestic Abuse Service', kind: 'provider', description: 'Specialist domestic-abuse charity: IDVAs, outreach, refuge and recovery.' },
  { slug: 'brookside-womens-aid', name: "Brookside Women's Aid", kind: 'provider', description: 'Refuge, counselling and support for children and young people.' },
  { slug: 'castlebrook-council', name: 'Castlebrook Council', kind: 'council', description: "Housing options, sanctuary scheme and children's social care." },
  { slug: 'mens-advice-castlebrook', name: 'Castlebrook Men’s Advice Project', kind: 'provider', description: 'Support for men experiencing domestic abuse.' },
  { slug: 'rainbow-safe', name: 'Rainbow Safe', kind: 'provider', description: 'By and for LGBT+ people experiencing abuse.' },
  { slug: 'saheli-castlebrook', name: 'Saheli Castlebrook', kind: 'provider', description: 'By and for South Asian women and their families.' },
  { slug: 'turning-point-programme', name: 'Turning Point Programme', kind: 'provider', description: 'Behaviour-change programme for people who harm.' },
  { slug: 'castlebrook-police', name: 'Castlebrook Police (fictional)', kind: 'referrer', description: 'Referring agency.' },
  { slug: 'castlebrook-commissioning', name: 'Castlebrook Community Safety Commissioning', kind: 'commissioner', description: 'Commissioners: aggregate figures only.' },
] as const;

export type DemoService = Omit<NewService, 'organisationId'> & { organisation: string };
const everyone = { areaDistricts: BOROUGH, riskLevels: ['standard', 'medium', 'high'] as const };

export const DEMO_SERVICES: DemoService[] = [
  { organisation: 'castlebrook-spoc', name: 'Castlebrook SPOC advice line', kind: 'advice', ...everyone, riskLevels: ['standard', 'medium', 'high'], description: 'Advice, information and safety planning on the one number.', phone: '01632 960000' },
  { organisation: 'castlebrook-spoc', name: 'Advice for family and friends', kind: 'concerned_others_advice', ...everyone, riskLevels: ['standard', 'medium', 'high'], description: 'For people worried about someone they know.' },
  { organisation: 'castlebrook-spoc', name: 'Castlebrook MARAC', kind: 'marac', areaDistricts: BOROUGH, riskLevels: ['high'], description: 'Multi-agency risk assessment conference for high-risk victims.' },
  { organisation: 'castlebrook-da-service', name: 'IDVA service', kind: 'idva', areaDistricts: BOROUGH, riskLevels: ['high'], minAge: 16, description: 'Independent domestic violence advisers for victims at high risk.' },
  { organisation: 'castlebrook-da-service', name: 'Community outreach', kind: 'outreach', areaDistricts: BOROUGH, riskLevels: ['standard', 'medium'], minAge: 16, languages: ['en', 'pl'] },
  { organisation: 'castlebrook-da-service', name: 'Castlebrook refuge', kind: 'safe_accommodation', areaDistricts: [], riskLevels: ['standard', 'medium', 'high'], minAge: 16, genders: ['female'], openingHours: ALWAYS_OPEN, confidentialLocation: true, address: { line1: '1 Example Row', town: 'Castlebrook', postcode: 'XB9 9ZZ' }, vacancies: [{ unitType: 'single', available: 1, acceptsNoRecourse: false }, { unitType: 'family_2_children', available: 0, acceptsNoRecourse: false }] },
  { organisation: 'castlebrook-da-service', name: 'Freedom recovery programme', kind: 'recovery_programme', ...everyone, riskLevels: ['standard', 'medium'], minAge: 18, genders: ['female'], capacityStatus: 'waiting_list' },
  { organisation: 'brookside-womens-aid', name: 'Brookside refuge', kind: 'safe_accommodation', areaDistricts: [], riskLevels: ['standard', 'medium', 'high'], minAge: 18, genders: ['female'], openingHours: ALWAYS_OPEN, confidentialLocation: true, address: { line1: '2 Example Close', town: 'Castlebrook', postcode: 'XB8 8ZZ' }, vacancies: [{ unitType: 'family_1_child', available: 1, acceptsNoRecourse: true }, { unitType: 'accessible', available: 1, acceptsNoRecourse: false }] },
  { organisation: 'brookside-womens-aid', name: 'Brookside counselling', kind: 'counselling', ...everyone, riskLevels: ['standard', 'medium'], minAge: 18 },
  { organisation: 'brookside-womens-aid', name: 'Young Voices (16–17)', kind: 'children_young_people', areaDistricts: BOROUGH, riskLevels: ['standard', 'medium', 'high'], minAge: 13, maxAge: 17, specialisms: ['young_people_16_17'], needs: ['age_16_17'] },
  { organisation: 'castlebrook-council', name: "Children's social care front door", kind: 'childrens_social_care', ...everyone, riskLevels: ['standard', 'medium', 'high'], needs: ['children_in_household'] },
  { organisation: 'castlebrook-council', name: 'Sanctuary scheme', kind: 'sanctuary_scheme', ...everyone, riskLevels: ['standard', 'medium', 'high'], needs: ['accommodation'] },
  { organisation: 'castlebrook-council', name: 'Housing options', kind: 'housing_options', ...everyone, riskLevels: ['standard', 'medium', 'high'], needs: ['accommodation'] },
  { organisation: 'mens-advice-castlebrook', name: 'Men’s support service', kind: 'outreach', ...everyone, riskLevels: ['standard', 'medium', 'high'], minAge: 16, genders: ['male'], specialisms: ['men'], needs: ['male_victim'] },
  { organisation: 'rainbow-safe', name: 'Rainbow Safe advocacy', kind: 'outreach', ...everyone, riskLevels: ['standard', 'medium', 'high'], minAge: 16, byAndFor: true, specialisms: ['lgbt'], needs: ['lgbt'] },
  { organisation: 'saheli-castlebrook', name: 'Saheli outreach', kind: 'outreach', ...everyone, riskLevels: ['standard', 'medium', 'high'], minAge: 16, genders: ['female'], byAndFor: true, specialisms: ['south_asian'], languages: ['en', 'pa', 'ur', 'bn', 'gu'], needs: ['honour_based_abuse', 'forced_marriage', 'immigration_nrpf'] },
  { organisation: 'turning-point-programme', name: 'Turning Point behaviour-change programme', kind: 'perpetrator_programme', ...everyone, riskLevels: ['standard', 'medium', 'high'], minAge: 18 },
];

export const DEMO_USERS: Array<{ role: Role; organisation: string; email: string; name: string }> = [
  { role: 'call_handler', organisation: 'castlebrook-spoc', email: 'handler@castlebrook.example', name: 'Demo Call Handler' },
  { role: 'spoc_coordinator', organisation: 'castlebrook-spoc', email: 'coordinator@castlebrook.example', name: 'Demo Coordinator' },
  { role: 'marac_coordinator', organisation: 'castlebrook-spoc', email: 'marac@castlebrook.example', name: 'Demo MARAC Coordinator' },
  { role: 'provider_caseworker', organisation: 'castlebrook-da-service', email: 'idva@castlebrook.example', name: 'Demo IDVA' },
  { role: 'provider_manager', organisation: 'castlebrook-da-service', email: 'provider-manager@castlebrook.example', name: 'Demo Provider Manager' },
  { role: 'provider_caseworker', organisation: 'brookside-womens-aid', email: 'refuge@castlebrook.example', name: 'Demo Refuge Worker' },
  { role: 'referring_professional', organisation: 'castlebrook-police', email: 'police@castlebrook.example', name: 'Demo Police Officer' },
  { role: 'commissioner', organisation: 'castlebrook-commissioning', email: 'commissioner@castlebrook.example', name: 'Demo Commissioner' },
  { role: 'system_admin', organisation: 'castlebrook-spoc', email: 'admin@castlebrook.example', name: 'Demo Administrator' },
];

/** The demo's published API token for a user: demo data only, never a real partnership. */
export function demoToken(email: string): string {
  return `spoc_demo_${email.split('@')[0]!.replace(/[^a-z0-9]/g, '_')}_castlebrook`;
}

export async function seedDemo(tx: Tx): Promise<{ partnershipId: string }> {
  const { partnership, hub } = await provisionPartnership(tx, {
    slug: DEMO_SLUG,
    name: 'Castlebrook Domestic Abuse Partnership (demo)',
    hubSlug: 'castlebrook-spoc',
    hubName: 'Castlebrook SPOC',
    isDemo: true,
  });
  const orgIds = new Map<string, string>([['castlebrook-spoc', hub.id]]);
  for (const org of organisations) {
    const created = await createOrganisation(tx, null, { partnershipId: partnership.id, ...org });
    orgIds.set(org.slug, created.id);
  }
  for (const { organisation, ...service } of DEMO_SERVICES) {
    await createService(tx, null, partnership.id, { ...service, organisationId: orgIds.get(organisation)! });
  }
  for (const user of DEMO_USERS) {
    await addUser(tx, null, {
      partnershipSlug: DEMO_SLUG,
      organisationSlug: user.organisation,
      email: user.email,
      name: user.name,
      roles: [user.role],
      password: DEMO_PASSWORD,
    });
    await tx.updateTable('users').set({ totp_secret: DEMO_TOTP_SECRET, totp_enrolled_at: new Date() }).where('email', '=', user.email).execute();
    await createToken(tx, null, { email: user.email, name: 'demo', fixedToken: demoToken(user.email) });
  }
  return { partnershipId: partnership.id };
}
