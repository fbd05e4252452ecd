/**
 * The referral lifecycle (SPEC §2 steps 7–9) as data: which state may follow which, and
 * who may move it. Pure.
 */
export const REFERRAL_STATES = [
  'sent',
  'acknowledged',
  'accepted',
  'declined',
  'redirected',
  'first_contact_attempted',
  'engaged',
  'closed',
  'withdrawn',
] as const;
export type ReferralState = (typeof REFERRAL_STATES)[number];

export const TRANSITIONS: Record<ReferralState, readonly ReferralState[]> = {
  sent: ['acknowledged', 'accepted', 'declined', 'redirected', 'withdrawn'],
  acknowledged: ['accepted', 'declined', 'redirected', 'withdrawn'],
  accepted: ['first_contact_attempted', 'engaged', 'closed', 'withdrawn'],
  first_contact_attempted: ['first_contact_attempted', 'engaged', 'closed', 'withdrawn'],
  engaged: ['closed', 'withdrawn'],
  declined: [],
  redirected: [],
  closed: [],
  withdrawn: [],
};

/** States that end a referral; a declined or redirected one goes back to the SPOC to re-route. */
export const ENDED: readonly ReferralState[] = ['declined', 'redirected', 'closed', 'withdrawn'];
export const BACK_TO_SPOC: readonly ReferralState[] = ['declined', 'redirected'];

export const DECLINE_REASONS = ['out_of_area', 'not_eligible', 'no_capacity', 'already_open', 'unable_to_contact', 'other'] as const;
export const CLOSE_REASONS = ['support_completed', 'declined_support', 'unable_to_contact', 'moved_away', 'transferred', 'other'] as const;

/** Which side of the referral may make each move: the receiving service, or the sender. */
export const MOVED_BY: Record<ReferralState, 'receiver' | 'either' | 'attempts'> = {
  sent: 'receiver',
  acknowledged: 'receiver',
  accepted: 'receiver',
  declined: 'receiver',
  redirected: 'receiver',
  // Recorded through a contact attempt, which must use a safe channel.
  first_contact_attempted: 'attempts',
  engaged: 'receiver',
  closed: 'receiver',
  withdrawn: 'either',
};

export function allowedFrom(state: ReferralState): readonly ReferralState[] {
  return TRANSITIONS[state];
}

export function canMove(from: ReferralState, to: ReferralState): boolean {
  return TRANSITIONS[from].includes(to);
}
