/**
 * Which safe-accommodation vacancies fit a household (SPEC §4): the unit by the number of
 * children, an accessible unit where the person needs one, and a provider that accepts no
 * recourse to public funds where the person has none. Pure.
 */
import type { UNIT_TYPES } from '../directory/schema.js';

export type UnitType = (typeof UNIT_TYPES)[number];

export interface Household {
  children: number;
  accessible: boolean;
  noRecourse: boolean;
}

export interface Vacancy {
  unitType: string;
  available: number;
  acceptsNoRecourse: boolean;
}

/** The unit a household needs, by the number of children. */
export function unitTypeFor(children: number): UnitType {
  if (children <= 0) return 'single';
  if (children === 1) return 'family_1_child';
  if (children === 2) return 'family_2_children';
  return 'family_3plus_children';
}

/** The vacancies that fit: the household's unit (or an accessible one when needed), with room, and NRPF where it matters. */
export function fittingVacancies(vacancies: readonly Vacancy[], household: Household): Vacancy[] {
  const unit = unitTypeFor(household.children);
  return vacancies.filter(
    (v) => v.available > 0 && (v.unitType === unit || (household.accessible && v.unitType === 'accessible')) && (!household.noRecourse || v.acceptsNoRecourse),
  );
}
