/**
 * The provider inbox and a referral's page: the whole contact (tell it once), and the
 * service's actions — acknowledge, accept, decline with a reason, redirect, record a
 * contact attempt (only the channels marked safe are offered; the service refuses others).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { asActor, IdParams } from '../../http/route-kit.js';
import { Conflict, Invalid } from '../../lib/errors.js';
import { can } from '../../modules/access/actor.js';
import { listServices } from '../../modules/directory/service.js';
import { allowedFrom, MOVED_BY, type ReferralState } from '../../modules/referrals/lifecycle.js';
import { ATTEMPT_CHANNELS, unsafeChannelReason } from '../../modules/referrals/safe-channels.js';
import { NewContactAttempt, Transition } from '../../modules/referrals/schema.js';
import * as referrals from '../../modules/referrals/service.js';
import { ATTEMPT_CHANNEL_LABELS, OUTCOME_ITEMS } from '../labels.js';
import { checkAgainst, formErrors, render, type FormErrors } from '../render.js';

type Form = Record<string, string | undefined>;

const tidy = (form: Form) => Object.fromEntries(Object.entries(form).filter(([key, value]) => key !== '_csrf' && typeof value === 'string' && value.trim() !== '').map(([k, v]) => [k, v!.trim()]));

export async function referralPages(app: FastifyInstance): Promise<void> {
  app.get('/inbox', { config: { web: true, permission: 'referral:act' } }, async (request, reply) => {
    const state = (request.query as { state?: string }).state;
    const known = state && state in MOVED_BY ? (state as ReferralState) : undefined;
    const list = await asActor(request, (tx, actor) => referrals.inbox(tx, actor, { page: 1, perPage: 100, ...(known ? { state: known } : {}) }));
    return render(request, reply, 'pages/referrals/inbox.njk', { title: 'Inbox', list, state: known ?? '' });
  });

  async function referralPage(request: FastifyRequest, reply: FastifyReply, extra: { errors?: FormErrors; form?: Form; action?: string } = {}) {
    const { id } = request.params as { id: string };
    const data = await asActor(request, async (tx, actor) => ({
      pkg: await referrals.getReferral(tx, actor, id),
      services: await listServices(tx, actor, {}),
      organisationId: actor.organisationId,
      mayOpenCases: can(actor, 'case:read'),
    }));
    const { pkg } = data;
    const state = pkg.referral.state as ReferralState;
    const receiver = pkg.referral.organisationId === data.organisationId;
    const moves = allowedFrom(state).filter((s) => MOVED_BY[s] !== 'attempts' && (receiver || MOVED_BY[s] === 'either'));
    const safeChannels = ATTEMPT_CHANNELS.filter((channel) => unsafeChannelReason(pkg.contact.safeContact ?? {}, channel) === null);
    return render(request, reply, 'pages/referrals/show.njk', {
      title: 'Referral',
      ...pkg,
      moves,
      receiver,
      // Only the receiving organisation holds the case an accepted referral opened or joined.
      caseLink: receiver && data.mayOpenCases && Boolean(pkg.referral.caseId),
      canAttempt: receiver && ['accepted', 'first_contact_attempted', 'engaged'].includes(state),
      channelItems: safeChannels.map((value) => ({ value, text: ATTEMPT_CHANNEL_LABELS[value] })),
      outcomeItems: OUTCOME_ITEMS,
      redirectItems: [{ value: '', text: 'Choose a service' }, ...data.services.filter((s) => s.id !== pkg.referral.serviceId && s.status === 'active').map((s) => ({ value: s.id, text: s.name }))],
      ...extra,
    });
  }

  app.get('/referrals/:id', { config: { web: true, permission: 'referral:read' }, schema: { params: IdParams } }, async (request, reply) => referralPage(request, reply));

  app.post('/referrals/:id/transition', { config: { web: true, permission: 'referral:act' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const form = (request.body ?? {}) as Form;
    try {
      const input = checkAgainst<Transition>(Transition, tidy(form));
      await asActor(request, (tx, actor) => referrals.transition(tx, actor, id, input));
      return reply.redirect(`/referrals/${id}`, 303);
    } catch (error) {
      if (error instanceof Conflict) return reply.redirect(`/referrals/${id}`, 303);
      if (!(error instanceof Invalid)) throw error;
      reply.code(422);
      return referralPage(request, reply, {
        form,
        action: form.to,
        errors: formErrors(error.errors, {
          '/to': { id: 'to', label: 'The action' },
          '/reasonCode': { id: `${form.to ?? 'declined'}-reasonCode`, label: 'The reason' },
          '/reasonText': { id: `${form.to ?? 'declined'}-reasonText`, label: 'The details' },
          '/redirectServiceId': { id: 'redirectServiceId', label: 'The service' },
        }),
      });
    }
  });

  app.post('/referrals/:id/attempts', { config: { web: true, permission: 'referral:act' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const form = (request.body ?? {}) as Form;
    try {
      const input = checkAgainst<NewContactAttempt>(NewContactAttempt, tidy(form));
      await asActor(request, (tx, actor) => referrals.recordContactAttempt(tx, actor, id, input));
      return reply.redirect(`/referrals/${id}`, 303);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      reply.code(422);
      return referralPage(request, reply, {
        form,
        action: 'attempt',
        errors: formErrors(error.errors, {
          '/channel': { id: 'channel', label: 'How you tried to reach them' },
          '/outcome': { id: 'outcome', label: 'What happened' },
          '/note': { id: 'note', label: 'Note' },
        }),
      });
    }
  });
}
