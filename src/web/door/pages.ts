/**
 * The public web door: the self-referral at /get-help and the professional referral at
 * /refer. One question page at a time, answers held server-side (src/modules/door), an
 * "Exit this page" on every page that ends the answers and leaves for a neutral site,
 * rate limits per address and per form session, and a honeypot instead of a CAPTCHA.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { publicPartnershipId } from '../../modules/access/service.js';
import { closeDoor, findDoor, openDoor, saveAnswers, submitDoor, type Door, type DoorForm } from '../../modules/door/service.js';
import { NotFound } from '../../lib/errors.js';
import { questionTexts } from '../../modules/risk/service.js';
import { LANGUAGES, STEPS, hasMessage, firstUnanswered, professionalContact, readStep, selfReferralContact, translate, type Language, type StepAnswers } from './steps.js';

const DOOR_COOKIE = 'spoc_door';
const LANG_COOKIE = 'spoc_lang';
const REF_COOKIE = 'spoc_ref';
const BASE: Record<DoorForm, string> = { self: '/get-help', professional: '/refer' };
/** The honeypot: a field people never see or fill; software that fills every field does. */
const HONEYPOT = 'website';

function languageOf(request: FastifyRequest): Language {
  const asked = (request.query as { lang?: string } | undefined)?.lang ?? request.cookies[LANG_COOKIE];
  return (LANGUAGES as readonly string[]).includes(asked ?? '') ? (asked as Language) : 'en';
}

export async function doorPages(app: FastifyInstance): Promise<void> {
  const secure = app.config.publicUrl?.startsWith('https:') ? true : ('auto' as const);
  const page = { web: true, public: true } as const;

  await app.register(rateLimit, { global: false });
  const limited = (request: FastifyRequest) => Object.assign(new Error('Too many requests'), { statusCode: 429, lang: languageOf(request) });
  // One limiter, two keys: a form session is limited as such; a request without one (starting a
  // form, or a client dropping cookies) is limited by its address, so new sessions cannot be made at will.
  const limiter = app.rateLimit({
    keyGenerator: (request) => (request.cookies[DOOR_COOKIE] ? `session:${request.cookies[DOOR_COOKIE]}` : `ip:${request.ip}`),
    max: (_request, key) => (key.startsWith('session:') ? app.config.doorPostsPerSession : app.config.doorPostsPerIp),
    timeWindow: 60_000,
    errorResponseBuilder: (request) => limited(request),
  });
  const posting = { onRequest: limiter, bodyLimit: 32 * 1024 };

  async function show(request: FastifyRequest, reply: FastifyReply, template: string, context: Record<string, unknown> = {}) {
    const lang = languageOf(request);
    if ((request.query as { lang?: string } | undefined)?.lang) reply.setCookie(LANG_COOKIE, lang, { path: '/', httpOnly: true, sameSite: 'lax', secure });
    const t = (key: string, vars?: Record<string, string | number>) => translate(lang, key, vars);
    return reply.view(`door/${template}.njk`, {
      ...context,
      t,
      lang,
      path: request.url.split('?')[0],
      csrfToken: reply.generateCsrf(),
      cspNonce: (reply as unknown as { cspNonce?: { script: string } }).cspNonce?.script,
    });
  }

  app.setErrorHandler(async (error: FastifyError & { lang?: Language }, request, reply) => {
    const status = error.statusCode === 429 ? 429 : error instanceof NotFound ? 404 : typeof error.code === 'string' && error.code.startsWith('FST_CSRF') ? 403 : (error.statusCode ?? 500);
    if (status >= 500) request.log.error({ err: error }, 'public page failed');
    reply.code(status);
    const key = status === 429 ? 'limited' : status === 413 ? 'tooBig' : 'gone';
    return show(request, reply, 'message', { title: translate(languageOf(request), `${key}.title`), body: translate(languageOf(request), `${key}.body`), status });
  });

  /** "Exit this page": the answers are deleted and the browser sent to a neutral site. */
  app.get('/leave', { config: page }, async (request, reply) => {
    await closeDoor(app.database.db, request.cookies[DOOR_COOKIE]);
    reply.clearCookie(DOOR_COOKIE, { path: '/', secure });
    reply.header('clear-site-data', '"cache"');
    return reply.redirect(app.config.exitUrl, 303);
  });

  app.get('/staying-safe', { config: page }, async (request, reply) => show(request, reply, 'staying-safe', { title: translate(languageOf(request), 'safe.title') }));

  for (const form of ['self', 'professional'] as const) {
    const base = BASE[form];
    const steps = STEPS[form];
    const door = async (request: FastifyRequest): Promise<Door> => {
      const found = await findDoor(app.database.db, request.cookies[DOOR_COOKIE], form);
      if (!found) throw new NotFound('Answers');
      return found;
    };
    const stepsOf = (d: Door) => ((d.answers.steps ?? {}) as StepAnswers);

    app.get(base, { config: page }, async (request, reply) => show(request, reply, 'start', { form, base }));

    app.post(`${base}/start`, { config: page, ...posting }, async (request, reply) => {
      const partnershipId = await publicPartnershipId(app.database.db, app.config.publicPartnership);
      const { token } = await openDoor(app.database.db, partnershipId, form);
      // A browser-session cookie: no Max-Age, gone when the browser closes.
      reply.setCookie(DOOR_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'lax', secure });
      return reply.redirect(`${base}/${steps[0]!.slug}`, 303);
    });

    if (form === 'self') {
      app.get(`${base}/emergency`, { config: page }, async (request, reply) => {
        const d = await door(request);
        return show(request, reply, 'emergency', { next: `${base}/${firstUnanswered(form, d.answers)?.slug ?? 'check'}` });
      });
    }

    app.get(`${base}/check`, { config: page }, async (request, reply) => {
      const d = await door(request);
      const missing = firstUnanswered(form, d.answers);
      if (missing) return reply.redirect(`${base}/${missing.slug}`, 303);
      return show(request, reply, 'check', { form, base, rows: summaryRows(form, stepsOf(d), languageOf(request), base) });
    });

    app.post(`${base}/check`, { config: page, ...posting }, async (request, reply) => {
      const d = await door(request);
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (firstUnanswered(form, d.answers)) return reply.redirect(`${base}/check`, 303);
      if (typeof body[HONEYPOT] === 'string' && body[HONEYPOT] !== '') {
        // Looks sent, records nothing.
        request.log.warn({ form }, 'web door honeypot filled: nothing recorded');
        await closeDoor(app.database.db, request.cookies[DOOR_COOKIE]);
        return reply.redirect(`${base}/done`, 303);
      }
      const stepAnswers = stepsOf(d);
      const { reference } =
        form === 'self'
          ? await submitDoor(app.database.db, d, selfReferralContact(stepAnswers), undefined, request.id)
          : await (async () => {
              const { contact, assessment } = professionalContact(stepAnswers);
              return submitDoor(app.database.db, d, contact, assessment, request.id);
            })();
      reply.clearCookie(DOOR_COOKIE, { path: '/', secure });
      if (form === 'professional') reply.setCookie(REF_COOKIE, reference, { path: `${base}/done`, httpOnly: true, sameSite: 'strict', secure });
      return reply.redirect(`${base}/done`, 303);
    });

    app.get(`${base}/done`, { config: page }, async (request, reply) => {
      const reference = form === 'professional' ? request.cookies[REF_COOKIE] : undefined;
      if (reference) reply.clearCookie(REF_COOKIE, { path: `${base}/done`, secure });
      return show(request, reply, 'done', { form, reference });
    });

    app.get(`${base}/:slug`, { config: page }, async (request, reply) => {
      const { slug } = request.params as { slug: string };
      const index = steps.findIndex((s) => s.slug === slug);
      if (index < 0) throw new NotFound('Page');
      const d = await door(request);
      return question(request, reply, d, index, stepsOf(d)[slug] ?? {}, []);
    });

    app.post(`${base}/:slug`, { config: page, ...posting }, async (request, reply) => {
      const { slug } = request.params as { slug: string };
      const index = steps.findIndex((s) => s.slug === slug);
      if (index < 0) throw new NotFound('Page');
      const d = await door(request);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const { values, errors } = readStep(steps[index]!, body);
      if (errors.length > 0) {
        reply.code(422);
        return question(request, reply, d, index, { ...values, ...body }, errors);
      }
      const answers = { ...d.answers, steps: { ...stepsOf(d), [slug]: values } };
      await saveAnswers(app.database.db, d, answers);
      const changing = (request.query as { change?: string }).change === '1';
      if (form === 'self' && slug === 'now' && values.now === 'yes') return reply.redirect(`${base}/emergency`, 303);
      const next = changing ? undefined : steps[index + 1];
      return reply.redirect(`${base}/${next ? next.slug : 'check'}`, 303);
    });

    async function question(request: FastifyRequest, reply: FastifyReply, d: Door, index: number, values: Record<string, unknown>, errors: Array<[string, string, Record<string, number>?]>) {
      const f = d.form;
      const lang = languageOf(request);
      const step = steps[index]!;
      const errorList = errors.map(([field, key, vars]) => ({ text: translate(lang, key, vars), href: `#${field === 'dateOfBirth' ? 'dateOfBirth-day' : field}` }));
      const byField = Object.fromEntries(errors.map(([field, key, vars]) => [field, { text: translate(lang, key, vars) }]));
      const prefix = `${f}.${step.slug}`;
      const hintKeys = [prefix, ...step.fields.map((field) => ('name' in field ? `${prefix}.${field.name}` : prefix))];
      const hints = Object.fromEntries(hintKeys.filter((k) => hasMessage(`${k}.hint`)).map((k) => [k, translate(lang, `${k}.hint`)]));
      return show(request, reply, 'question', {
        form: f,
        base,
        step,
        stepNumber: index + 1,
        stepCount: steps.length,
        values,
        errors: errors.length ? { list: errorList, byField } : null,
        questions: step.fields.some((field) => field.kind === 'dash') ? await questionTexts(app.database.db, d.partnershipId) : [],
        back: index === 0 ? base : `${base}/${steps[index - 1]!.slug}`,
        change: (request.query as { change?: string }).change === '1',
        honeypot: HONEYPOT,
        hints,
      });
    }
  }
}

/** Check-your-answers rows: each step's answers in words, with a link to change them. */
function summaryRows(form: DoorForm, steps: StepAnswers, lang: Language, base: string) {
  const t = (key: string) => translate(lang, key);
  return STEPS[form].map((step) => {
    const values = steps[step.slug] ?? {};
    const parts = step.fields.flatMap((field) => {
      if (field.kind === 'dash') {
        const answers = (values.answers ?? {}) as Record<string, string>;
        const yes = Object.values(answers).filter((a) => a === 'yes').length;
        return [`${yes} / 24: ${t(`${form}.${step.slug}.yes`)}`];
      }
      const value = values[field.name];
      if (field.kind === 'radios') return value ? [t(`${form}.${step.slug}.${field.name === step.slug ? '' : `${field.name}.`}${value}`.replace('..', '.'))] : [];
      if (field.kind === 'checkboxes') {
        const chosen = (value as string[] | undefined) ?? [];
        return chosen.map((v) => t(`${form}.${step.slug}.${field.name === step.slug ? '' : `${field.name}.`}${v}`.replace('..', '.')));
      }
      return typeof value === 'string' && value ? [value] : [];
    });
    return {
      key: { text: t(`${form}.${step.slug}.title`) },
      value: { text: parts.length ? parts.join(', ') : '—' },
      actions: { items: [{ href: `${base}/${step.slug}?change=1`, text: t('change'), visuallyHiddenText: t(`${form}.${step.slug}.title`) }] },
    };
  });
}
