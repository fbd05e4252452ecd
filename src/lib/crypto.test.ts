import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEVELOPMENT_KEY, encryptionKeys } from '../config.js';
import { DecryptionError, decrypt, encrypt, generateKey, keyIdOf, makeKeyring, openPhones, phoneHash, phoneMatchTerms, reseal, sealPhones } from './crypto.js';

const keyA = { id: 'a', key: randomBytes(32) };
const keyB = { id: 'b', key: randomBytes(32) };
const onlyA = makeKeyring([keyA]);
const onlyB = makeKeyring([keyB]);
const rotating = makeKeyring([keyB, keyA]);

/** The value with one character of its ciphertext part changed. */
function tampered(value: string, part: 'iv' | 'tag' | 'ciphertext'): string {
  const pieces = value.split(':');
  const at = { iv: 3, tag: 4, ciphertext: 5 }[part];
  const text = pieces[at]!;
  pieces[at] = (text[0] === 'A' ? 'B' : 'A') + text.slice(1);
  return pieces.join(':');
}

describe('AES-256-GCM sealing', () => {
  it('round-trips text, unicode and line breaks included, in the self-describing format', () => {
    const text = 'He said he would find her.\nAddress: 1 Example Row, Castlebrook — Zoë’s flat';
    const sealed = encrypt(text, onlyA);
    expect(sealed).toMatch(/^enc:v1:a:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('Example');
    expect(decrypt(sealed, onlyA)).toBe(text);
    expect(keyIdOf(sealed)).toBe('a');
  });

  it('seals the same text differently each time (a fresh IV), and leaves the empty string empty', () => {
    expect(encrypt('same', onlyA)).not.toBe(encrypt('same', onlyA));
    expect(encrypt('', onlyA)).toBe('');
  });

  it('returns a value not in the format as it is (rows written before encryption)', () => {
    expect(decrypt('written before encryption', onlyA)).toBe('written before encryption');
    expect(decrypt('', onlyA)).toBe('');
  });

  it.each(['iv', 'tag', 'ciphertext'] as const)('refuses a value whose %s was changed', (part) => {
    const sealed = encrypt('the safe address', onlyA);
    expect(() => decrypt(tampered(sealed, part), onlyA)).toThrow(DecryptionError);
  });

  it('refuses a value cut short, or moved under another key id', () => {
    const sealed = encrypt('the safe address', rotating);
    expect(() => decrypt(sealed.slice(0, -4), rotating)).toThrow(DecryptionError);
    expect(() => decrypt(sealed.split(':').slice(0, 5).join(':'), rotating)).toThrow(DecryptionError);
    // The key id is authenticated: the same bytes named as key a do not open, even with key a's bytes equal to b's.
    const relabelled = sealed.replace('enc:v1:b:', 'enc:v1:a:');
    expect(() => decrypt(relabelled, makeKeyring([keyB, { id: 'a', key: keyB.key }]))).toThrow(DecryptionError);
  });

  it('refuses a value under a key that is not configured, naming the key id and the variable only', () => {
    const sealed = encrypt('what happened', onlyA);
    expect(() => decrypt(sealed, onlyB)).toThrow(/key "a".*SPOC_ENCRYPTION_KEYS/);
    // The wrong key under the right name fails the integrity check.
    expect(() => decrypt(sealed, makeKeyring([{ id: 'a', key: keyB.key }]))).toThrow(/integrity/);
  });

  it('reads under both keys while rotating, writes under the first, and reseals only what is not yet under it', () => {
    const old = encrypt('old note', onlyA);
    expect(decrypt(old, rotating)).toBe('old note');
    const fresh = encrypt('new note', rotating);
    expect(keyIdOf(fresh)).toBe('b');
    expect(decrypt(fresh, rotating)).toBe('new note');
    const moved = reseal(old, rotating);
    expect(keyIdOf(moved)).toBe('b');
    expect(decrypt(moved, onlyB)).toBe('old note');
    expect(reseal(moved, rotating)).toBe(moved);
    expect(keyIdOf(reseal('plain before encryption', rotating))).toBe('b');
  });
});

describe('keyed phone hashes', () => {
  it('matches the same digits under the same key only, and never shows the digits', () => {
    const hash = phoneHash('447700900123', keyA);
    expect(hash).toMatch(/^h1:a:[A-Za-z0-9_-]{43}$/);
    expect(hash).not.toContain('7700');
    expect(phoneHash('447700900123', keyA)).toBe(hash);
    expect(phoneHash('447700900124', keyA)).not.toBe(hash);
    expect(phoneHash('447700900123', { id: 'a', key: keyB.key })).not.toBe(hash);
  });

  it('stores a hash to match on and the digits sealed; matches across a rotation and rows written in clear', () => {
    const stored = sealPhones(['447700900123', '447700900123'], onlyA);
    expect(stored).toHaveLength(2);
    expect(stored.join()).not.toContain('7700');
    expect(openPhones(stored, onlyA)).toEqual(['447700900123']);
    const terms = phoneMatchTerms(['447700900123'], rotating);
    expect(stored.some((s) => terms.includes(s))).toBe(true);
    expect(['447700900123'].some((s) => terms.includes(s))).toBe(true);
    expect(sealPhones(['447700900999'], onlyA).some((s) => terms.includes(s))).toBe(false);
  });
});

describe('SPOC_ENCRYPTION_KEYS', () => {
  const key = () => randomBytes(32).toString('base64');

  it('takes id:base64 entries, the first encrypting', () => {
    const ring = encryptionKeys({ SPOC_ENCRYPTION_KEYS: `new:${key()}, old:${key()}` });
    expect(ring.current.id).toBe('new');
    expect([...ring.byId.keys()]).toEqual(['new', 'old']);
    expect(encryptionKeys({ SPOC_ENCRYPTION_KEYS: generateKey('k1') }).current.id).toBe('k1');
  });

  it('uses the published development key only outside production', () => {
    expect(encryptionKeys({}).current).toBe(DEVELOPMENT_KEY);
    expect(() => encryptionKeys({ NODE_ENV: 'production' })).toThrow(/SPOC_ENCRYPTION_KEYS must be set in production/);
    const dev = `dev:${DEVELOPMENT_KEY.key.toString('base64')}`;
    expect(() => encryptionKeys({ NODE_ENV: 'production', SPOC_ENCRYPTION_KEYS: dev })).toThrow(/published development key/);
    // Listed after a real key, only to rotate data away from it.
    expect(encryptionKeys({ NODE_ENV: 'production', SPOC_ENCRYPTION_KEYS: `k1:${key()},${dev}` }).current.id).toBe('k1');
  });

  it.each([
    ['nocolon', /entry 1 must be written id:base64key/],
    [`bad id!:${randomBytes(32).toString('base64')}`, /entry 1: the key id/],
    [`short:${randomBytes(16).toString('base64')}`, /key "short" must be 32 bytes/],
    ['k:not base64 at all', /key "k" must be 32 bytes/],
  ])('refuses %s with an error naming the variable, never the key', (value, message) => {
    expect(() => encryptionKeys({ SPOC_ENCRYPTION_KEYS: value })).toThrow(ConfigError);
    expect(() => encryptionKeys({ SPOC_ENCRYPTION_KEYS: value })).toThrow(message);
  });

  it('refuses a key id given twice', () => {
    const k = key();
    expect(() => encryptionKeys({ SPOC_ENCRYPTION_KEYS: `a:${k},a:${key()}` })).toThrow(/"a" is given twice/);
  });
});
