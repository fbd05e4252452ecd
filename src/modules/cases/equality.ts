/**
 * Equality monitoring (SPEC §7): the Equality Act 2010's protected characteristics, asked as
 * the ONS 2021 census asks them, each answerable "prefer not to say". Recorded about a
 * person (people row) with their agreement; reports count them, never show them per person.
 */

export const EQUALITY_QUESTIONS = {
  sex: { label: 'Sex', options: { female: 'Female', male: 'Male', prefer_not_to_say: 'Prefer not to say' } },
  genderSameAsBirth: {
    label: 'Gender identity the same as sex registered at birth',
    options: { yes: 'Yes', no: 'No', prefer_not_to_say: 'Prefer not to say' },
  },
  ethnicity: {
    label: 'Ethnic group',
    options: {
      asian: 'Asian, Asian British, Asian Welsh',
      black: 'Black, Black British, Black Welsh, Caribbean or African',
      mixed: 'Mixed or multiple ethnic groups',
      white: 'White',
      other: 'Other ethnic group',
      prefer_not_to_say: 'Prefer not to say',
    },
  },
  disability: { label: 'Disabled (a long-term condition that limits day-to-day activities)', options: { yes: 'Yes', no: 'No', prefer_not_to_say: 'Prefer not to say' } },
  sexualOrientation: {
    label: 'Sexual orientation',
    options: { straight: 'Straight or heterosexual', gay_lesbian: 'Gay or lesbian', bisexual: 'Bisexual', other: 'Another sexual orientation', prefer_not_to_say: 'Prefer not to say' },
  },
  religion: {
    label: 'Religion',
    options: {
      none: 'No religion',
      christian: 'Christian',
      buddhist: 'Buddhist',
      hindu: 'Hindu',
      jewish: 'Jewish',
      muslim: 'Muslim',
      sikh: 'Sikh',
      other: 'Any other religion',
      prefer_not_to_say: 'Prefer not to say',
    },
  },
} as const;

export type EqualityQuestion = keyof typeof EQUALITY_QUESTIONS;
export const EQUALITY_KEYS = Object.keys(EQUALITY_QUESTIONS) as EqualityQuestion[];

/** The people column each question is kept in. */
export const EQUALITY_COLUMNS = {
  sex: 'sex',
  genderSameAsBirth: 'gender_same_as_birth',
  ethnicity: 'ethnicity',
  disability: 'disability',
  sexualOrientation: 'sexual_orientation',
  religion: 'religion',
} as const satisfies Record<EqualityQuestion, string>;

export function optionsOf(question: EqualityQuestion): string[] {
  return Object.keys(EQUALITY_QUESTIONS[question].options);
}

/** Age bands for reports, by age at the contact. */
export const AGE_BANDS = [
  { key: 'under_16', label: 'Under 16', max: 15 },
  { key: '16_17', label: '16 to 17', max: 17 },
  { key: '18_24', label: '18 to 24', max: 24 },
  { key: '25_34', label: '25 to 34', max: 34 },
  { key: '35_44', label: '35 to 44', max: 44 },
  { key: '45_54', label: '45 to 54', max: 54 },
  { key: '55_64', label: '55 to 64', max: 64 },
  { key: '65_plus', label: '65 and over', max: Number.POSITIVE_INFINITY },
] as const;
