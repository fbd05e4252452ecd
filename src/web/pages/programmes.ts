/**
 * Recovery programmes (SPEC §2 step 9): a course's attendance page, listing the people with
 * a place on it by case reference only, with a form for each to record a session. Courses
 * are scheduled from the programme's directory page (directory.ts); places are offered from
 * a case (case-forms.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { asActor, IdParams } from '../../http/route-kit.js';
import { Invalid, type FieldError } from '../../lib/errors.js';
import { can } from '../../modules/access/actor.js';
import { Attendance } from '../../modules/programmes/schema.js';
import { coursePlaces, recordAttendance } from '../../modules/programmes/service.js';
import { text } from '../forms.js';
import { PLACE_STATUS_COLOURS, PLACE_STATUS_LABELS } from '../labels.js';
import { checkAgainst, formErrors, render } from '../render.js';
import { staffOf } from '../session.js';

type Form = Record<string, unknown>;

async function attendancePage(request: FastifyRequest, reply: FastifyReply, posted: { form?: Form; errors?: FieldError[] } = {}) {
  const { id } = request.params as { id: string };
  const { course, places } = await asActor(request, (tx, actor) => coursePlaces(tx, actor, id));
  const submitted = posted.form ? text(posted.form, 'placeId') : undefined;
  const sessionNumbers = Array.from({ length: course.sessions }, (_, i) => i + 1);
  const rows = places.map((p, i) => {
    const prefix = `place-${i + 1}`;
    const form = p.id === submitted ? posted.form : undefined;
    // The first session not yet recorded, as the one most likely to be recorded next.
    const next = sessionNumbers.find((n) => p.sessions[n] === undefined) ?? course.sessions;
    const chosen = (form && text(form, 'session')) ?? String(next);
    return {
      ...p,
      prefix,
      form,
      statusText: PLACE_STATUS_LABELS[p.status] ?? p.status,
      statusColour: PLACE_STATUS_COLOURS[p.status] ?? 'govuk-tag--grey',
      recorded: sessionNumbers.filter((n) => p.sessions[n] !== undefined).map((n) => `${n}: ${p.sessions[n] ? 'attended' : 'missed'}`).join('; '),
      sessionItems: sessionNumbers.map((n) => ({ value: String(n), text: `Session ${n}`, selected: String(n) === chosen })),
    };
  });
  const at = rows.find((r) => r.id === submitted)?.prefix;
  const fields = {
    '/placeId': { id: 'places', label: 'Person' },
    '/session': { id: at ? `${at}-session` : 'places', label: 'Session' },
    '/attended': { id: at ? `${at}-attended` : 'places', label: 'Whether they attended' },
  };
  const staff = staffOf(request);
  return render(request, reply, 'pages/programmes/attendance.njk', {
    title: 'Attendance',
    backLink: can(staff, 'directory:manage') ? `/directory/services/${course.serviceId}` : '/cases',
    course,
    rows,
    saved: (request.query as { saved?: unknown }).saved === '1',
    errors: posted.errors ? formErrors(posted.errors, fields) : undefined,
  });
}

export async function programmePages(app: FastifyInstance): Promise<void> {
  app.get('/courses/:id/attendance', { config: { web: true, permission: 'case:read' }, schema: { params: IdParams } }, async (request, reply) => attendancePage(request, reply));

  app.post('/courses/:id/attendance', { config: { web: true, permission: 'case:write' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const form = (request.body ?? {}) as Form;
    const session = text(form, 'session');
    const attended = text(form, 'attended');
    const input = Object.fromEntries(
      Object.entries({
        placeId: text(form, 'placeId'),
        session: session !== undefined && /^\d{1,2}$/.test(session) ? Number(session) : session,
        attended: attended === 'yes' ? true : attended === 'no' ? false : undefined,
      }).filter(([, v]) => v !== undefined),
    );
    try {
      const checked = checkAgainst<Attendance>(Attendance, input);
      await asActor(request, (tx, actor) => recordAttendance(tx, actor, id, checked));
      return reply.redirect(`/courses/${id}/attendance?saved=1`, 303);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      reply.code(422);
      return attendancePage(request, reply, { form, errors: error.errors });
    }
  });
}
