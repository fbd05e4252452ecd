import { createHash } from 'node:crypto';
import path from 'node:path';
import type { EncryptionKey, Keyring } from './lib/crypto.js';

/** Everything spoc reads from the environment, validated once at start. */
export interface Config {
  port: number;
  host: string;
  /** A PostgreSQL server; when absent, the embedded PGlite database in `dataDir` is used. */
  databaseUrl: string | undefined;
  dataDir: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Largest request body accepted, in bytes. */
  bodyLimit: number;
  /** The partnership whose directory `/oruk` publishes; defaults to the only one. */
  publicPartnership: string | undefined;
  publicUrl: string | undefined;
  /** How often background work (the response-clock check) runs; 0 turns it off. */
  jobIntervalMs: number;
  /** On SIGTERM: how long to go on serving with readiness at 503 (for a load balancer to notice), then how long requests in progress may take to finish. */
  shutdownGraceMs: number;
  shutdownTimeoutMs: number;
  /** A staff web session ends after this long without a request. */
  sessionIdleMinutes: number;
  /** Where "Exit this page" on the public pages goes: a neutral site. */
  exitUrl: string;
  /** Public form posts allowed per minute from one address, and from one form session. */
  doorPostsPerIp: number;
  doorPostsPerSession: number;
  /** The Twilio auth token that signs telephony webhooks (a partnership's settings may override it). */
  twilioAuthToken: string | undefined;
  /** The key of the audit trail's hash chain (HMAC-SHA256); keep it out of the database's reach. */
  auditKey: string | undefined;
  /** Council sign-in (OpenID Connect, e.g. Microsoft Entra ID); off when SPOC_OIDC_ISSUER is not set. */
  oidc: OidcConfig | undefined;
  /** The keys of application-layer encryption (SPOC_ENCRYPTION_KEYS): the first encrypts, all decrypt (docs/encryption.md). */
  encryptionKeys: Keyring;
}

export interface OidcConfig {
  /** The identity provider's issuer identifier: its discovery document is read from here. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Where the identity provider sends people back: PUBLIC_URL + /sign-in/oidc/callback (register it there). */
  redirectUrl: string;
}

export class ConfigError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

const isLoopback = (host: string) => host === 'localhost' || host === '127.0.0.1' || host === '[::1]';

/** Council sign-in: all three variables together, or none; the issuer on https (http only on this machine, for development and tests). */
function oidcConfig(env: NodeJS.ProcessEnv, publicUrl: string | undefined): OidcConfig | undefined {
  const issuer = env.SPOC_OIDC_ISSUER || undefined;
  const clientId = env.SPOC_OIDC_CLIENT_ID || undefined;
  const clientSecret = env.SPOC_OIDC_CLIENT_SECRET || undefined;
  if (!issuer) {
    if (clientId || clientSecret) throw new ConfigError(`SPOC_OIDC_ISSUER must be set when ${clientId ? 'SPOC_OIDC_CLIENT_ID' : 'SPOC_OIDC_CLIENT_SECRET'} is`);
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new ConfigError(`SPOC_OIDC_ISSUER must be a URL (got "${issuer}")`);
  }
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname))) || url.search || url.hash) {
    throw new ConfigError(`SPOC_OIDC_ISSUER must be an https:// URL without a query (http:// only for localhost) (got "${issuer}")`);
  }
  if (!clientId) throw new ConfigError('SPOC_OIDC_CLIENT_ID must be set when SPOC_OIDC_ISSUER is');
  if (!clientSecret) throw new ConfigError('SPOC_OIDC_CLIENT_SECRET must be set when SPOC_OIDC_ISSUER is');
  if (!publicUrl) throw new ConfigError('PUBLIC_URL must be set when SPOC_OIDC_ISSUER is: council sign-in returns people to PUBLIC_URL/sign-in/oidc/callback');
  return { issuer, clientId, clientSecret, redirectUrl: `${publicUrl.replace(/\/+$/, '')}/sign-in/oidc/callback` };
}

/**
 * The development key, used only when SPOC_ENCRYPTION_KEYS is not set and NODE_ENV is not
 * "production". It is published (anyone can derive it), so it protects nothing: it lets
 * `npm start` and the tests run with encryption on, and is refused in production.
 */
export const DEVELOPMENT_KEY: EncryptionKey = { id: 'dev', key: createHash('sha256').update('spoc development key: published, never for real data').digest() };

/**
 * SPOC_ENCRYPTION_KEYS: comma-separated `id:base64` entries, each a 32-byte key; the first
 * encrypts, every one decrypts (old keys stay listed until `spoc keys rotate` has run).
 */
export function encryptionKeys(env: NodeJS.ProcessEnv): Keyring {
  const name = 'SPOC_ENCRYPTION_KEYS';
  const production = env.NODE_ENV === 'production';
  const raw = (env[name] ?? '').trim();
  const ring = (keys: EncryptionKey[]): Keyring => ({ current: keys[0]!, byId: new Map(keys.map((k) => [k.id, k])) });
  if (raw === '') {
    if (production) throw new ConfigError(`${name} must be set in production: one or more id:base64 keys of 32 bytes, e.g. "k1:" followed by the output of \`openssl rand -base64 32\``);
    return ring([DEVELOPMENT_KEY]);
  }
  const keys: EncryptionKey[] = [];
  for (const [index, entry] of raw.split(',').map((e) => e.trim()).entries()) {
    const at = `${name} entry ${index + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 1) throw new ConfigError(`${at} must be written id:base64key`);
    const id = entry.slice(0, colon);
    const encoded = entry.slice(colon + 1);
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new ConfigError(`${at}: the key id must be 1 to 32 letters, digits, - or _`);
    if (keys.some((k) => k.id === id)) throw new ConfigError(`${name}: the key id "${id}" is given twice`);
    const key = Buffer.from(encoded, 'base64');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || key.length !== 32) throw new ConfigError(`${name}: key "${id}" must be 32 bytes written in base64 (e.g. from \`openssl rand -base64 32\`)`);
    // Listed after a real key it can still be read, to rotate data written under it away from it.
    if (production && index === 0 && key.equals(DEVELOPMENT_KEY.key)) throw new ConfigError(`${name}: key "${id}" is the published development key, which must not encrypt in production (list it after a new key only to rotate away from it)`);
    keys.push({ id, key });
  }
  return ring(keys);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const logLevel = env.LOG_LEVEL ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  }
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  const publicUrl = env.PUBLIC_URL || undefined;
  if (publicUrl !== undefined && !/^https?:\/\//.test(publicUrl)) {
    throw new ConfigError('PUBLIC_URL must start with http:// or https://');
  }
  const exitUrl = env.SPOC_EXIT_URL || 'https://www.bbc.co.uk/weather';
  if (!/^https?:\/\//.test(exitUrl)) throw new ConfigError('SPOC_EXIT_URL must start with http:// or https://');
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: env.HOST || '127.0.0.1',
    databaseUrl,
    dataDir: path.resolve(env.SPOC_DATA_DIR || './data'),
    logLevel: logLevel as Config['logLevel'],
    bodyLimit: integer(env, 'SPOC_BODY_LIMIT', 256 * 1024, 1024, 50 * 1024 * 1024),
    publicPartnership: env.SPOC_PUBLIC_PARTNERSHIP || undefined,
    publicUrl,
    jobIntervalMs: integer(env, 'SPOC_JOB_INTERVAL_MS', 60_000, 0, 24 * 60 * 60 * 1000),
    shutdownGraceMs: integer(env, 'SPOC_SHUTDOWN_GRACE_MS', 0, 0, 5 * 60 * 1000),
    shutdownTimeoutMs: integer(env, 'SPOC_SHUTDOWN_TIMEOUT_MS', 10_000, 100, 10 * 60 * 1000),
    sessionIdleMinutes: integer(env, 'SPOC_SESSION_IDLE_MINUTES', 30, 2, 12 * 60),
    exitUrl,
    doorPostsPerIp: integer(env, 'SPOC_DOOR_POSTS_PER_IP', 60, 1, 100_000),
    doorPostsPerSession: integer(env, 'SPOC_DOOR_POSTS_PER_SESSION', 30, 1, 100_000),
    twilioAuthToken: env.TWILIO_AUTH_TOKEN || undefined,
    auditKey: env.SPOC_AUDIT_KEY || undefined,
    oidc: oidcConfig(env, publicUrl),
    encryptionKeys: encryptionKeys(env),
  };
}
