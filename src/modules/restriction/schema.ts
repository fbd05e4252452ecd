import { Type, type Static } from 'typebox';
import { IsoDateTime, Uuid } from '../../lib/schema.js';

export const BREAK_GLASS_MINUTES = 60;

export const RestrictionChange = Type.Object(
  {
    restricted: Type.Boolean({ description: 'Hide this person’s records from everyone not named' }),
    namedUserIds: Type.Array(Uuid, {
      maxItems: 50,
      uniqueItems: true,
      description: 'Users of the partnership who may still see the records (you are always named)',
    }),
  },
  { additionalProperties: false },
);
export type RestrictionChange = Static<typeof RestrictionChange>;

export const Restriction = Type.Object(
  {
    personId: Uuid,
    restricted: Type.Boolean(),
    restrictedAt: Type.Union([IsoDateTime, Type.Null()]),
    namedUsers: Type.Array(Type.Object({ id: Uuid, name: Type.String(), organisationName: Type.String() })),
  },
  { additionalProperties: false },
);
export type Restriction = Static<typeof Restriction>;

export const BreakGlassRequest = Type.Object(
  { reason: Type.String({ minLength: 10, maxLength: 1000, description: 'Why you need this restricted record now (at least 10 characters); your manager reviews it' }) },
  { additionalProperties: false },
);
export type BreakGlassRequest = Static<typeof BreakGlassRequest>;

export const BreakGlassView = Type.Object(
  {
    id: Uuid,
    personId: Uuid,
    userId: Uuid,
    userName: Type.String(),
    organisationName: Type.String(),
    reason: Type.String(),
    openedAt: IsoDateTime,
    expiresAt: IsoDateTime,
    reviewedAt: Type.Union([IsoDateTime, Type.Null()]),
    reviewedByName: Type.Union([Type.String(), Type.Null()]),
    reviewNote: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);
export type BreakGlassView = Static<typeof BreakGlassView>;

export const BreakGlassQuery = Type.Object(
  { reviewed: Type.Optional(Type.Boolean({ description: 'true: reviewed only; false: awaiting review only' })) },
  { additionalProperties: false },
);

export const Review = Type.Object(
  { note: Type.String({ maxLength: 1000, description: 'What the review found (may be empty)' }) },
  { additionalProperties: false },
);

export const AccessEntry = Type.Object(
  {
    at: IsoDateTime,
    action: Type.String(),
    recordType: Type.Union([Type.String(), Type.Null()]),
    recordId: Type.Union([Uuid, Type.Null()]),
    outcome: Type.String(),
    userName: Type.Union([Type.String(), Type.Null()]),
    organisationName: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);
export const AccessLog = Type.Object(
  { personId: Uuid, entries: Type.Array(AccessEntry), truncated: Type.Boolean() },
  { additionalProperties: false },
);
export type AccessLog = Static<typeof AccessLog>;
