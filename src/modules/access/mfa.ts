/**
 * The second factor of staff sign-in (issue 9): TOTP (RFC 6238, as authenticator apps do
 * it) with one step of clock drift allowed, and one-time recovery codes kept only as
 * hashes. Pure apart from randomness.
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

export async function checkTotp(secret: string, code: string): Promise<boolean> {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return false;
  const result = await verify({ secret, token, epochTolerance: 30 });
  return result.valid;
}

/** The code an authenticator shows now (demo and tests). */
export function currentTotp(secret: string): Promise<string> {
  return generate({ secret });
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
