/**
 * Safe contact is enforced, not advised (SPEC §5): an outbound attempt is allowed only on
 * a channel the person has marked safe. Pure.
 */
import type { ContactView } from '../contacts/schema.js';

export const ATTEMPT_CHANNELS = ['phone_call', 'text', 'voicemail', 'email', 'letter', 'in_person'] as const;
export type AttemptChannel = (typeof ATTEMPT_CHANNELS)[number];

const digits = (value: string) => value.replace(/\D/g, '');

/** Why a channel may not be used, or null when it may. */
export function unsafeChannelReason(safeContact: ContactView['safeContact'], channel: AttemptChannel, number?: string): string | null {
  const phones = safeContact.phones ?? [];
  const matching = number ? phones.filter((p) => digits(p.number) === digits(number)) : phones;
  if (number && matching.length === 0) return 'that number is not one of the safe-contact numbers';
  switch (channel) {
    case 'phone_call':
      return matching.some((p) => p.callSafe) ? null : 'no number is marked safe to call';
    case 'text':
      return matching.some((p) => p.textSafe) ? null : 'no number is marked safe to text';
    case 'voicemail':
      return matching.some((p) => p.voicemailSafe) ? null : 'no number is marked safe for voicemail';
    case 'email':
      return safeContact.safeEmail ? null : 'no safe email address is recorded';
    case 'letter':
      return safeContact.safeAddress ? null : 'no safe postal address is recorded';
    case 'in_person':
      return null;
  }
}
