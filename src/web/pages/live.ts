/**
 * Live calls for call handlers: going on and off duty (the rota the number rings), and the
 * screen-pop — the call a handler answers opens its contact screen, by polling (every few
 * seconds with JavaScript; the page refreshes itself without).
 */
import type { FastifyInstance } from 'fastify';
import { asActor } from '../../http/route-kit.js';
import { PHONE_PATTERN } from '../../lib/schema.js';
import { dutyOf, myLiveCall, setOnDuty } from '../../modules/telephony/service.js';
import { render } from '../render.js';

export async function livePages(app: FastifyInstance): Promise<void> {
  const config = { web: true, permission: 'contact:create' } as const;

  app.get('/calls/live', { config }, async (request, reply) => {
    const data = await asActor(request, async (tx, actor) => ({ duty: await dutyOf(tx, actor), call: await myLiveCall(tx, actor) }));
    return render(request, reply, 'pages/calls/live.njk', { title: 'Live calls', ...data });
  });

  app.get('/calls/live/poll', { config }, async (request) => {
    const call = await asActor(request, (tx, actor) => myLiveCall(tx, actor));
    return call ? { contactUrl: `/calls/${call.contact_id}/about` } : {};
  });

  app.post('/calls/live/duty', { config }, async (request, reply) => {
    const form = (request.body ?? {}) as Record<string, string>;
    const phone = (form.phone ?? '').trim();
    if (form.duty === 'on' && !PHONE_PATTERN.test(phone)) {
      reply.code(422);
      const data = await asActor(request, async (tx, actor) => ({ duty: await dutyOf(tx, actor), call: await myLiveCall(tx, actor) }));
      return render(request, reply, 'pages/calls/live.njk', {
        title: 'Live calls',
        ...data,
        phone,
        errors: { list: [{ text: 'Enter the phone number to ring, like 07700 900123', href: '#phone' }], byField: { phone: { text: 'Enter the phone number to ring, like 07700 900123' } } },
      });
    }
    await asActor(request, (tx, actor) => setOnDuty(tx, actor, form.duty === 'on' ? phone : null));
    return reply.redirect('/calls/live', 303);
  });
}
