import { Type, type Static } from 'typebox';
import { Nullable, StringEnum, Uuid } from '../../lib/schema.js';
import { UNIT_TYPES } from '../directory/schema.js';
import { CONSENT } from '../referrals/schema.js';

export const VacancySearch = Type.Object(
  {
    caseId: Type.Optional(Type.String({ format: 'uuid', description: "Match this case's household (children living with the person, needs)" })),
    children: Type.Optional(Type.Integer({ minimum: 0, maximum: 12 })),
    accessible: Type.Optional(Type.Boolean()),
    noRecourse: Type.Optional(Type.Boolean({ description: 'No recourse to public funds' })),
  },
  { additionalProperties: false },
);
export type VacancySearch = Static<typeof VacancySearch>;

const Vacancy = Type.Object({ unitType: Type.String(), available: Type.Integer(), acceptsNoRecourse: Type.Boolean() });

export const VacancyResults = Type.Object({
  household: Type.Object({ children: Type.Integer(), accessible: Type.Boolean(), noRecourse: Type.Boolean(), unitType: Type.String() }),
  results: Type.Array(
    Type.Object({
      serviceId: Uuid,
      serviceName: Type.String(),
      organisationId: Uuid,
      organisationName: Type.String(),
      address: Nullable(Type.Object({ line1: Type.String(), line2: Type.Optional(Type.String()), town: Type.String(), postcode: Type.String() })),
      phone: Nullable(Type.String()),
      vacancies: Type.Array(Vacancy),
    }),
  ),
});

export const RefugeReferral = Type.Object(
  {
    serviceId: Uuid,
    unitType: StringEnum(UNIT_TYPES),
    consent: StringEnum(CONSENT),
    lawfulBasis: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
  },
  { additionalProperties: false },
);
export type RefugeReferral = Static<typeof RefugeReferral>;
