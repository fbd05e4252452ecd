/**
 * Application-layer encryption of the most sensitive free text (issue 9; docs/encryption.md):
 * AES-256-GCM with keys from configuration (SPOC_ENCRYPTION_KEYS), written into the columns
 * that already hold the text, in a self-describing format:
 *
 *   enc:v1:<keyId>:<iv>:<tag>:<ciphertext>      (iv, tag and ciphertext base64url)
 *
 * The version and the key id are authenticated too (they are the GCM additional data), so a
 * value cannot be moved under another key's name. A value not in this format is returned as
 * it is: rows written before encryption keep working until `spoc keys rotate` seals them.
 *
 * Phone numbers are matched by a keyed hash instead (HMAC-SHA256 of the national digits,
 * with a key derived from each encryption key): `h1:<keyId>:<hmac>`.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { encryptionKeys } from '../config.js';

export interface EncryptionKey {
  /** A short name written into every value sealed with the key (letters, digits, - and _). */
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

/** The keys spoc can read with; the first one is the one it writes with. */
export interface Keyring {
  current: EncryptionKey;
  byId: ReadonlyMap<string, EncryptionKey>;
}

export const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const PREFIX = 'enc:v1:';
const HASH_PREFIX = 'h1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A value that claims to be ours but cannot be opened: tampered with, cut short, or under a key not configured. */
export class DecryptionError extends Error {}

export function makeKeyring(keys: readonly EncryptionKey[]): Keyring {
  if (keys.length === 0) throw new Error('a keyring needs at least one key');
  return { current: keys[0]!, byId: new Map(keys.map((k) => [k.id, k])) };
}

/** A new random key, as SPOC_ENCRYPTION_KEYS takes it (`id:base64`). */
export function generateKey(id: string): string {
  if (!KEY_ID.test(id)) throw new Error('a key id is 1 to 32 letters, digits, - or _');
  return `${id}:${randomBytes(32).toString('base64')}`;
}

// ── the keyring in use ─────────────────────────────────────────────────────────────────

let active: Keyring | undefined;

/** Sets the keys this process encrypts and decrypts with (at start, from the configuration). */
export function useKeyring(keyring: Keyring): void {
  active = keyring;
}

/** The keys in use: those given to useKeyring, else read from the environment the first time they are needed. */
export function activeKeyring(): Keyring {
  active ??= encryptionKeys(process.env);
  return active;
}

// ── sealing and opening text ───────────────────────────────────────────────────────────

const b64 = (buffer: Buffer) => buffer.toString('base64url');
const aad = (keyId: string) => Buffer.from(`${PREFIX}${keyId}`, 'utf8');

export function isEncrypted(value: string): boolean {
  return value.startsWith(PREFIX);
}

/** The id of the key a value was sealed with, or null when it is not sealed. */
export function keyIdOf(value: string): string | null {
  if (!isEncrypted(value)) return null;
  return value.slice(PREFIX.length).split(':', 1)[0] ?? null;
}

/** Seals text under the current key. The empty string stays empty (there is nothing to hide, and forms test for it). */
export function encrypt(text: string, keyring: Keyring = activeKeyring()): string {
  if (text === '') return '';
  const { id, key } = keyring.current;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(id));
  const ciphertext = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return `${PREFIX}${id}:${b64(iv)}:${b64(cipher.getAuthTag())}:${b64(ciphertext)}`;
}

/** Opens a sealed value; anything not in the format is returned as it is (a row written before encryption). */
export function decrypt(value: string, keyring: Keyring = activeKeyring()): string {
  if (!isEncrypted(value)) return value;
  const parts = value.slice(PREFIX.length).split(':');
  if (parts.length !== 4) throw new DecryptionError('an encrypted value is not in the enc:v1 format');
  const [keyId, iv, tag, ciphertext] = parts as [string, string, string, string];
  const entry = keyring.byId.get(keyId);
  // The key id is ours (never personal data), so it can be named.
  if (!entry) throw new DecryptionError(`a value is encrypted under key "${keyId}", which is not in SPOC_ENCRYPTION_KEYS`);
  const ivBytes = Buffer.from(iv, 'base64url');
  const tagBytes = Buffer.from(tag, 'base64url');
  if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) throw new DecryptionError('an encrypted value is cut short or altered');
  try {
    const decipher = createDecipheriv('aes-256-gcm', entry.key, ivBytes, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(keyId));
    decipher.setAuthTag(tagBytes);
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new DecryptionError(`an encrypted value under key "${keyId}" failed its integrity check (altered, or the key is wrong)`);
  }
}

/** The value sealed under the current key: unchanged when it already is, so a re-run changes nothing. */
export function reseal(value: string, keyring: Keyring = activeKeyring()): string {
  if (value === '' || keyIdOf(value) === keyring.current.id) return value;
  return encrypt(decrypt(value, keyring), keyring);
}

/** Seals the named string fields of an object (others untouched). */
export function encryptFields<T extends Record<string, unknown>>(object: T, fields: readonly string[], keyring: Keyring = activeKeyring()): T {
  return mapFields(object, fields, (value) => encrypt(value, keyring));
}

export function decryptFields<T extends Record<string, unknown>>(object: T, fields: readonly string[], keyring: Keyring = activeKeyring()): T {
  return mapFields(object, fields, (value) => decrypt(value, keyring));
}

export function mapFields<T extends Record<string, unknown>>(object: T, fields: readonly string[], fn: (value: string) => string): T {
  const copy: Record<string, unknown> = { ...object };
  for (const field of fields) {
    const value = copy[field];
    if (typeof value === 'string') copy[field] = fn(value);
  }
  return copy as T;
}

/** Seals every value of a record of texts (a safety plan's sections). */
export function encryptValues(record: Record<string, string>, keyring: Keyring = activeKeyring()): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, encrypt(v, keyring)]));
}

export function decryptValues(record: Record<string, string>, keyring: Keyring = activeKeyring()): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, typeof v === 'string' ? decrypt(v, keyring) : v]));
}

// ── phone numbers: a keyed hash to match on ─────────────────────────────────────────────

const hashKeys = new WeakMap<Buffer, Buffer>();

/** The HMAC key of an encryption key: derived (HKDF-SHA256), so one configured key serves both. */
function hashKeyOf(key: Buffer): Buffer {
  let derived = hashKeys.get(key);
  if (!derived) {
    derived = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'spoc phone hash v1', 32));
    hashKeys.set(key, derived);
  }
  return derived;
}

export function isPhoneHash(value: string): boolean {
  return value.startsWith(HASH_PREFIX);
}

/** HMAC-SHA256 of a number's digits (E.164 without the plus, as lib/schema phoneDigits gives them) under one key. */
export function phoneHash(digits: string, key: EncryptionKey): string {
  return `${HASH_PREFIX}${key.id}:${createHmac('sha256', hashKeyOf(key.key)).update(digits, 'utf8').digest('base64url')}`;
}

/**
 * What a phone-number column stores for these digits: the keyed hash under the current key
 * (to match on) and the digits sealed (to show, and to hash again when keys rotate).
 */
export function sealPhones(digits: readonly string[], keyring: Keyring = activeKeyring()): string[] {
  const unique = [...new Set(digits)];
  return [...unique.map((d) => phoneHash(d, keyring.current)), ...unique.map((d) => encrypt(d, keyring))];
}

/** The digits a phone-number column holds (sealed ones opened; hashes left out). */
export function openPhones(stored: readonly string[], keyring: Keyring = activeKeyring()): string[] {
  return [...new Set(stored.filter((s) => !isPhoneHash(s)).map((s) => decrypt(s, keyring)))];
}

/**
 * What to look for to match these digits: their hash under every configured key (a row
 * hashed under the old key still matches while keys rotate), and the digits themselves
 * (rows written before hashing, until they are rotated).
 */
export function phoneMatchTerms(digits: readonly string[], keyring: Keyring = activeKeyring()): string[] {
  const keys = [...keyring.byId.values()];
  return [...new Set(digits.flatMap((d) => [...keys.map((k) => phoneHash(d, k)), d]))];
}
