import { describe, expect, it } from 'vitest';
import { rank, scoreCandidate, type Candidate, type PersonFacts } from './matching.js';

const contact: PersonFacts = { names: ['Jane Smyth'], dateOfBirth: '1988-03-04', phoneDigits: ['447700900999'], postcode: 'XB2 1AA' };
const candidate = (overrides: Partial<Candidate> & { id: string }): Candidate & { id: string } => ({
  names: ['Jane Smith'],
  dateOfBirth: '1988-03-04',
  phoneDigits: ['447700900111'],
  postcode: 'XB2 1AA',
  nameSimilarity: 0.57,
  ...overrides,
});

describe('repeat recognition scoring', () => {
  it('proposes a returning person despite a misspelt name and a new phone, with reasons', () => {
    const { score, reasons } = scoreCandidate(contact, candidate({ id: 'a' }));
    expect(score).toBeGreaterThanOrEqual(60);
    expect(reasons).toEqual(['similar name (57% alike)', 'same date of birth', 'same postcode']);
  });

  it('ranks the same name with another date of birth below', () => {
    const ranked = rank(
      { ...contact, names: ['Jane Smith'] },
      [candidate({ id: 'other', dateOfBirth: '1971-11-20', nameSimilarity: 1 }), candidate({ id: 'same', nameSimilarity: 1 })],
    );
    expect(ranked.map((m) => m.candidate.id)).toEqual(['same', 'other']);
    expect(ranked[1]!.reasons).toContain('different date of birth');
  });

  it('counts a shared phone number and near dates of birth', () => {
    const swapped = scoreCandidate(contact, candidate({ id: 'b', dateOfBirth: '1988-04-03', phoneDigits: ['447700900999'] }));
    expect(swapped.reasons).toContain('same phone number');
    expect(swapped.reasons).toContain('date of birth one slip apart (a digit, or day and month swapped)');
    const digit = scoreCandidate(contact, candidate({ id: 'c', dateOfBirth: '1988-03-05' }));
    expect(digit.reasons).toContain('date of birth one slip apart (a digit, or day and month swapped)');
  });

  it('drops candidates too unlike to be worth a look', () => {
    const far = candidate({ id: 'd', names: ['Ann Jones'], nameSimilarity: 0.1, dateOfBirth: '1960-01-01', postcode: 'ZZ9 9ZZ' });
    expect(rank(contact, [far])).toEqual([]);
  });

  it('matches a postcode district when the full postcode differs', () => {
    const { reasons } = scoreCandidate(contact, candidate({ id: 'e', postcode: 'XB2 7QP' }));
    expect(reasons).toContain('same postcode district');
  });
});
