import { Type } from 'typebox';
import { IdempotencyHeader, idempotent } from '../../http/idempotency.js';
import { asActor, IdParams, problemResponses, type RoutePlugin } from '../../http/route-kit.js';
import { Attendance, CourseAttendanceView, JoinProgramme, NewCourse, PlaceView, ProgrammeView } from './schema.js';
import * as service from './service.js';

export const programmeRoutes: RoutePlugin = async (app) => {
  const tags = ['programmes'];
  const problems = { ...problemResponses, 409: Type.Ref('Problem') };

  app.get(
    '/services/:id/programme',
    { config: { permission: 'directory:read' }, schema: { tags, summary: "A recovery programme's courses to come, its waiting list, and where a newcomer would start", params: IdParams, response: { 200: ProgrammeView, ...problems } } },
    async (request) => asActor(request, (tx, actor) => service.programme(tx, actor, request.params.id)),
  );

  app.post(
    '/services/:id/courses',
    {
      config: { permission: 'directory:manage' },
      schema: { tags, summary: 'Schedule a course (people waiting take its places first)', params: IdParams, headers: IdempotencyHeader, body: NewCourse, response: { 201: ProgrammeView, ...problems } },
    },
    async (request, reply) => idempotent(request, reply, 201, (tx, actor) => service.createCourse(tx, actor, request.params.id, request.body)),
  );

  app.post(
    '/cases/:id/programme-places',
    {
      config: { permission: 'case:write' },
      schema: { tags, summary: 'A place on the first course with room, else the waiting list with an estimated start', params: IdParams, headers: IdempotencyHeader, body: JoinProgramme, response: { 201: PlaceView, ...problems } },
    },
    async (request, reply) => idempotent(request, reply, 201, (tx, actor) => service.joinProgramme(tx, actor, request.params.id, request.body.serviceId)),
  );

  app.get(
    '/cases/:id/programme-places',
    { config: { permission: 'case:read' }, schema: { tags, summary: "The case's places on programmes", params: IdParams, response: { 200: Type.Array(PlaceView), ...problems } } },
    async (request) => asActor(request, (tx, actor) => service.placesOfCase(tx, actor, request.params.id)),
  );

  app.get(
    '/courses/:id/attendance',
    { config: { permission: 'case:read' }, schema: { tags, summary: "A course's register: the people on it by case reference, and the sessions they attended", params: IdParams, response: { 200: CourseAttendanceView, ...problems } } },
    async (request) => asActor(request, (tx, actor) => service.coursePlaces(tx, actor, request.params.id)),
  );

  app.post(
    '/courses/:id/attendance',
    { config: { permission: 'case:write' }, schema: { tags, summary: 'Record attendance at a session', params: IdParams, body: Attendance, response: { 200: PlaceView, ...problems } } },
    async (request) => asActor(request, (tx, actor) => service.recordAttendance(tx, actor, request.params.id, request.body)),
  );
};
