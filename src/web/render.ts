/**
 * Rendering pages: the common context every template gets (who is signed in, their
 * navigation, the CSRF token, the CSP nonce), form errors in the GOV.UK error-summary
 * shape, and the web app's error pages.
 */
import type { TObject } from 'typebox';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fieldErrors, isDatabaseUnavailable } from '../http/errors.js';
import { restrictedBehind } from './pages/access-review.js';
import { buildAjv } from '../http/validation.js';
import { DomainError, Invalid, NotFound, type FieldError } from '../lib/errors.js';
import { can } from '../modules/access/actor.js';
import type { SessionActor } from '../modules/access/sessions.js';
import { ROLE_LABELS } from '../modules/access/policy.js';
import { ITEMS, LEVEL_LABELS, STATE_COLOURS, STATE_LABELS, timeTo } from './labels.js';

interface NavItem {
  text: string;
  href: string;
  active?: boolean;
}

/** Navigation by role: each person sees the places their work takes them. */
export function navigationFor(staff: SessionActor, path: string): NavItem[] {
  const items: NavItem[] = [{ text: 'Home', href: '/' }];
  if (can(staff, 'contact:create') && can(staff, 'escalation:read')) {
    items.push({ text: 'Live calls', href: '/calls/live' });
    items.push({ text: 'New call', href: '/calls/new' });
  }
  if (can(staff, 'contact:read')) items.push({ text: 'Contacts', href: '/contacts' });
  if (can(staff, 'referral:act') && !can(staff, 'escalation:read')) items.push({ text: 'Inbox', href: '/inbox' });
  if (can(staff, 'case:read')) items.push({ text: 'Cases', href: '/cases' });
  if (can(staff, 'marac:read')) items.push({ text: 'MARAC', href: '/marac' });
  if (can(staff, 'escalation:read')) items.push({ text: 'Queues', href: '/queues' }, { text: 'Forecast', href: '/forecast' });
  if (can(staff, 'directory:manage')) items.push({ text: 'Directory', href: '/directory' });
  if (can(staff, 'pathways:manage')) items.push({ text: 'Rules', href: '/rules' });
  if (can(staff, 'report:read')) items.push({ text: 'Dashboard', href: '/dashboard' }, { text: 'Reports', href: '/reports' });
  if (can(staff, 'access:review')) items.push({ text: 'Access review', href: '/access-review' });
  return items.map((item) => ({ ...item, active: item.href === '/' ? path === '/' : path === item.href || path.startsWith(`${item.href}/`) }));
}

export async function render(request: FastifyRequest, reply: FastifyReply, template: string, context: Record<string, unknown> = {}) {
  const staff = request.staff;
  const path = request.url.split('?')[0] ?? '/';
  return reply.view(template, {
    ...context,
    staff: staff ? { ...staff, roleLabels: staff.roles.map((role) => ROLE_LABELS[role]) } : null,
    navigation: staff ? navigationFor(staff, path) : [],
    csrfToken: reply.generateCsrf(),
    cspNonce: (reply as unknown as { cspNonce?: { script: string } }).cspNonce?.script,
    idleMinutes: request.server.config.sessionIdleMinutes,
    items: ITEMS,
    levelLabels: LEVEL_LABELS,
    stateLabels: STATE_LABELS,
    stateColours: STATE_COLOURS,
    timeTo,
    londonTime,
    longDate,
  });
}

const londonFormat = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', dateStyle: 'medium', timeStyle: 'short' });

/** An ISO instant as people in the partnership read it: "24 Nov 2026, 21:55". */
export function londonTime(iso: string | null | undefined): string {
  return iso ? londonFormat.format(new Date(iso)) : '—';
}

/** A calendar date (YYYY-MM-DD) as people read it: "12 May 2026". */
export function longDate(date: string): string {
  return String(mojDateInLondon(`${date}T12:00:00Z`, 'date'));
}

const londonParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  hourCycle: 'h12',
});

/**
 * MOJ Frontend's `mojDate` filter (used by its timeline) in Europe/London: its own formats
 * with moment in the server's time zone, which is UTC on our machines.
 */
export function mojDateInLondon(timestamp: unknown, type?: string): unknown {
  if (typeof timestamp !== 'string' && !(timestamp instanceof Date)) return timestamp;
  const instant = new Date(timestamp);
  if (Number.isNaN(instant.getTime())) return timestamp;
  const part = Object.fromEntries(londonParts.formatToParts(instant).map((p) => [p.type, p.value])) as Record<string, string>;
  const date = `${part.day} ${part.month} ${part.year}`;
  const shortDate = `${part.day} ${part.month!.slice(0, 3)} ${part.year}`;
  const time = `${part.hour}${part.minute === '00' ? '' : `:${part.minute}`}${(part.dayPeriod ?? '').toLowerCase().replace(/\./g, '')}`;
  switch (type) {
    case 'datetime':
      return `${date} at ${time}`;
    case 'shortdatetime':
      return `${shortDate} at ${time}`;
    case 'date':
      return date;
    case 'shortdate':
      return shortDate;
    case 'time':
      return time;
    default:
      return timestamp;
  }
}

export interface FormErrors {
  /** For govukErrorSummary: each message linking to its field. */
  list: Array<{ text: string; href: string }>;
  /** Field id → message, for each field's errorMessage. */
  byField: Record<string, { text: string }>;
}

/**
 * Field errors as the page shows them. `fields` maps a JSON pointer (`/person/postcode`)
 * to the form field's id and label; an error on an unmapped pointer links to the form. A
 * message starting with a capital letter is a sentence of its own and is not prefixed.
 */
export function formErrors(errors: readonly FieldError[], fields: Record<string, { id: string; label: string }>): FormErrors {
  const list: FormErrors['list'] = [];
  const byField: FormErrors['byField'] = {};
  for (const error of errors) {
    const match = fields[error.field] ?? Object.entries(fields).find(([pointer]) => error.field.startsWith(`${pointer}/`))?.[1];
    // A message that is a sentence of its own ("Brookside refuge has no single vacancy") is shown as it is.
    const whole = /^[A-Z]/.test(error.message);
    const text = whole ? error.message : match ? `${match.label} ${error.message}` : `${error.field} ${error.message}`;
    const id = match?.id ?? 'main-content';
    if (byField[id]) continue;
    byField[id] = { text };
    list.push({ text, href: `#${id}` });
  }
  return { list, byField };
}

const ajv = buildAjv({ coerceTypes: false });
const compiled = new WeakMap<TObject, ReturnType<typeof ajv.compile>>();

/** Checks what a form built against the same schema the API uses; Invalid names each field. */
export function checkAgainst<T>(schema: TObject, value: unknown): T {
  let check = compiled.get(schema);
  if (!check) {
    check = ajv.compile(schema);
    compiled.set(schema, check);
  }
  if (!check(value)) throw new Invalid(fieldErrors((check.errors ?? []) as Parameters<typeof fieldErrors>[0], 'body'));
  return value as T;
}

/** Error pages: a record one may not see looks exactly like a missing one. */
export function setUpWebErrors(app: FastifyInstance): void {
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (isDatabaseUnavailable(error)) {
      // GOV.UK's "service unavailable" page: nothing of the person signed in or of anyone's record on it.
      request.log.warn({ err: error }, 'database unavailable');
      request.staff = null;
      reply.code(503).header('retry-after', '5');
      return render(request, reply, 'unavailable.njk');
    }
    // A restricted record in the user's reach: offer to break the glass (src/web/pages/access-review.ts).
    if (error instanceof NotFound) {
      const personId = await restrictedBehind(request).catch(() => null);
      if (personId) return reply.redirect(`/people/${personId}/break-glass?next=${encodeURIComponent(request.url)}`, 303);
    }
    const csrf = typeof error.code === 'string' && error.code.startsWith('FST_CSRF');
    const status = csrf ? 403 : error instanceof DomainError ? error.status : (error.statusCode ?? 500);
    if (status >= 500) request.log.error({ err: error }, 'page failed');
    const message =
      csrf
        ? 'This form has expired or was not sent from spoc. Go back, reload the page and try again.'
        : error instanceof NotFound
          ? 'The page or record was not found, or you do not have access to it.'
          : status === 403
            ? error.message
            : status < 500
              ? error.message
              : 'Something went wrong on our side. Nothing you entered on this page was saved. Try again, and tell the SPOC coordinator if it keeps happening.';
    reply.code(status);
    return render(request, reply, 'error.njk', { status, message });
  });
}
