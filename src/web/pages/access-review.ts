/**
 * Restricted records in the staff web app (issue 9; SPEC §5): managers review break-glass
 * access and who has read or changed a person's records, and restrict a person's records
 * to named users; anyone else in reach who opens a restricted record is offered the glass
 * to break, with a reason (src/modules/restriction/service.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { asActor, IdParams } from '../../http/route-kit.js';
import { Conflict, Invalid } from '../../lib/errors.js';
import { can } from '../../modules/access/actor.js';
import { SYSTEM_ROLES } from '../../modules/access/policy.js';
import * as restriction from '../../modules/restriction/service.js';
import { BREAK_GLASS_MINUTES } from '../../modules/restriction/schema.js';
import { safeNext } from '../session.js';
import { formErrors, londonTime, render, type FormErrors } from '../render.js';

/** Where a restricted record's page was: contacts, calls and cases by id. */
const RECORD_PAGE = /^\/(contacts|calls|cases)\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:[/?#]|$)/i;

/**
 * When a record page answered "not found": the restricted person behind it, if the record is
 * in the signed-in user's reach but for the restriction (so the page can offer the glass).
 */
export async function restrictedBehind(request: FastifyRequest): Promise<string | null> {
  const match = RECORD_PAGE.exec(request.url);
  if (!match || !request.staff || request.method !== 'GET') return null;
  const kind = match[1] === 'cases' ? 'case' : 'contact';
  return asActor(request, (tx, actor) => restriction.restrictedPersonBehind(tx, actor, kind, match[2]!));
}

export async function accessReviewPages(app: FastifyInstance): Promise<void> {
  async function breakGlassForm(request: FastifyRequest, reply: FastifyReply, personId: string, next: string, extra: { errors?: FormErrors; reason?: string } = {}) {
    return render(request, reply, 'pages/access/break-glass.njk', { title: 'Restricted record', personId, next, minutes: BREAK_GLASS_MINUTES, ...extra });
  }

  app.get('/people/:id/break-glass', { config: { web: true, permission: 'person:break_glass' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    return breakGlassForm(request, reply, id, safeNext((request.query as { next?: string }).next));
  });

  app.post('/people/:id/break-glass', { config: { web: true, permission: 'person:break_glass' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const form = (request.body ?? {}) as Record<string, string>;
    const next = safeNext(form.next);
    try {
      await asActor(request, (tx, actor) => restriction.breakGlass(tx, actor, id, form.reason ?? ''));
      return reply.redirect(next, 303);
    } catch (error) {
      if (error instanceof Conflict) return reply.redirect(next, 303);
      if (!(error instanceof Invalid)) throw error;
      reply.code(422);
      return breakGlassForm(request, reply, id, next, { errors: formErrors(error.errors, { '/reason': { id: 'reason', label: 'Your reason' } }), reason: form.reason ?? '' });
    }
  });

  const review = { web: true, permission: 'access:review' as const };

  async function reviewPage(request: FastifyRequest, reply: FastifyReply, extra: { errors?: FormErrors; reviewing?: string } = {}) {
    const lines = await asActor(request, (tx, actor) => restriction.listBreakGlass(tx, actor, {}));
    const view = (b: (typeof lines)[number]) => ({ ...b, openedAt: londonTime(b.openedAt), expiresAt: londonTime(b.expiresAt), reviewedAt: b.reviewedAt ? londonTime(b.reviewedAt) : null });
    return render(request, reply, 'pages/access/review.njk', {
      title: 'Break-glass access to review',
      waiting: lines.filter((b) => !b.reviewedAt).map(view),
      reviewed: lines.filter((b) => b.reviewedAt).map(view),
      ...extra,
    });
  }

  app.get('/access-review', { config: review }, async (request, reply) => reviewPage(request, reply));

  app.post('/break-glass/:id/review', { config: review, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const form = (request.body ?? {}) as Record<string, string>;
    if ((form.note ?? '').length > 1000) {
      reply.code(422);
      return reviewPage(request, reply, { errors: formErrors([{ field: '/note', message: 'must be 1,000 characters or fewer' }], { '/note': { id: `note-${id}`, label: 'What the review found' } }), reviewing: id });
    }
    try {
      await asActor(request, (tx, actor) => restriction.reviewBreakGlass(tx, actor, id, form.note ?? ''));
    } catch (error) {
      if (!(error instanceof Conflict)) throw error;
    }
    return reply.redirect('/access-review', 303);
  });

  async function accessPage(request: FastifyRequest, reply: FastifyReply, id: string, extra: { errors?: FormErrors } = {}) {
    const data = await asActor(request, async (tx, actor) => ({
      log: await restriction.accessLog(tx, actor, id),
      restriction: can(actor, 'person:restrict') ? await restriction.getRestriction(tx, actor, id) : null,
      users: can(actor, 'person:restrict')
        ? (
            await tx
              .selectFrom('users as u')
              .innerJoin('organisations as o', 'o.id', 'u.organisation_id')
              .select(['u.id', 'u.name', 'u.roles', 'o.name as organisation_name'])
              .where('u.partnership_id', '=', actor.partnershipId)
              .where('u.status', '=', 'active')
              .orderBy('o.name')
              .orderBy('u.name')
              .execute()
          ).filter((u) => !u.roles.some((r) => (SYSTEM_ROLES as readonly string[]).includes(r)) && u.id !== actor.userId)
        : [],
    }));
    const named = new Set(data.restriction?.namedUsers.map((u) => u.id));
    return render(request, reply, 'pages/access/person.njk', {
      title: 'Access to these records',
      personId: id,
      entries: data.log.entries.map((e) => ({ ...e, at: londonTime(e.at) })),
      truncated: data.log.truncated,
      restriction: data.restriction,
      userItems: data.users.map((u) => ({ value: u.id, text: `${u.name} (${u.organisation_name})`, checked: named.has(u.id) })),
      ...extra,
    });
  }

  app.get('/people/:id/access', { config: review, schema: { params: IdParams } }, async (request, reply) => accessPage(request, reply, (request.params as { id: string }).id));

  app.post('/people/:id/restriction', { config: { web: true, permission: 'person:restrict' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const form = (request.body ?? {}) as { restricted?: string; namedUserIds?: string | string[] };
    const namedUserIds = [form.namedUserIds ?? []].flat().filter((v) => typeof v === 'string' && v !== '');
    if (form.restricted !== 'yes' && form.restricted !== 'no') {
      reply.code(422);
      return accessPage(request, reply, id, { errors: formErrors([{ field: '/restricted', message: 'Select whether to restrict these records' }], { '/restricted': { id: 'restricted', label: 'Restrict' } }) });
    }
    try {
      await asActor(request, (tx, actor) => restriction.setRestriction(tx, actor, id, { restricted: form.restricted === 'yes', namedUserIds }));
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      reply.code(422);
      return accessPage(request, reply, id, { errors: formErrors(error.errors, { '/namedUserIds': { id: 'namedUserIds', label: 'Named user' } }) });
    }
    return reply.redirect(`/people/${id}/access`, 303);
  });
}
