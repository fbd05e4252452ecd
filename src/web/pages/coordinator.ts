/**
 * The SPOC coordinator's queues: new web and professional referrals to triage, declined
 * and redirected referrals to re-route, clocks near breach, and escalations raised by the
 * response-clock job.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { asActor, IdParams } from '../../http/route-kit.js';
import { isIsoDate } from '../../lib/schema.js';
import { Conflict, Invalid } from '../../lib/errors.js';
import * as contacts from '../../modules/contacts/service.js';
import { listServices } from '../../modules/directory/service.js';
import { listEscalations } from '../../modules/referrals/escalations.js';
import { Reroute } from '../../modules/referrals/schema.js';
import { forecast, WEEKDAY_NAMES } from '../../modules/telephony/forecast.js';
import { callbacksWaiting } from '../../modules/telephony/service.js';
import * as referrals from '../../modules/referrals/service.js';
import { isNearBreach } from '../../modules/referrals/store.js';
import { checkAgainst, formErrors, render, type FormErrors } from '../render.js';

export async function coordinatorPages(app: FastifyInstance): Promise<void> {
  async function queues(request: FastifyRequest, reply: FastifyReply, extra: { errors?: FormErrors; form?: Record<string, string>; rerouting?: string } = {}) {
    const data = await asActor(request, async (tx, actor) => ({
      reroute: await referrals.reroutingQueue(tx, actor),
      escalations: await listEscalations(tx, actor),
      sent: await referrals.sentBy(tx, actor),
      services: await listServices(tx, actor, {}),
      callbacks: await callbacksWaiting(tx, actor, app.now()),
      // New web and professional referrals waiting for the SPOC to triage them.
      triage: [
        ...(await contacts.listContacts(tx, actor, { channel: 'web_self_referral', status: 'open', page: 1, perPage: 100 })).items,
        ...(await contacts.listContacts(tx, actor, { channel: 'professional_referral', status: 'open', page: 1, perPage: 100 })).items,
      ].sort((a, b) => a.receivedAt.localeCompare(b.receivedAt)),
    }));
    const near = data.sent.filter((r) => isNearBreach(r.nextDueAt));
    return render(request, reply, 'pages/queues.njk', {
      title: 'Queues',
      reroute: data.reroute,
      triage: data.triage,
      callbacks: data.callbacks,
      escalations: data.escalations.filter((e) => ['sent', 'acknowledged', 'accepted'].includes(e.state)),
      near,
      serviceItems: [{ value: '', text: 'No further referral' }, ...data.services.filter((s) => s.status === 'active').map((s) => ({ value: s.id, text: s.name }))],
      ...extra,
    });
  }

  app.get('/queues', { config: { web: true, permission: 'escalation:read' } }, async (request, reply) => queues(request, reply));

  // The staffing forecast: calls per hour from the call records, and handlers needed (Erlang C).
  app.get('/forecast', { config: { web: true, permission: 'escalation:read' } }, async (request, reply) => {
    const query = request.query as { from?: string; to?: string; day?: string };
    const today = new Date().toISOString().slice(0, 10);
    const from = isIsoDate(query.from) ? query.from : new Date(Date.now() - 28 * 86_400_000).toISOString().slice(0, 10);
    const to = isIsoDate(query.to) && query.to >= from ? query.to : today;
    const day = Math.min(7, Math.max(1, Number(query.day) || 1));
    const result = await asActor(request, (tx, actor) => forecast(tx, actor.partnershipId, { from, to, targetSeconds: 20, serviceLevel: 0.8 }));
    const hours = result.cells.filter((c) => c.weekday === day);
    const most = Math.max(1, ...hours.map((c) => c.handlers));
    return render(request, reply, 'pages/forecast.njk', {
      title: 'Staffing forecast',
      from,
      to,
      day,
      days: WEEKDAY_NAMES.map((text, i) => ({ value: String(i + 1), text })),
      dayName: WEEKDAY_NAMES[day - 1],
      most,
      hours: hours.map((c) => ({ ...c, label: `${String(c.hour).padStart(2, '0')}:00` })),
      result,
    });
  });

  app.post('/referrals/:id/reroute', { config: { web: true, permission: 'referral:create' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const form = (request.body ?? {}) as Record<string, string>;
    const input = { reason: (form.reason ?? '').trim(), ...(form.serviceId ? { serviceId: form.serviceId } : {}) };
    try {
      const checked = checkAgainst<Reroute>(Reroute, input);
      await asActor(request, (tx, actor) => referrals.reroute(tx, actor, id, checked));
      return reply.redirect('/queues#reroute', 303);
    } catch (error) {
      if (error instanceof Conflict) return reply.redirect('/queues#reroute', 303);
      if (!(error instanceof Invalid)) throw error;
      reply.code(422);
      return queues(request, reply, {
        form,
        rerouting: id,
        errors: formErrors(error.errors, { '/reason': { id: `reason-${id}`, label: 'The reason' }, '/serviceId': { id: `serviceId-${id}`, label: 'The service' } }),
      });
    }
  });
}
