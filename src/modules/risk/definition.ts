/** The shape of a questionnaire held as data (versioned per partnership in questionnaire_definitions). */
export type Answer = 'yes' | 'no' | 'dont_know';
export const ANSWERS: readonly Answer[] = ['yes', 'no', 'dont_know'];

export interface Question {
  id: string;
  topic: string;
  /** spoc's own short prompt. */
  prompt: string;
  /** The partnership's licensed official wording, when loaded. */
  officialWording?: string;
  /** Tags the risk prompts refer to. */
  tags: string[];
}

export interface RiskPromptRule {
  id: string;
  message: string;
  /** Fires when every one of these tags has a "yes" answer... */
  allTagsYes?: string[];
  /** ...and at least one of these does. */
  anyTagYes?: string[];
}

export interface QuestionnaireDefinition {
  code: string;
  title: string;
  wording: string;
  answerOptions: readonly Answer[];
  questions: Question[];
  riskPrompts: RiskPromptRule[];
}
