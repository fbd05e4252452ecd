/** The facts the routing engine needs, read from a contact and its current assessment. */
import { postcodeDistrict } from '../../lib/schema.js';
import type { ContactView } from '../contacts/schema.js';
import type { RiskLevel } from '../risk/scoring.js';
import type { PathwayFacts } from './engine.js';

// Common community languages of England, by the names handlers type.
const LANGUAGE_CODES: Record<string, string> = {
  english: 'en', polish: 'pl', punjabi: 'pa', urdu: 'ur', bengali: 'bn', bangla: 'bn', gujarati: 'gu', arabic: 'ar',
  romanian: 'ro', portuguese: 'pt', spanish: 'es', lithuanian: 'lt', somali: 'so', tamil: 'ta', turkish: 'tr',
  farsi: 'fa', persian: 'fa', kurdish: 'ku', pashto: 'ps', french: 'fr', italian: 'it', chinese: 'zh', mandarin: 'zh',
  cantonese: 'yue', tigrinya: 'ti', amharic: 'am', ukrainian: 'uk', russian: 'ru', hindi: 'hi', 'british sign language': 'bfi', bsl: 'bfi',
};

export function languageCode(language: string | undefined): string | null {
  if (!language) return null;
  const key = language.trim().toLowerCase();
  if (/^[a-z]{2,3}$/.test(key)) return key;
  return LANGUAGE_CODES[key] ?? key;
}

export function ageOn(dateOfBirth: string | undefined, now: Date): number | null {
  if (!dateOfBirth) return null;
  const [y, m, d] = dateOfBirth.split('-').map(Number) as [number, number, number];
  let age = now.getUTCFullYear() - y;
  if (now.getUTCMonth() + 1 < m || (now.getUTCMonth() + 1 === m && now.getUTCDate() < d)) age -= 1;
  return age;
}

export function factsOf(contact: ContactView, riskLevel: RiskLevel | null, now: Date): PathwayFacts {
  return {
    callerType: contact.callerType,
    riskLevel,
    needs: contact.needs,
    age: ageOn(contact.person.dateOfBirth, now),
    gender: contact.person.gender ?? null,
    district: contact.person.postcode ? postcodeDistrict(contact.person.postcode) : null,
    language: languageCode(contact.safeContact.language),
    interpreterNeeded: contact.safeContact.interpreterNeeded ?? false,
    childrenCount: contact.children.length,
  };
}
