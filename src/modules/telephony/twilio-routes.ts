/**
 * Twilio Programmable Voice webhooks (form-encoded POSTs, TwiML answers). Each request must
 * carry a valid X-Twilio-Signature for the partnership's auth token over the public URL
 * Twilio called (PUBLIC_URL + path): otherwise 403, and nothing changes.
 *
 * The call: "in danger, hang up and dial 999" first; a short menu; in opening hours the
 * queue (with position messages, and after a while the helpline or a call-back); out of
 * hours or on bank holidays, the National Domestic Abuse Helpline or a safe call-back.
 * No voicemail is ever recorded.
 */
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import twilio from 'twilio';
import { publicPartnershipId } from '../access/service.js';

/** Twilio's QueueTime as whole seconds, 0 to a day (anything else sent is not a queue time). */
function queueSecondsOf(value: string | undefined): number {
  const seconds = Math.trunc(Number(value ?? 0));
  return Number.isFinite(seconds) ? Math.min(Math.max(seconds, 0), 86_400) : 0;
}
import * as calls from './service.js';

const { VoiceResponse } = twilio.twiml;
const VOICE = { voice: 'Polly.Amy', language: 'en-GB' } as const;
const BASE = '/telephony/twilio';

export const WORDS = {
  danger: 'If you or anyone else is in immediate danger, hang up now and dial 999.',
  menu: 'If you are experiencing abuse, press 1. If you are worried about someone, press 2. If you are a professional, press 3.',
  queued: 'Thank you. We are putting you through to someone who can help. If it stops being safe to talk, you can hang up at any time.',
  closed: 'Our phone line is closed just now.',
  busy: 'Everyone is still helping other callers.',
  options: 'To be put through now to the National Domestic Abuse Helpline, free and open 24 hours, press 1. To ask us to call you back at a safe time, press 2.',
  callbackSafe: 'We will only call you back if it is safe. Is it safe for us to call the number you are calling from? If yes, press 1. If not, press 2.',
  callbackUnsafe: 'We will not call this number. You can call the National Domestic Abuse Helpline on 0808 2000 247 at any time. Goodbye.',
  callbackTime: 'When is it safe to call? For weekday mornings press 1, afternoons press 2, evenings press 3.',
  callbackDone: 'Thank you. We will call you back then, and we will not leave a message. Goodbye.',
  connecting: 'Connecting you to the National Domestic Abuse Helpline.',
  whisper: 'A call to the SPOC number. Its contact screen is open in spoc.',
};
const CALLBACK_TIMES: Record<string, keyof typeof calls.CALLBACK_BANDS> = { '1': 'weekday mornings', '2': 'weekday afternoons', '3': 'weekday evenings' };

type Params = Record<string, string>;

declare module 'fastify' {
  interface FastifyRequest {
    telephony?: { partnershipId: string; settings: calls.TelephonySettings };
  }
}

export async function twilioRoutes(app: FastifyInstance): Promise<void> {
  await app.register(formbody);
  const db = app.database.db;

  // Who is calling is proven by the signature, checked before anything is read or written.
  app.addHook('preHandler', async (request, reply) => {
    const partnershipId = await publicPartnershipId(db, app.config.publicPartnership);
    const settings = await calls.telephonySettings(db, partnershipId, app.config.twilioAuthToken);
    const signature = request.headers['x-twilio-signature'];
    const url = `${app.config.publicUrl ?? `${request.protocol}://${request.host}`}${request.url}`;
    const params = (request.body ?? {}) as Params;
    const valid = Boolean(settings.authToken) && typeof signature === 'string' && twilio.validateRequest(settings.authToken!, signature, url, params);
    if (!valid) {
      request.log.warn({ route: request.routeOptions.url }, 'telephony webhook refused: missing or wrong signature');
      return reply.code(403).type('text/plain').send('Forbidden');
    }
    request.telephony = { partnershipId, settings };
  });

  const route = { config: { public: true }, schema: { hide: true } };
  const twiml = (reply: FastifyReply, response: InstanceType<typeof VoiceResponse>) => reply.type('text/xml').send(response.toString());
  const ctx = (request: FastifyRequest) => ({ ...request.telephony!, params: (request.body ?? {}) as Params });

  /**
   * In hours: ring every free on-duty handler at once (the first to answer has the call and
   * its screen); with none free, the queue, with position messages, which the caller leaves
   * as soon as a handler is free (to be rung) or once they have waited too long.
   */
  async function ringOrQueue(response: InstanceType<typeof VoiceResponse>, partnershipId: string, settings: calls.TelephonySettings): Promise<void> {
    const handlers = await calls.onDutyHandlers(db, partnershipId);
    if (handlers.length > 0) {
      const dial = response.dial({ timeout: settings.ringSeconds, action: `${BASE}/dial-result`, answerOnBridge: true });
      for (const handler of handlers) dial.number({ url: `${BASE}/whisper?user=${handler.user_id}` }, handler.phone);
    } else {
      response.enqueue({ waitUrl: `${BASE}/wait`, action: `${BASE}/queue-result` }, `spoc-${partnershipId}`);
    }
  }

  /** The helpline or a call-back, when closed or when no one has answered in time. */
  function offerOptions(response: InstanceType<typeof VoiceResponse>, lead: string): void {
    const gather = response.gather({ numDigits: 1, action: `${BASE}/options`, timeout: 8 });
    gather.say(VOICE, `${lead} ${WORDS.options}`);
    response.redirect(`${BASE}/options`);
  }

  app.post(`${BASE}/voice`, route, async (request, reply) => {
    const { partnershipId, params } = ctx(request);
    await calls.startCall(db, partnershipId, { callSid: params.CallSid ?? '', from: params.From ?? null }, request.id);
    const response = new VoiceResponse();
    response.say(VOICE, WORDS.danger);
    const gather = response.gather({ numDigits: 1, action: `${BASE}/gather`, timeout: 6 });
    gather.say(VOICE, WORDS.menu);
    // No key pressed: carry on as the person experiencing abuse.
    response.redirect(`${BASE}/gather`);
    return twiml(reply, response);
  });

  app.post(`${BASE}/gather`, route, async (request, reply) => {
    const { partnershipId, settings, params } = ctx(request);
    const open = calls.isOpen(settings, app.now());
    await calls.recordMenu(db, partnershipId, params.CallSid ?? '', params.Digits, open, request.id);
    const response = new VoiceResponse();
    if (open) {
      response.say(VOICE, WORDS.queued);
      await ringOrQueue(response, partnershipId, settings);
    } else {
      offerOptions(response, WORDS.closed);
    }
    return twiml(reply, response);
  });

  /** Runs on the handler's leg as they answer: it records who answered; the call pops up on their screen. */
  app.post(`${BASE}/whisper`, route, async (request, reply) => {
    const { partnershipId, params } = ctx(request);
    const userId = (request.query as { user?: string }).user ?? '';
    if (/^[0-9a-f-]{36}$/.test(userId)) await calls.answeredBy(db, partnershipId, params.ParentCallSid ?? params.CallSid ?? '', userId, request.id);
    const response = new VoiceResponse();
    response.say(VOICE, WORDS.whisper);
    return twiml(reply, response);
  });

  app.post(`${BASE}/dial-result`, route, async (request, reply) => {
    const { params } = ctx(request);
    const response = new VoiceResponse();
    if (params.DialCallStatus !== 'completed' && params.DialCallStatus !== 'answered') offerOptions(response, WORDS.busy);
    return twiml(reply, response);
  });

  app.post(`${BASE}/wait`, route, async (request, reply) => {
    const { partnershipId, settings, params } = ctx(request);
    const response = new VoiceResponse();
    if (queueSecondsOf(params.QueueTime) >= settings.queueTimeoutSeconds || (await calls.onDutyHandlers(db, partnershipId)).length > 0) {
      response.leave();
    } else {
      const position = Number(params.QueuePosition ?? 1);
      response.say(VOICE, position > 1 ? `You are number ${position} in the queue. Please hold.` : 'You are next in the queue. Please hold.');
      response.pause({ length: 20 });
    }
    return twiml(reply, response);
  });

  app.post(`${BASE}/queue-result`, route, async (request, reply) => {
    const { partnershipId, settings, params } = ctx(request);
    const response = new VoiceResponse();
    const queueSeconds = queueSecondsOf(params.QueueTime);
    if (params.QueueResult === 'bridged') {
      await calls.recordOutcome(db, partnershipId, params.CallSid ?? '', 'answered', { queueSeconds }, request.id);
    } else if (params.QueueResult === 'leave') {
      // Left for a free handler, or after waiting too long.
      if (queueSeconds >= settings.queueTimeoutSeconds) offerOptions(response, WORDS.busy);
      else await ringOrQueue(response, partnershipId, settings);
    } else {
      await calls.recordOutcome(db, partnershipId, params.CallSid ?? '', 'abandoned', { queueSeconds }, request.id);
    }
    return twiml(reply, response);
  });

  app.post(`${BASE}/options`, route, async (request, reply) => {
    const { partnershipId, params } = ctx(request);
    const response = new VoiceResponse();
    if (params.Digits === '1') {
      await calls.recordOutcome(db, partnershipId, params.CallSid ?? '', 'forwarded', {}, request.id);
      response.say(VOICE, WORDS.connecting);
      response.dial({ timeout: 60 }, calls.NATIONAL_HELPLINE);
    } else if (params.Digits === '2') {
      const gather = response.gather({ numDigits: 1, action: `${BASE}/callback-safe`, timeout: 8 });
      gather.say(VOICE, WORDS.callbackSafe);
      response.redirect(`${BASE}/callback-safe`);
    } else {
      offerOptions(response, '');
    }
    return twiml(reply, response);
  });

  app.post(`${BASE}/callback-safe`, route, async (request, reply) => {
    const { params } = ctx(request);
    const response = new VoiceResponse();
    if (params.Digits === '1') {
      const gather = response.gather({ numDigits: 1, action: `${BASE}/callback-time`, timeout: 8 });
      gather.say(VOICE, WORDS.callbackTime);
      response.redirect(`${BASE}/callback-time`);
    } else {
      response.say(VOICE, WORDS.callbackUnsafe);
      response.hangup();
    }
    return twiml(reply, response);
  });

  app.post(`${BASE}/callback-time`, route, async (request, reply) => {
    const { partnershipId, params } = ctx(request);
    const response = new VoiceResponse();
    const time = Object.hasOwn(CALLBACK_TIMES, params.Digits ?? '') ? CALLBACK_TIMES[params.Digits!] : undefined;
    if (!time) {
      const gather = response.gather({ numDigits: 1, action: `${BASE}/callback-time`, timeout: 8 });
      gather.say(VOICE, WORDS.callbackTime);
      response.hangup();
      return twiml(reply, response);
    }
    await calls.requestCallback(db, partnershipId, params.CallSid ?? '', time, request.id);
    response.say(VOICE, WORDS.callbackDone);
    response.hangup();
    return twiml(reply, response);
  });

  app.post(`${BASE}/status`, route, async (request, reply) => {
    const { partnershipId, params } = ctx(request);
    if (['completed', 'busy', 'failed', 'no-answer', 'canceled'].includes(params.CallStatus ?? '')) {
      await calls.endCall(db, partnershipId, params.CallSid ?? '', params.CallStatus ?? '', request.id);
    }
    return reply.code(204).send();
  });
}
