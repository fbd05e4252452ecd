/**
 * Routing rules as data (SPEC §4), stored per partnership and editable by a coordinator.
 * Rules name service kinds and conditions, never services: the directory decides which
 * services of a kind a person can use.
 */
import { Type, type Static } from 'typebox';
import { StringEnum } from '../../lib/schema.js';
import { CALLER_TYPES } from '../contacts/schema.js';
import { SERVICE_KINDS } from '../directory/schema.js';
import { RISK_LEVELS } from '../risk/scoring.js';

export const Rule = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9-]{1,60}$' }),
    description: Type.String({ minLength: 1, maxLength: 300 }),
    when: Type.Object(
      {
        callerTypes: Type.Optional(Type.Array(StringEnum(CALLER_TYPES), { minItems: 1, uniqueItems: true })),
        riskLevels: Type.Optional(Type.Array(StringEnum(RISK_LEVELS), { minItems: 1, uniqueItems: true })),
        needsAny: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9_]{1,40}$' }), { minItems: 1, uniqueItems: true })),
        hasChildren: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false },
    ),
    /** Kinds of service to propose. */
    propose: Type.Array(StringEnum(SERVICE_KINDS), { uniqueItems: true }),
    /** Also propose specialist services for who the person is (men, LGBT+, 16–17, older people). */
    specialists: Type.Optional(Type.Boolean()),
    /** Propose only services with a vacancy of the unit the household needs (safe accommodation). */
    requireVacancy: Type.Optional(Type.Boolean()),
    /** Kinds to propose when no service of `propose` passes its checks. */
    otherwise: Type.Optional(Type.Array(StringEnum(SERVICE_KINDS), { uniqueItems: true })),
    /** When this rule matches, no other rule applies (a perpetrator seeking help). */
    exclusive: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type Rule = Static<typeof Rule>;

export const RuleSet = Type.Object(
  { rules: Type.Array(Rule, { minItems: 1, maxItems: 200 }) },
  { additionalProperties: false },
);
export type RuleSet = Static<typeof RuleSet>;

const VICTIM_SIDE = ['victim', 'professional', 'other'] as const;

export const DEFAULT_RULES: Rule[] = [
  {
    id: 'perpetrator-seeking-help',
    description: 'A perpetrator seeking help: the behaviour-change programme only, and never any victim’s data',
    when: { callerTypes: ['perpetrator'] },
    propose: ['perpetrator_programme'],
    exclusive: true,
  },
  {
    id: 'concerned-others',
    description: 'Family and friends: advice for concerned others',
    when: { callerTypes: ['family_friend'] },
    propose: ['concerned_others_advice'],
  },
  {
    id: 'high-risk',
    description: 'High risk: an IDVA and a MARAC referral',
    when: { callerTypes: [...VICTIM_SIDE], riskLevels: ['high'] },
    propose: ['idva', 'marac'],
  },
  {
    id: 'high-risk-children',
    description: "High risk with children in the household: children's services",
    when: { callerTypes: [...VICTIM_SIDE], riskLevels: ['high'], hasChildren: true },
    propose: ['childrens_social_care'],
  },
  {
    id: 'medium-risk',
    description: 'Medium risk: community outreach',
    when: { callerTypes: [...VICTIM_SIDE], riskLevels: ['medium'] },
    propose: ['outreach'],
  },
  {
    id: 'standard-risk',
    description: 'Standard risk: advice, recovery programmes and counselling',
    when: { callerTypes: [...VICTIM_SIDE], riskLevels: ['standard'] },
    propose: ['advice', 'recovery_programme', 'counselling'],
  },
  {
    id: 'specialist',
    description: 'A specialist service for who the person is (men, LGBT+, 16–17 year olds, older people)',
    when: { callerTypes: [...VICTIM_SIDE] },
    propose: [],
    specialists: true,
  },
  {
    id: 'accommodation',
    description: 'Needs accommodation: safe accommodation with a vacancy that fits, else the sanctuary scheme and housing options',
    when: { callerTypes: [...VICTIM_SIDE], needsAny: ['accommodation'] },
    propose: ['safe_accommodation'],
    requireVacancy: true,
    otherwise: ['sanctuary_scheme', 'housing_options'],
  },
];
