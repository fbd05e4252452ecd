/**
 * Safe accommodation from a case (SPEC §2 step 9, §5): the refuges with a vacancy that fits
 * the case's household (or the household as the caseworker adjusts it), and a refuge
 * referral to one of them, with the person's consent or the lawful basis for sharing.
 * A refuge's address comes only from the accommodation service, which gives it to the
 * refuge's own staff and to no one else.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { asActor, IdParams } from '../../http/route-kit.js';
import { Conflict, Invalid, type FieldError } from '../../lib/errors.js';
import { RefugeReferral } from '../../modules/accommodation/schema.js';
import { referToRefuge, searchVacancies } from '../../modules/accommodation/service.js';
import * as cases from '../../modules/cases/service.js';
import { text } from '../forms.js';
import { UNIT_TYPE_ITEMS, labelOf } from '../labels.js';
import { checkAgainst, formErrors, render } from '../render.js';

type Form = Record<string, unknown>;

interface Household {
  children: number;
  accessible: boolean;
  noRecourse: boolean;
}

/** The household the caseworker asked about (`?filter=1&children=2&accessible=yes`), or none: the case's own. */
function readFilters(query: Record<string, unknown>): { household: Household | null; raw: Record<string, string>; errors: FieldError[] } {
  const q = query as Form;
  if (text(q, 'filter') === undefined) return { household: null, raw: {}, errors: [] };
  const children = text(q, 'children') ?? '0';
  const errors: FieldError[] = [];
  if (!/^\d{1,2}$/.test(children) || Number(children) > 12) errors.push({ field: '/children', message: 'must be a whole number from 0 to 12' });
  const raw = { filter: '1', children, ...(q.accessible === 'yes' ? { accessible: 'yes' } : {}), ...(q.noRecourse === 'yes' ? { noRecourse: 'yes' } : {}) };
  if (errors.length > 0) return { household: null, raw, errors };
  return { household: { children: Number(children), accessible: q.accessible === 'yes', noRecourse: q.noRecourse === 'yes' }, raw, errors };
}

/** "1 child living with them; needs an accessible unit; no recourse to public funds". */
function describe(household: Household): string {
  const children = household.children === 0 ? 'No children living with them' : household.children === 1 ? '1 child living with them' : `${household.children} children living with them`;
  return [children, household.accessible ? 'needs an accessible unit' : null, household.noRecourse ? 'no recourse to public funds' : null].filter(Boolean).join('; ');
}

const sameHousehold = (a: Household, b: Household) => a.children === b.children && a.accessible === b.accessible && a.noRecourse === b.noRecourse;

async function accommodationPage(request: FastifyRequest, reply: FastifyReply, posted: { form?: Form; errors?: FieldError[] } = {}) {
  const { id } = request.params as { id: string };
  const filters = readFilters(request.query as Record<string, unknown>);
  const data = await asActor(request, async (tx, actor) => {
    const caseView = await cases.getCase(tx, actor, id);
    if (caseView.state === 'closed') throw new Conflict('This case is closed');
    // Read from the case (and audited on it); then, if asked, for the household as adjusted.
    const ofCase = await searchVacancies(tx, actor, { caseId: id });
    const search = filters.household ? await searchVacancies(tx, actor, filters.household) : ofCase;
    return { caseView, caseHousehold: ofCase.household, search };
  });
  const household = data.search.household;
  const submitted = posted.form ? text(posted.form, 'serviceId') : undefined;
  const results = data.search.results.map((r, i) => {
    const prefix = `refuge-${i + 1}`;
    return {
      ...r,
      prefix,
      // Given by the service to the refuge's own staff only.
      addressText: r.address ? [r.address.line1, r.address.line2, r.address.town, r.address.postcode].filter(Boolean).join(', ') : null,
      form: r.serviceId === submitted ? posted.form : undefined,
      unitItems: r.vacancies.map((v) => ({
        value: v.unitType,
        text: labelOf(UNIT_TYPE_ITEMS, v.unitType),
        hint: { text: `${v.available} ${v.available === 1 ? 'vacancy' : 'vacancies'}${v.acceptsNoRecourse ? '; accepts no recourse to public funds' : ''}` },
      })),
    };
  });
  // Each error links to the field of the form that was sent; a refuge no longer listed (its vacancy went meanwhile) to the results.
  const at = results.find((r) => r.serviceId === submitted)?.prefix;
  const field = (name: string, label: string) => ({ id: at ? `${at}-${name}` : 'results', label });
  const fields = {
    '/children': { id: 'children', label: 'Children living with them' },
    '/serviceId': field('unitType', 'Refuge'),
    '/unitType': field('unitType', 'Unit'),
    '/consent': field('consent', 'Consent'),
    '/lawfulBasis': field('lawfulBasis', 'The lawful basis'),
    '/reason': field('reason', 'Reason'),
  };
  const errors = [...filters.errors, ...(posted.errors ?? [])];
  const query = new URLSearchParams(filters.raw).toString();
  return render(request, reply, 'pages/cases/accommodation.njk', {
    title: 'Find safe accommodation',
    backLink: `/cases/${id}`,
    caseView: data.caseView,
    household,
    householdText: describe(household),
    unitText: labelOf(UNIT_TYPE_ITEMS, household.unitType),
    caseHouseholdText: describe(data.caseHousehold),
    adjusted: !sameHousehold(household, data.caseHousehold),
    filterForm: filters.errors.length > 0 ? filters.raw : null,
    results,
    action: `/cases/${id}/accommodation${query ? `?${query}` : ''}`,
    errors: errors.length > 0 ? formErrors(errors, fields) : undefined,
  });
}

export async function accommodationPages(app: FastifyInstance): Promise<void> {
  const options = { config: { web: true, permission: 'referral:create' as const }, schema: { params: IdParams } };

  app.get('/cases/:id/accommodation', options, async (request, reply) => {
    if (readFilters(request.query as Record<string, unknown>).errors.length > 0) reply.code(422);
    return accommodationPage(request, reply);
  });

  app.post('/cases/:id/accommodation', options, async (request, reply) => {
    const { id } = request.params as { id: string };
    const form = (request.body ?? {}) as Form;
    const consent = text(form, 'consent');
    const lawfulBasis = consent && consent !== 'given' ? text(form, 'lawfulBasis') : undefined;
    const input = Object.fromEntries(
      Object.entries({ serviceId: text(form, 'serviceId'), unitType: text(form, 'unitType'), consent, lawfulBasis, reason: text(form, 'reason') }).filter(([, v]) => v !== undefined),
    );
    try {
      let checked: RefugeReferral;
      try {
        checked = checkAgainst<RefugeReferral>(RefugeReferral, input);
      } catch (error) {
        // Named with the rest, not only once the form is otherwise right (the service says the same).
        const basis = consent && consent !== 'given' && !lawfulBasis ? [{ field: '/lawfulBasis', message: 'is required when consent is not given (e.g. serious risk of harm)' }] : [];
        throw error instanceof Invalid ? new Invalid([...error.errors, ...basis]) : error;
      }
      await asActor(request, (tx, actor) => referToRefuge(tx, actor, id, checked));
      return reply.redirect(`/cases/${id}?saved=refuge`, 303);
    } catch (error) {
      if (error instanceof Invalid) {
        reply.code(422);
        const order = ['/serviceId', '/unitType', '/consent', '/lawfulBasis', '/reason'];
        const place = (field: string) => (order.includes(field) ? order.indexOf(field) : order.length);
        return accommodationPage(request, reply, { form, errors: [...error.errors].sort((a, b) => place(a.field) - place(b.field)) });
      }
      // Sent already (a second press, or the SPOC referred them there): said on the form. A closed case fails again below.
      if (error instanceof Conflict) {
        reply.code(409);
        return accommodationPage(request, reply, { form, errors: [{ field: '/serviceId', message: error.message.replace(/ \([0-9a-f-]{36}\)$/, '') }] });
      }
      throw error;
    }
  });
}
