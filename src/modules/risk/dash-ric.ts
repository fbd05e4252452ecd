/**
 * The SafeLives DASH risk identification checklist (RIC), held as data: 24 topics in
 * SafeLives' order, each with spoc's own short prompt. The official SafeLives wording
 * belongs to SafeLives; a partnership loads it from its own licensed copy
 * (PUT /api/v1/questionnaires/dash-ric/wording), which makes a new version.
 */
import type { QuestionnaireDefinition } from './definition.js';

export const DASH_RIC_CODE = 'dash-ric';

const topics: Array<[topic: string, prompt: string, tags?: string[]]> = [
  ['current_injuries', 'Are they hurt now, from what happened this time?', ['physical_violence']],
  ['very_frightened', 'Are they very frightened?'],
  ['what_they_fear', 'Are they afraid of what may happen next, e.g. further injury, being killed, or harm to others?'],
  ['isolated', 'Do they feel cut off from family or friends by the abuser?'],
  ['depressed_suicidal', 'Are they feeling depressed or having thoughts of suicide?'],
  ['separation', 'Have they separated from, or tried to separate from, the abuser in the past year?', ['separation']],
  ['child_contact_conflict', 'Is there conflict over contact with children?'],
  ['constant_contact_stalking', 'Does the abuser keep contacting, following or harassing them?', ['stalking']],
  ['pregnancy_new_baby', 'Are they pregnant, or have they had a baby in the past 18 months?'],
  ['abuse_more_frequent', 'Is the abuse happening more often?'],
  ['abuse_getting_worse', 'Is the abuse getting worse?'],
  ['controlling_jealous', 'Is the abuser controlling or excessively jealous?', ['coercive_control']],
  ['weapons_objects', 'Has the abuser used weapons or objects to hurt them?', ['physical_violence']],
  ['threats_to_kill', 'Has the abuser threatened to kill them or someone else, and did they believe it?', ['threats_to_kill']],
  ['strangulation', 'Has the abuser ever strangled, choked, suffocated or tried to drown them?', ['strangulation', 'physical_violence']],
  ['sexual_abuse', 'Does the abuser do or say sexual things that make them feel bad or hurt them?', ['sexual_violence']],
  ['others_feared', 'Is there anyone else they are afraid of, or who helps the abuser?'],
  ['hurt_others', 'Has the abuser hurt anyone else: children, relatives, or a previous partner?'],
  ['cruelty_animals', 'Has the abuser ever mistreated an animal or family pet?'],
  ['financial', 'Are there financial problems, or are they dependent on the abuser for money?'],
  ['perpetrator_problems', 'Has the abuser had problems with drugs, alcohol or mental health in the past year?'],
  ['perpetrator_suicide', 'Has the abuser ever threatened or attempted suicide?'],
  ['breached_orders', 'Has the abuser broken bail, an injunction or a child-contact agreement?'],
  ['criminal_history', 'Does the abuser have a criminal history, for violence or otherwise?'],
];

export const DASH_RIC_QUESTION_IDS = topics.map((_, index) => `q${String(index + 1).padStart(2, '0')}`);

export const DASH_RIC: QuestionnaireDefinition = {
  code: DASH_RIC_CODE,
  title: 'Domestic Abuse, Stalking, Harassment and Honour-based violence risk identification checklist (DASH RIC)',
  wording: 'spoc short prompts (not the official SafeLives wording)',
  answerOptions: ['yes', 'no', 'dont_know'],
  questions: topics.map(([topic, prompt, tags], index) => ({
    id: DASH_RIC_QUESTION_IDS[index]!,
    topic,
    prompt,
    tags: tags ?? [],
  })),
  // Answers that warrant professional judgement even below the high threshold (SPEC §3).
  // The system highlights; the handler decides.
  riskPrompts: [
    {
      id: 'strangulation',
      message: 'Non-fatal strangulation is a marker of serious harm and homicide risk: consider professional judgement.',
      anyTagYes: ['strangulation'],
    },
    {
      id: 'threats_to_kill',
      message: 'Threats to kill that the victim believed: consider professional judgement.',
      anyTagYes: ['threats_to_kill'],
    },
    {
      id: 'stalking',
      message: 'Stalking behaviour reported: consider professional judgement and a stalking screen.',
      anyTagYes: ['stalking'],
    },
    {
      id: 'separation_control_violence',
      message:
        'Separation, coercive control and physical or sexual violence together: consider professional judgement.',
      allTagsYes: ['separation', 'coercive_control'],
      anyTagYes: ['physical_violence', 'sexual_violence'],
    },
  ],
};
