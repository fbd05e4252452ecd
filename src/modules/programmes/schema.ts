import { Type, type Static } from 'typebox';
import { IsoDate, Nullable, StringEnum, Uuid } from '../../lib/schema.js';

export const NewCourse = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 160 }),
    startsOn: IsoDate,
    sessions: Type.Integer({ minimum: 1, maximum: 52 }),
    places: Type.Integer({ minimum: 1, maximum: 200 }),
  },
  { additionalProperties: false },
);
export type NewCourse = Static<typeof NewCourse>;

export const JoinProgramme = Type.Object({ serviceId: Uuid }, { additionalProperties: false });
export type JoinProgramme = Static<typeof JoinProgramme>;

export const Attendance = Type.Object(
  { placeId: Uuid, session: Type.Integer({ minimum: 1, maximum: 52 }), attended: Type.Boolean() },
  { additionalProperties: false },
);
export type Attendance = Static<typeof Attendance>;

export const PlaceView = Type.Object({
  id: Uuid,
  serviceId: Uuid,
  caseId: Uuid,
  status: StringEnum(['waiting', 'enrolled', 'completed', 'withdrawn'] as const),
  courseId: Nullable(Uuid),
  courseStartsOn: Nullable(Type.String()),
  waitingPosition: Nullable(Type.Integer()),
  estimatedStart: Nullable(Type.String({ description: 'For someone waiting: the start of the course they would join, if one has room' })),
  attended: Type.Integer({ description: 'Sessions attended' }),
});
export type PlaceView = Static<typeof PlaceView>;

export const CourseView = Type.Object({
  id: Uuid,
  serviceId: Uuid,
  title: Type.String(),
  startsOn: Type.String(),
  sessions: Type.Integer(),
  places: Type.Integer(),
  enrolled: Type.Integer(),
  running: Type.Boolean({ description: 'Started, with sessions still to come' }),
});

export const CourseAttendanceView = Type.Object({
  course: Type.Object({ id: Uuid, serviceId: Uuid, serviceName: Type.String(), title: Type.String(), startsOn: Type.String(), sessions: Type.Integer(), places: Type.Integer() }),
  places: Type.Array(
    Type.Object({
      id: Uuid,
      caseId: Uuid,
      caseReference: Type.String(),
      status: Type.String(),
      sessions: Type.Record(Type.String(), Type.Boolean(), { description: 'Session number → attended' }),
      attended: Type.Integer(),
    }),
  ),
});

export const ProgrammeView = Type.Object({
  serviceId: Uuid,
  courses: Type.Array(CourseView),
  waiting: Type.Integer(),
  nextEstimatedStart: Nullable(Type.String({ description: 'Where someone joining the waiting list now would start' })),
});
