/**
 * Recovery programmes (SPEC §2 step 9): group programmes run as courses with places; a
 * person joins the first course with room, or the waiting list with an estimated start; a
 * new course takes people from the waiting list in turn; facilitators record attendance.
 */
import { sql } from 'kysely';
import type { Tx } from '../../db/transaction.js';
import { londonToday } from '../../lib/dates.js';
import { Conflict, Forbidden, Invalid, NotFound, Refused } from '../../lib/errors.js';
import { requirePermission, type Actor } from '../access/actor.js';
import { audit } from '../access/audit.js';
import { caseToReferFrom, getCaseSummary } from '../cases/service.js';
import { getService, mayManage } from '../directory/service.js';
import type { Attendance, NewCourse, PlaceView } from './schema.js';
import { courseWithRoom, estimatedStart, type UpcomingCourse } from './waiting.js';

const today = londonToday;

async function programmeService(tx: Tx, actor: Actor, serviceId: string) {
  const service = await getService(tx, actor, serviceId).catch(() => null);
  if (!service || service.kind !== 'recovery_programme') throw Invalid.field('/serviceId', 'is not a recovery programme of this partnership');
  return service;
}

/** Courses not yet started, with their enrolled counts; locked so two joiners cannot take one last place. */
async function upcoming(tx: Tx, serviceId: string): Promise<UpcomingCourse[]> {
  const { rows } = await sql<{ id: string; starts_on: string; places: number; enrolled: number }>`
    select c.id, c.starts_on, c.places,
      (select count(*) from programme_places p where p.course_id = c.id and p.status = 'enrolled')::int as enrolled
    from programme_courses c where c.service_id = ${serviceId} and c.starts_on >= ${today()}
    order by c.starts_on for update of c`.execute(tx);
  return rows.map((r) => ({ id: r.id, startsOn: r.starts_on, places: r.places, enrolled: r.enrolled }));
}

async function waitingList(tx: Tx, serviceId: string) {
  return tx.selectFrom('programme_places').select(['id', 'case_id']).where('service_id', '=', serviceId).where('status', '=', 'waiting').orderBy('joined_at').orderBy('id').execute();
}

async function placeView(tx: Tx, placeId: string): Promise<PlaceView> {
  const place = await tx
    .selectFrom('programme_places as p')
    .leftJoin('programme_courses as c', 'c.id', 'p.course_id')
    .select(['p.id', 'p.service_id', 'p.case_id', 'p.status', 'p.course_id', 'c.starts_on'])
    .where('p.id', '=', placeId)
    .executeTakeFirstOrThrow();
  const attended = await tx.selectFrom('programme_attendance').select((eb) => eb.fn.countAll<number>().as('n')).where('place_id', '=', placeId).where('attended', '=', true).executeTakeFirstOrThrow();
  let position: number | null = null;
  let estimate: string | null = null;
  if (place.status === 'waiting') {
    position = (await waitingList(tx, place.service_id)).findIndex((w) => w.id === placeId) + 1;
    estimate = estimatedStart(await upcoming(tx, place.service_id), position);
  }
  return {
    id: place.id,
    serviceId: place.service_id,
    caseId: place.case_id,
    status: place.status as PlaceView['status'],
    courseId: place.course_id,
    courseStartsOn: place.starts_on ?? null,
    waitingPosition: position,
    estimatedStart: estimate,
    attended: Number(attended.n),
  };
}

/**
 * A case's person joins a programme: a place on the first course with room, else the
 * waiting list with an estimated start. Joining twice answers the existing place.
 */
export async function joinProgramme(tx: Tx, actor: Actor, caseId: string, serviceId: string, referralId: string | null = null): Promise<PlaceView> {
  requirePermission(actor, 'case:write');
  const from = await caseToReferFrom(tx, actor, caseId);
  const service = await programmeService(tx, actor, serviceId);
  if (service.organisationId !== actor.organisationId) throw new Forbidden('Only the organisation running the programme can give a place on it (refer to it instead)');
  const courses = await upcoming(tx, serviceId);
  const existing = await tx.selectFrom('programme_places').select('id').where('service_id', '=', serviceId).where('case_id', '=', from.caseId).where('status', 'in', ['waiting', 'enrolled']).executeTakeFirst();
  if (existing) return placeView(tx, existing.id);
  const course = courseWithRoom(courses);
  const { id } = await tx
    .insertInto('programme_places')
    .values({
      partnership_id: actor.partnershipId,
      organisation_id: actor.organisationId,
      service_id: serviceId,
      case_id: from.caseId,
      referral_id: referralId,
      course_id: course?.id ?? null,
      status: course ? 'enrolled' : 'waiting',
      enrolled_at: course ? new Date() : null,
      created_by: actor.userId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await audit(tx, actor, { action: course ? 'programme.enrol' : 'programme.wait', recordType: 'case', recordId: caseId, details: { serviceId, placeId: id, courseId: course?.id ?? null } });
  return placeView(tx, id);
}

/** The case's programme places (enrolled, waiting, completed). */
export async function placesOfCase(tx: Tx, actor: Actor, caseId: string): Promise<PlaceView[]> {
  requirePermission(actor, 'case:read');
  await getCaseSummary(tx, actor, caseId);
  const rows = await tx.selectFrom('programme_places').select('id').where('case_id', '=', caseId).where('organisation_id', '=', actor.organisationId).orderBy('joined_at').execute();
  await audit(tx, actor, { action: 'programme.places_read', recordType: 'case', recordId: caseId });
  const places: PlaceView[] = [];
  for (const row of rows) places.push(await placeView(tx, row.id));
  return places;
}

/** A new course: its places go first to the people waiting, in turn. */
export async function createCourse(tx: Tx, actor: Actor, serviceId: string, input: NewCourse) {
  const service = await programmeService(tx, actor, serviceId);
  if (!mayManage(actor, service)) throw new Forbidden("You may add courses only to your own organisation's programmes");
  if (input.startsOn < today()) throw Invalid.field('/startsOn', 'must be today or later');
  const { id } = await tx
    .insertInto('programme_courses')
    .values({ partnership_id: actor.partnershipId, organisation_id: service.organisationId, service_id: serviceId, title: input.title, starts_on: input.startsOn, sessions: input.sessions, places: input.places, created_by: actor.userId })
    .returning('id')
    .executeTakeFirstOrThrow();
  const waiting = (await waitingList(tx, serviceId)).slice(0, input.places);
  if (waiting.length > 0) {
    await tx.updateTable('programme_places').set({ status: 'enrolled', course_id: id, enrolled_at: new Date() }).where('id', 'in', waiting.map((w) => w.id)).execute();
  }
  await audit(tx, actor, { action: 'programme.course', recordType: 'service', recordId: serviceId, details: { courseId: id, fromWaitingList: waiting.length } });
  return programme(tx, actor, serviceId);
}

/** A programme's courses to come, its waiting list and where a newcomer would start. */
export async function programme(tx: Tx, actor: Actor, serviceId: string) {
  requirePermission(actor, 'directory:read');
  await programmeService(tx, actor, serviceId);
  const courses = await tx
    .selectFrom('programme_courses as c')
    .select(['c.id', 'c.service_id', 'c.title', 'c.starts_on', 'c.sessions', 'c.places'])
    .select(sql<number>`(select count(*) from programme_places p where p.course_id = c.id and p.status in ('enrolled', 'completed'))::int`.as('enrolled'))
    .where('c.service_id', '=', serviceId)
    // Courses to come, and those running (a session a week, so started no more than `sessions` weeks ago).
    .where(sql<boolean>`c.starts_on + c.sessions * 7 >= ${today()}::date`)
    .orderBy('c.starts_on')
    .execute();
  const waiting = (await waitingList(tx, serviceId)).length;
  const ahead = courses.filter((c) => c.starts_on >= today()).map((c) => ({ id: c.id, startsOn: c.starts_on, places: c.places, enrolled: c.enrolled }));
  return {
    serviceId,
    courses: courses.map((c) => ({ id: c.id, serviceId: c.service_id, title: c.title, startsOn: c.starts_on, sessions: c.sessions, places: c.places, enrolled: c.enrolled, running: c.starts_on < today() })),
    waiting,
    nextEstimatedStart: estimatedStart(ahead, waiting + 1),
  };
}

/** Attendance at one session, recorded by the programme's own organisation. */
export async function recordAttendance(tx: Tx, actor: Actor, courseId: string, input: Attendance): Promise<PlaceView> {
  requirePermission(actor, 'case:write');
  const place = await tx.selectFrom('programme_places').selectAll().where('id', '=', input.placeId).executeTakeFirst();
  if (!place || place.course_id !== courseId || place.organisation_id !== actor.organisationId) throw new NotFound('Place on this course');
  const course = await tx.selectFrom('programme_courses').select(['sessions']).where('id', '=', courseId).executeTakeFirstOrThrow();
  if (input.session > course.sessions) throw Invalid.field('/session', `must be between 1 and ${course.sessions}`);
  if (place.status !== 'enrolled' && place.status !== 'completed') throw new Conflict('Only someone with a place on the course can attend it');
  await tx
    .insertInto('programme_attendance')
    .values({ place_id: place.id, course_id: courseId, partnership_id: actor.partnershipId, session: input.session, attended: input.attended, recorded_by: actor.userId })
    .onConflict((oc) => oc.columns(['place_id', 'session']).doUpdateSet({ attended: input.attended, recorded_by: actor.userId }))
    .execute();
  await audit(tx, actor, { action: 'programme.attendance', recordType: 'case', recordId: place.case_id, details: { courseId, session: input.session, attended: input.attended } });
  return placeView(tx, place.id);
}

export interface CourseAttendance {
  course: { id: string; serviceId: string; serviceName: string; title: string; startsOn: string; sessions: number; places: number };
  /** People with a place on the course (enrolled or completed), by case reference only, in the order they joined. */
  places: Array<{
    id: string;
    caseId: string;
    caseReference: string;
    status: string;
    /** Session number → attended, for the sessions recorded so far. */
    sessions: Record<number, boolean>;
    attended: number;
  }>;
}

/** A course and the people on it (by case reference only), for its organisation's attendance register. */
export async function coursePlaces(tx: Tx, actor: Actor, courseId: string): Promise<CourseAttendance> {
  requirePermission(actor, 'case:read');
  const course = await tx
    .selectFrom('programme_courses as c')
    .innerJoin('services as s', 's.id', 'c.service_id')
    .select(['c.id', 'c.service_id', 's.name as service_name', 'c.title', 'c.starts_on', 'c.sessions', 'c.places', 'c.organisation_id', 'c.partnership_id'])
    .where('c.id', '=', courseId)
    .executeTakeFirst();
  // Another organisation's course answers exactly as a missing one (and the refusal is audited).
  if (!course || course.partnership_id !== actor.partnershipId || course.organisation_id !== actor.organisationId) {
    throw new Refused('Course', { action: 'programme.course_places_read', recordType: 'course', recordId: courseId });
  }
  const places = await tx
    .selectFrom('programme_places as p')
    .innerJoin('cases as k', 'k.id', 'p.case_id')
    .select(['p.id', 'p.case_id', 'k.reference', 'p.status'])
    .where('p.course_id', '=', courseId)
    .where('p.organisation_id', '=', actor.organisationId)
    .where('p.status', 'in', ['enrolled', 'completed'])
    .orderBy('p.enrolled_at')
    .orderBy('p.id')
    .execute();
  const marks =
    places.length > 0
      ? await tx.selectFrom('programme_attendance').select(['place_id', 'session', 'attended']).where('course_id', '=', courseId).where('place_id', 'in', places.map((p) => p.id)).orderBy('session').execute()
      : [];
  await audit(
    tx,
    actor,
    places.map((p) => ({ action: 'programme.course_places_read', recordType: 'case', recordId: p.case_id, details: { courseId, placeId: p.id } })),
  );
  return {
    course: { id: course.id, serviceId: course.service_id, serviceName: course.service_name, title: course.title, startsOn: course.starts_on, sessions: course.sessions, places: course.places },
    places: places.map((p) => {
      const own = marks.filter((m) => m.place_id === p.id);
      return {
        id: p.id,
        caseId: p.case_id,
        caseReference: p.reference,
        status: p.status,
        sessions: Object.fromEntries(own.map((m) => [m.session, m.attended])),
        attended: own.filter((m) => m.attended).length,
      };
    }),
  };
}
