import { Type, type Static } from 'typebox';
import { IsoDate, Nullable, StringEnum, Uuid } from '../../lib/schema.js';
import { CALLER_TYPES, CHANNELS } from '../contacts/schema.js';
import { RISK_LEVELS } from '../risk/scoring.js';
import { PERIODS } from './periods.js';

export const ReportQuery = Type.Object(
  {
    period: Type.Optional(StringEnum(PERIODS, { description: 'week (Monday to Sunday), month, quarter, year (financial: April to March) or custom (from and to); default quarter' })),
    date: Type.Optional({ ...IsoDate, description: 'A day in the period wanted (default today); not with custom' }),
    from: Type.Optional({ ...IsoDate, description: 'First day of a custom period' }),
    to: Type.Optional({ ...IsoDate, description: 'Last day of a custom period' }),
    organisationId: Type.Optional({ ...Uuid, description: "Only records of this organisation (a provider manager's own organisation always)" }),
    serviceId: Type.Optional(Uuid),
    channel: Type.Optional(StringEnum(CHANNELS)),
    callerType: Type.Optional(StringEnum(CALLER_TYPES)),
    riskLevel: Type.Optional(StringEnum([...RISK_LEVELS, 'not_assessed'] as const)),
  },
  { additionalProperties: false },
);
export type ReportQuery = Static<typeof ReportQuery>;

export const COLUMN_UNITS = ['count', 'hours', 'seconds', 'percent', 'score'] as const;

const Value = Nullable(Type.Number({ description: 'null where suppressed (a count from 1 to 4, or one that would reveal it) or not computable' }));
const Row = Type.Object({ key: Type.String(), label: Type.String(), values: Type.Array(Value) });

export const ReportTable = Type.Object({
  id: Type.String(),
  title: Type.String(),
  note: Type.Optional(Type.String()),
  rowHeader: Type.String(),
  columns: Type.Array(Type.Object({ key: Type.String(), label: Type.String(), unit: StringEnum(COLUMN_UNITS) })),
  rows: Type.Array(Row),
  total: Type.Optional(Row),
});
export type ReportTable = Static<typeof ReportTable>;

export const Report = Type.Object({
  period: Type.Object({ kind: StringEnum(PERIODS), from: Type.String(), to: Type.String(), name: Type.String() }),
  filters: Type.Object({
    organisationId: Type.Optional(Type.String()),
    organisationName: Type.Optional(Type.String()),
    serviceId: Type.Optional(Type.String()),
    serviceName: Type.Optional(Type.String()),
    channel: Type.Optional(Type.String()),
    callerType: Type.Optional(Type.String()),
    riskLevel: Type.Optional(Type.String()),
  }),
  suppressed: Type.Boolean({ description: 'Counts from 1 to 4 (and any that would reveal them) are null: the figures leave the organisation’s own view' }),
  generatedAt: Type.String(),
  tables: Type.Array(ReportTable),
});
export type Report = Static<typeof Report>;
