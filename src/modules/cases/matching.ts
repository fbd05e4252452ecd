/**
 * Repeat recognition (SPEC §2 step 10): how strongly a known person resembles the person
 * a new contact is about, and why. Pure: the database finds candidates (trigram names,
 * date of birth, phone, postcode), this ranks them. It proposes; a person decides.
 */
import { postcodeDistrict } from '../../lib/schema.js';

export interface PersonFacts {
  /** Every name the person is known by. */
  names: readonly string[];
  dateOfBirth?: string | null;
  /** International digits, e.g. 447700900123. */
  phoneDigits: readonly string[];
  postcode?: string | null;
}

export interface Candidate extends PersonFacts {
  /** pg_trgm word similarity of the contact's name to the candidate's names, 0–1. */
  nameSimilarity: number;
}

export interface MatchScore {
  score: number;
  /** Why, in words a handler can weigh: never the values themselves. */
  reasons: string[];
}

/** Below this a candidate is not worth a handler's time. */
export const MIN_SCORE = 30;

const normalise = (name: string) => name.toLowerCase().replace(/[^a-z\s'-]/g, ' ').replace(/\s+/g, ' ').trim();

/** Dates one slip of the pen apart: day and month swapped, or one digit different. */
function nearDate(a: string, b: string): boolean {
  const [ay, am, ad] = a.split('-');
  const [by, bm, bd] = b.split('-');
  if (ay === by && am === bd && ad === bm) return true;
  let differences = 0;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) differences += 1;
  return differences === 1;
}

export function scoreCandidate(contact: PersonFacts, candidate: Candidate): MatchScore {
  const reasons: string[] = [];
  let score = 0;

  const exactName = contact.names.some((n) => candidate.names.some((m) => normalise(n) === normalise(m)));
  if (exactName) {
    score += 40;
    reasons.push('same name');
  } else if (candidate.nameSimilarity >= 0.3) {
    score += Math.round(40 * candidate.nameSimilarity);
    reasons.push(`similar name (${Math.round(candidate.nameSimilarity * 100)}% alike)`);
  }

  if (contact.dateOfBirth && candidate.dateOfBirth) {
    if (contact.dateOfBirth === candidate.dateOfBirth) {
      score += 35;
      reasons.push('same date of birth');
    } else if (nearDate(contact.dateOfBirth, candidate.dateOfBirth)) {
      score += 15;
      reasons.push('date of birth one slip apart (a digit, or day and month swapped)');
    } else {
      score -= 25;
      reasons.push('different date of birth');
    }
  }

  const sharedPhone = contact.phoneDigits.some((d) => candidate.phoneDigits.includes(d));
  if (sharedPhone) {
    score += 30;
    reasons.push('same phone number');
  }

  if (contact.postcode && candidate.postcode) {
    const a = contact.postcode.replace(/\s+/g, '').toUpperCase();
    const b = candidate.postcode.replace(/\s+/g, '').toUpperCase();
    if (a === b) {
      score += 15;
      reasons.push('same postcode');
    } else if (postcodeDistrict(a) === postcodeDistrict(b)) {
      score += 5;
      reasons.push('same postcode district');
    }
  }

  return { score, reasons };
}

/** Candidates worth showing, best first; ties broken by id so the order is stable. */
export function rank<T extends Candidate & { id: string }>(contact: PersonFacts, candidates: readonly T[], limit = 10) {
  return candidates
    .map((candidate) => ({ candidate, ...scoreCandidate(contact, candidate) }))
    .filter((m) => m.score >= MIN_SCORE)
    .sort((a, b) => b.score - a.score || a.candidate.id.localeCompare(b.candidate.id))
    .slice(0, limit);
}
