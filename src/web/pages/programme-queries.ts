/**
 * A course of a recovery programme and the people on it, for its attendance page.
 *
 * Stop-gap: src/modules/programmes/service.ts has no read of one course and its places, and
 * the pages may not change the modules. This belongs there, as
 * `coursePlaces(tx, actor, courseId)` (case:read; the course's own organisation only; one
 * `programme.course_places_read` audit row per case), beside `recordAttendance`. Composing it
 * from `listCases` + `placesOfCase` instead would read and audit every case of the
 * organisation on each view. Until it moves, it keeps the same rules here: the permission,
 * the organisation, and an audit row for each person's record read.
 */
import type { Tx } from '../../db/transaction.js';
import { NotFound } from '../../lib/errors.js';
import { requirePermission, type Actor } from '../../modules/access/actor.js';
import { audit } from '../../modules/access/audit.js';

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

export async function coursePlaces(tx: Tx, actor: Actor, courseId: string): Promise<CourseAttendance> {
  requirePermission(actor, 'case:read');
  const course = await tx
    .selectFrom('programme_courses as c')
    .innerJoin('services as s', 's.id', 'c.service_id')
    .select(['c.id', 'c.service_id', 's.name as service_name', 'c.title', 'c.starts_on', 'c.sessions', 'c.places', 'c.organisation_id', 'c.partnership_id'])
    .where('c.id', '=', courseId)
    .executeTakeFirst();
  // Another organisation's course answers exactly as a missing one.
  if (!course || course.partnership_id !== actor.partnershipId || course.organisation_id !== actor.organisationId) throw new NotFound('Course');
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
