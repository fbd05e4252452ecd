/**
 * The second factor of staff sign-in (issue 9): TOTP (RFC 6238, as authenticator apps do
 * it) with one step of clock drift allowed, each code accepted once, and one-time recovery
 * codes kept only as hashes. Pure apart from randomness and the clock.
 */
import { createHash, randomInt } from 'node:crypto';
import { generate, generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';

export const ISSUER = 'spoc';
export const RECOVERY_CODES = 10;

export function newTotpSecret(): string {
  return generateSecret();
}

/** The otpauth:// address an authenticator app reads from the QR code. */
export function totpUri(secret: string, label: string): string {
  return generateURI({ issuer: ISSUER, label, secret });
}

/** The QR code as an SVG element, for the enrolment page (no image request, nothing third-party). */
export function totpQrSvg(secret: string, label: string): Promise<string> {
  return QRCode.toString(totpUri(secret, label), { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/** RFC 6238's time step: codes change every 30 seconds. */
export const TOTP_PERIOD_SECONDS = 30;

export function totpStepAt(time: Date): number {
  return Math.floor(time.getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

/**
 * Checks a code against the secret, allowing one step of clock drift either way, and
 * answers the time step it belongs to (null when it is not right). A code is used once:
 * one whose step is not later than `lastStep` (the step of the last code accepted) is
 * refused, so a code seen over someone's shoulder, or replayed, opens nothing (ASVS 2.8.4).
 */
export async function checkTotp(secret: string, code: string, lastStep: number | null = null): Promise<number | null> {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  // otplib throws for a last step beyond the window; no code could be later than it anyway.
  if (lastStep !== null && lastStep >= totpStepAt(new Date()) + 1) return null;
  const result = await verify({ secret, token, epochTolerance: TOTP_PERIOD_SECONDS, ...(lastStep !== null ? { afterTimeStep: lastStep } : {}) });
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}

/** The code an authenticator shows now (demo and tests). */
export function currentTotp(secret: string): Promise<string> {
  return generate({ secret });
}

/** The code of a given time step (tests that sign the same person in several times a minute). */
export function totpForStep(secret: string, step: number): Promise<string> {
  return generate({ secret, epoch: step * TOTP_PERIOD_SECONDS });
}

const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** Ten codes of 10 characters (about 49 bits each), shown once, written as xxxxx-xxxxx. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODES }, () => {
    const chars = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

export function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(code.toLowerCase().replace(/[^a-z0-9]/g, '')).digest('hex');
}
