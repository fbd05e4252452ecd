/** Words for the codes the pages show, and the radio/checkbox items built from them. */
import { ABUSE_TYPES, CLOSURE_REASONS, FREQUENCIES, HOUSEHOLD_RELATIONSHIPS, PERPETRATOR_RELATIONSHIPS, SEVERITIES } from '../modules/cases/schema.js';
import { UNIT_TYPES } from '../modules/directory/schema.js';
import { CRITERION_LABELS } from '../modules/marac/criteria.js';
import type { MARAC_STATUSES } from '../modules/marac/schema.js';
import { DECLINE_REASONS, CLOSE_REASONS } from '../modules/referrals/lifecycle.js';

export interface Item {
  value: string;
  text: string;
}

export const DANGER_ITEMS: Item[] = [
  { value: 'yes', text: 'Yes' },
  { value: 'no', text: 'No' },
  { value: 'not_known', text: 'Not known' },
];

export const CALLER_TYPE_ITEMS: Item[] = [
  { value: 'victim', text: 'The person experiencing abuse' },
  { value: 'family_friend', text: 'A family member or friend' },
  { value: 'professional', text: 'A professional' },
  { value: 'perpetrator', text: 'Someone worried about their own behaviour' },
  { value: 'other', text: 'Someone else' },
];

export const CHANNEL_ITEMS: Item[] = [
  { value: 'phone', text: 'Phone' },
  { value: 'web_self_referral', text: 'Web self-referral' },
  { value: 'professional_referral', text: 'Professional referral' },
  { value: 'email', text: 'Email' },
  { value: 'in_person', text: 'In person' },
  { value: 'other', text: 'Other' },
];

export const GENDER_ITEMS: Item[] = [
  { value: 'female', text: 'Female' },
  { value: 'male', text: 'Male' },
  { value: 'non_binary', text: 'Non-binary' },
  { value: 'other', text: 'Other' },
  { value: 'not_known', text: 'Not known' },
];

export const CONSENT_ITEMS: Item[] = [
  { value: 'given', text: 'Yes, they agree to the referral' },
  { value: 'refused', text: 'No, they do not agree' },
  { value: 'not_asked', text: 'Not asked (it was not safe or possible to ask)' },
];

/** Ways a service tries to reach someone (contact attempts). */
export const ATTEMPT_CHANNEL_LABELS: Record<string, string> = { phone_call: 'Phone call', text: 'Text message', voicemail: 'Voicemail', email: 'Email', letter: 'Letter', in_person: 'In person' };
/** What came of a contact attempt. */
export const OUTCOME_ITEMS = [
  { value: 'reached', text: 'Reached them' },
  { value: 'no_answer', text: 'No answer' },
  { value: 'not_safe_to_talk', text: 'Not safe to talk' },
  { value: 'message_left', text: 'Message left' },
  { value: 'wrong_number', text: 'Wrong number' },
  { value: 'other', text: 'Other' },
];

export const LEVEL_LABELS: Record<string, string> = { standard: 'Standard', medium: 'Medium', high: 'High' };

export const STATE_LABELS: Record<string, string> = {
  sent: 'Sent',
  acknowledged: 'Acknowledged',
  accepted: 'Accepted',
  declined: 'Declined',
  redirected: 'Redirected',
  first_contact_attempted: 'Contact attempted',
  engaged: 'Engaged',
  closed: 'Closed',
  withdrawn: 'Withdrawn',
};

/** Tag colours for referral states (GOV.UK tag modifiers). */
export const STATE_COLOURS: Record<string, string> = {
  sent: 'govuk-tag--blue',
  acknowledged: 'govuk-tag--light-blue',
  accepted: 'govuk-tag--green',
  declined: 'govuk-tag--red',
  redirected: 'govuk-tag--orange',
  first_contact_attempted: 'govuk-tag--turquoise',
  engaged: 'govuk-tag--green',
  closed: 'govuk-tag--grey',
  withdrawn: 'govuk-tag--grey',
};

export const words = (code: string) => code.charAt(0).toUpperCase() + code.slice(1).replace(/_/g, ' ');

export const DECLINE_ITEMS: Item[] = DECLINE_REASONS.map((value) => ({ value, text: words(value) }));
export const CLOSE_ITEMS: Item[] = CLOSE_REASONS.map((value) => ({ value, text: words(value) }));

export function labelOf(items: Item[], value: string): string {
  return items.find((item) => item.value === value)?.text ?? words(value);
}

/** "in 3 h 20 min", "2 days late": time to a deadline, for a person to read. */
export function timeTo(minutes: number | null): string {
  if (minutes === null) return '—';
  const late = minutes < 0;
  const m = Math.abs(minutes);
  const text = m >= 2 * 24 * 60 ? `${Math.round(m / (24 * 60))} days` : m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min`;
  return late ? `${text} overdue` : `in ${text}`;
}

/** Items for the templates, in one object. */
export const ITEMS = {
  danger: DANGER_ITEMS,
  callerType: CALLER_TYPE_ITEMS,
  channel: CHANNEL_ITEMS,
  gender: GENDER_ITEMS,
  consent: CONSENT_ITEMS,
  decline: DECLINE_ITEMS,
  close: CLOSE_ITEMS,
};

/** Cases: words for the codes of src/modules/cases/schema.ts, typed so a new code cannot go without words. */
const itemsOf = <T extends string>(codes: readonly T[], words: Record<T, string>): Item[] => codes.map((value) => ({ value, text: words[value] }));

export const CASE_CLOSURE_ITEMS = itemsOf(CLOSURE_REASONS, {
  support_completed: 'Support completed',
  disengaged: 'They stopped engaging',
  moved_out_of_area: 'Moved out of the area',
  transferred: 'Transferred to another service',
  declined_support: 'They declined support',
  no_longer_safe_to_contact: 'No longer safe to contact',
  died: 'Died',
  other: 'Other',
});

export const HOUSEHOLD_RELATIONSHIP_ITEMS = itemsOf(HOUSEHOLD_RELATIONSHIPS, {
  child: 'Child',
  stepchild: 'Stepchild',
  grandchild: 'Grandchild',
  adult_family_member: 'Adult family member',
  other: 'Other',
});

export const PERPETRATOR_RELATIONSHIP_ITEMS = itemsOf(PERPETRATOR_RELATIONSHIPS, {
  current_partner: 'Current partner',
  former_partner: 'Former partner',
  family_member: 'Family member',
  household_member: 'Someone else in the household',
  other: 'Other',
  not_known: 'Not known',
});

export const ABUSE_TYPE_ITEMS = itemsOf(ABUSE_TYPES, {
  physical: 'Physical abuse',
  sexual: 'Sexual abuse',
  emotional: 'Emotional or psychological abuse',
  coercive_control: 'Coercive control',
  economic: 'Economic abuse',
  stalking: 'Stalking or harassment',
  online: 'Online abuse',
});

export const FREQUENCY_ITEMS = itemsOf(FREQUENCIES, { none: 'Not at all', once: 'Once', monthly: 'About monthly', weekly: 'About weekly', daily: 'Daily or almost daily' });
export const SEVERITY_ITEMS = itemsOf(SEVERITIES, { none: 'None', low: 'Low', medium: 'Medium', high: 'High' });
export const OUTCOME_STAGE_ITEMS: Item[] = [
  { value: 'intake', text: 'At intake (the start of support)' },
  { value: 'exit', text: 'At exit (the end of support)' },
];

/** Safe accommodation: the kinds of unit a refuge offers (src/modules/directory/schema.ts). */
export const UNIT_TYPE_ITEMS = itemsOf(UNIT_TYPES, {
  single: 'Single',
  family_1_child: 'Family, 1 child',
  family_2_children: 'Family, 2 children',
  family_3plus_children: 'Family, 3 or more children',
  accessible: 'Accessible',
});

/** A place on a recovery programme (src/modules/programmes/schema.ts). */
export const PLACE_STATUS_LABELS: Record<string, string> = { waiting: 'Waiting list', enrolled: 'Has a place', completed: 'Completed', withdrawn: 'Withdrawn' };
export const PLACE_STATUS_COLOURS: Record<string, string> = { waiting: 'govuk-tag--yellow', enrolled: 'govuk-tag--green', completed: 'govuk-tag--grey', withdrawn: 'govuk-tag--grey' };

/** MARAC (src/modules/marac): the criteria a referral met, and where a referral stands. */
export const MARAC_CRITERION_LABELS: Record<string, string> = CRITERION_LABELS;
type MaracStatus = (typeof MARAC_STATUSES)[number];
export const MARAC_STATUS_LABELS: Record<MaracStatus, string> = { awaiting_meeting: 'Waiting for a meeting', listed: 'Listed', heard: 'Heard', withdrawn: 'Withdrawn' };
export const MARAC_STATUS_COLOURS: Record<MaracStatus, string> = { awaiting_meeting: 'govuk-tag--yellow', listed: 'govuk-tag--blue', heard: 'govuk-tag--green', withdrawn: 'govuk-tag--grey' };
