/**
 * The default safety-plan template, installed for a partnership the first time it is needed.
 * A partnership can add its own versions; plans record the template version they used.
 */
export interface PlanSection {
  id: string;
  title: string;
  hint: string;
}

export const DEFAULT_SAFETY_PLAN = {
  code: 'safety_plan',
  title: 'Safety plan',
  sections: [
    { id: 'immediate_steps', title: 'Immediate steps', hint: 'What to do if in danger now: 999, Silent Solution (55), where to go.' },
    { id: 'safe_places', title: 'Safe places and people', hint: 'Where they can go and who they can call, day and night.' },
    { id: 'prepared_bag', title: 'Prepared bag and documents', hint: 'Keys, money, medication, ID, birth certificates, bank cards, phone charger; where it is kept.' },
    { id: 'safe_routes', title: 'Safe routes', hint: 'Routes to work, school and shops that avoid known places; changes to routine.' },
    { id: 'children', title: "Children's safety", hint: 'What the children know to do, school and nursery collection arrangements, code words.' },
    { id: 'technology', title: 'Technology safety', hint: 'Phone and account passwords, location sharing, trackers, social media, shared devices.' },
    { id: 'orders_markers', title: 'Court orders and police markers', hint: 'Non-molestation or occupation orders, bail conditions, a police marker on the address.' },
  ] satisfies PlanSection[],
} as const;
