/**
 * Directory management (SPOC coordinator; provider managers for their own services):
 * capacity, refuge vacancies by unit type, opening hours, and a recovery programme's
 * courses (scheduled here; attendance in programmes.ts). And the routing rules, with a
 * "what would change" replay of a candidate rule set over past contacts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { asActor, IdParams } from '../../http/route-kit.js';
import { Forbidden, Invalid, type FieldError } from '../../lib/errors.js';
import { can } from '../../modules/access/actor.js';
import { CAPACITY_STATUSES, CapacityUpdate, OpeningHours, SERVICE_KIND_LABELS, ServicePatch, UNIT_TYPES, type ServiceKind } from '../../modules/directory/schema.js';
import * as directory from '../../modules/directory/service.js';
import { replay } from '../../modules/pathways/replay.js';
import { currentRules, parseRuleSet } from '../../modules/pathways/service.js';
import { NewCourse } from '../../modules/programmes/schema.js';
import { createCourse, programme } from '../../modules/programmes/service.js';
import { readDate, text } from '../forms.js';
import { UNIT_TYPE_ITEMS } from '../labels.js';
import { checkAgainst, formErrors, render, type FormErrors } from '../render.js';

const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
const UNIT_LABELS: Record<string, string> = Object.fromEntries(UNIT_TYPE_ITEMS.map((item) => [item.value, item.text]));
type Form = Record<string, string | string[] | undefined>;
const one = (form: Form, name: string) => (typeof form[name] === 'string' ? (form[name] as string).trim() : '');

export async function directoryPages(app: FastifyInstance): Promise<void> {
  app.get('/directory', { config: { web: true, permission: 'directory:manage' } }, async (request, reply) => {
    const services = await asActor(request, async (tx, actor) =>
      (await directory.listServices(tx, actor, {})).map((s) => ({ ...s, kindLabel: SERVICE_KIND_LABELS[s.kind as ServiceKind] ?? s.kind, editable: directory.mayManage(actor, s) })),
    );
    return render(request, reply, 'pages/directory/list.njk', { title: 'Directory', services });
  });

  async function servicePage(request: FastifyRequest, reply: FastifyReply, extra: { errors?: FormErrors; form?: Form; courseForm?: Form } = {}) {
    const { id } = request.params as { id: string };
    const { service, courses, mayAttend } = await asActor(request, async (tx, actor) => {
      const s = await directory.getService(tx, actor, id);
      if (!directory.mayManage(actor, s)) throw new Forbidden('You may change only your own organisation’s services');
      // A recovery programme's courses to come, its waiting list and where a newcomer would start.
      return {
        service: s,
        courses: s.kind === 'recovery_programme' ? await programme(tx, actor, id) : null,
        // Attendance is case work: for the organisation running the programme.
        mayAttend: can(actor, 'case:read') && actor.organisationId === s.organisationId,
      };
    });
    const hours = Object.fromEntries(DAYS.map((day) => [day, service.openingHours.find((slot) => slot.day === day) ?? null]));
    const vacancies = UNIT_TYPES.map((unitType) => ({
      label: UNIT_LABELS[unitType],
      ...(service.vacancies.find((v) => v.unitType === unitType) ?? { unitType, available: 0, acceptsNoRecourse: false }),
    }));
    return render(request, reply, 'pages/directory/service.njk', {
      title: 'Service',
      service,
      kindLabel: SERVICE_KIND_LABELS[service.kind as ServiceKind] ?? service.kind,
      hours,
      days: DAYS,
      vacancies,
      saved: (request.query as { saved?: string }).saved,
      courses,
      mayAttend,
      statusItems: CAPACITY_STATUSES.map((value) => ({ value, text: { open: 'Open to referrals', waiting_list: 'Waiting list', closed: 'Closed to new referrals' }[value] })),
      ...extra,
    });
  }

  app.get('/directory/services/:id', { config: { web: true, permission: 'directory:manage' }, schema: { params: IdParams } }, async (request, reply) =>
    servicePage(request, reply),
  );

  app.post('/directory/services/:id/capacity', { config: { web: true, permission: 'directory:manage' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const form = (request.body ?? {}) as Form;
    const accommodation = one(form, 'accommodation') === 'yes';
    const errors: FieldError[] = [];
    const vacancies = accommodation
      ? UNIT_TYPES.map((unitType, i) => {
          const raw = one(form, `available-${unitType}`) || '0';
          if (!/^\d{1,4}$/.test(raw)) errors.push({ field: `/vacancies/${i}/available`, message: 'must be a whole number' });
          return { unitType, available: Number(raw), acceptsNoRecourse: one(form, `nrpf-${unitType}`) === 'yes' };
        }).filter((v) => v.available > 0 || v.acceptsNoRecourse)
      : undefined;
    try {
      if (errors.length) throw new Invalid(errors);
      const input = checkAgainst<CapacityUpdate>(CapacityUpdate, { capacityStatus: one(form, 'capacityStatus') || undefined, ...(vacancies ? { vacancies } : {}) });
      await asActor(request, (tx, actor) => directory.updateCapacity(tx, actor, id, input));
      return reply.redirect(`/directory/services/${id}?saved=capacity`, 303);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      reply.code(422);
      const fields: Record<string, { id: string; label: string }> = { '/capacityStatus': { id: 'capacityStatus', label: 'Capacity' } };
      UNIT_TYPES.forEach((unit, i) => (fields[`/vacancies/${i}/available`] = { id: `available-${unit}`, label: `Vacancies (${UNIT_LABELS[unit]})` }));
      return servicePage(request, reply, { form, errors: formErrors(error.errors, fields) });
    }
  });

  app.post('/directory/services/:id/details', { config: { web: true, permission: 'directory:manage' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const form = (request.body ?? {}) as Form;
    const age = (name: string) => (one(form, name) === '' ? null : /^\d{1,3}$/.test(one(form, name)) ? Number(one(form, name)) : -1);
    const patch = {
      name: one(form, 'name'),
      description: one(form, 'description'),
      status: one(form, 'status'),
      areaDistricts: one(form, 'areaDistricts').toUpperCase().split(/[\s,]+/).filter(Boolean),
      minAge: age('minAge'),
      maxAge: age('maxAge'),
      phone: one(form, 'phone') || null,
      email: one(form, 'email') || null,
    };
    try {
      const input = checkAgainst<ServicePatch>(ServicePatch, patch);
      await asActor(request, (tx, actor) => directory.updateServiceDetails(tx, actor, id, input));
      return reply.redirect(`/directory/services/${id}?saved=details`, 303);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      reply.code(422);
      const fields = Object.fromEntries(
        (['name', 'description', 'status', 'areaDistricts', 'minAge', 'maxAge', 'phone', 'email'] as const).map((f) => [
          `/${f}`,
          { id: f, label: { name: 'Name', description: 'Description', status: 'Status', areaDistricts: 'Area', minAge: 'Youngest age', maxAge: 'Oldest age', phone: 'Phone', email: 'Email' }[f] },
        ]),
      );
      return servicePage(request, reply, { form, errors: formErrors(error.errors, fields) });
    }
  });

  app.post('/directory/services/:id/hours', { config: { web: true, permission: 'directory:manage' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const form = (request.body ?? {}) as Form;
    const errors: FieldError[] = [];
    const slots = DAYS.flatMap((day) => {
      const opens = one(form, `opens-${day}`);
      const closes = one(form, `closes-${day}`);
      if (!opens && !closes) return [];
      if (!opens || !closes) errors.push({ field: `/${day}`, message: 'needs both an opening and a closing time, or neither' });
      else if (closes !== '24:00' && closes <= opens) errors.push({ field: `/${day}`, message: 'must close after it opens' });
      return [{ day, opens, closes }];
    });
    try {
      if (errors.length) throw new Invalid(errors);
      const { openingHours } = checkAgainst<{ openingHours: Static<typeof OpeningHours> }>(Type.Object({ openingHours: OpeningHours }), { openingHours: slots });
      await asActor(request, (tx, actor) => directory.updateOpeningHours(tx, actor, id, openingHours));
      return reply.redirect(`/directory/services/${id}?saved=hours`, 303);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      reply.code(422);
      const fields: Record<string, { id: string; label: string }> = {};
      DAYS.forEach((day, i) => {
        fields[`/${day}`] = { id: `opens-${day}`, label: day.charAt(0).toUpperCase() + day.slice(1) };
        fields[`/openingHours/${i}`] = { id: `opens-${day}`, label: 'Opening times' };
      });
      return servicePage(request, reply, { form, errors: formErrors(error.errors, fields) });
    }
  });

  // The course form's own address (after an error, say, or reloaded) answers with the programme's page.
  app.get('/directory/services/:id/courses', { config: { web: true, permission: 'directory:manage' }, schema: { params: IdParams } }, async (request, reply) =>
    reply.redirect(`/directory/services/${(request.params as { id: string }).id}#courses`, 303),
  );

  app.post('/directory/services/:id/courses', { config: { web: true, permission: 'directory:manage' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const form = (request.body ?? {}) as Form;
    const errors: FieldError[] = [];
    const count = (name: string) => {
      const value = text(form, name);
      if (value !== undefined && !/^\d{1,3}$/.test(value)) errors.push({ field: `/${name}`, message: 'must be a whole number' });
      return value !== undefined && /^\d{1,3}$/.test(value) ? Number(value) : undefined;
    };
    const input = Object.fromEntries(
      Object.entries({
        title: text(form, 'title'),
        startsOn: readDate(form, 'startsOn', errors, { example: '27 3 2027' }),
        sessions: count('sessions'),
        places: count('places'),
      }).filter(([, v]) => v !== undefined),
    );
    const fields = {
      '/title': { id: 'course-title', label: 'Title' },
      '/startsOn': { id: 'startsOn-day', label: 'Start date' },
      '/sessions': { id: 'sessions', label: 'Sessions' },
      '/places': { id: 'places', label: 'Places' },
    };
    try {
      let checked: NewCourse;
      try {
        checked = checkAgainst<NewCourse>(NewCourse, input);
      } catch (error) {
        throw error instanceof Invalid ? new Invalid([...errors, ...error.errors]) : error;
      }
      if (errors.length) throw new Invalid(errors);
      await asActor(request, (tx, actor) => createCourse(tx, actor, id, checked));
      return reply.redirect(`/directory/services/${id}?saved=course#courses`, 303);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      reply.code(422);
      // In the order the form asks.
      const order = Object.keys(fields);
      const place = (field: string) => (order.includes(field) ? order.indexOf(field) : order.length);
      const sorted = [...error.errors].sort((a, b) => place(a.field) - place(b.field));
      return servicePage(request, reply, { courseForm: form, errors: formErrors(sorted, fields) });
    }
  });

  // The routing rules, and what a candidate set would change.
  app.get('/rules', { config: { web: true, permission: 'pathways:manage' } }, async (request, reply) => {
    const current = await asActor(request, (tx, actor) => currentRules(tx, actor.partnershipId));
    return render(request, reply, 'pages/rules.njk', { title: 'Routing rules', current, candidate: JSON.stringify({ rules: current.rules }, null, 2) });
  });

  app.post('/rules/replay', { config: { web: true, permission: 'pathways:manage' } }, async (request, reply) => {
    const form = (request.body ?? {}) as Form;
    const candidate = one(form, 'candidate');
    const current = await asActor(request, (tx, actor) => currentRules(tx, actor.partnershipId));
    try {
      let parsed: unknown;
      try {
        parsed = JSON.parse(candidate);
      } catch {
        throw Invalid.field('/candidate', 'is not valid JSON');
      }
      const rules = parseRuleSet(parsed);
      const result = await asActor(request, (tx, actor) => replay(tx, actor.partnershipId, rules, { actor }));
      return render(request, reply, 'pages/rules.njk', { title: 'Routing rules', current, candidate, result });
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      reply.code(422);
      return render(request, reply, 'pages/rules.njk', {
        title: 'Routing rules',
        current,
        candidate,
        errors: formErrors(
          error.errors.map((e) => (e.field.startsWith('/rules') ? { field: '/candidate', message: `${e.field}: ${e.message}` } : e)),
          { '/candidate': { id: 'candidate', label: 'The candidate rules' } },
        ),
      });
    }
  });
}
