/** Contacts: a searchable list, and a contact's page with its referrals' live status and clocks, and repeat recognition. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { asActor, IdParams } from '../../http/route-kit.js';
import { Conflict, Invalid } from '../../lib/errors.js';
import { can } from '../../modules/access/actor.js';
import { MatchDecision } from '../../modules/cases/schema.js';
import * as cases from '../../modules/cases/service.js';
import { ContactListQuery } from '../../modules/contacts/schema.js';
import * as contacts from '../../modules/contacts/service.js';
import { referralOfContact } from '../../modules/marac/service.js';
import { referralsOfContact } from '../../modules/referrals/service.js';
import * as risk from '../../modules/risk/service.js';
import { MARAC_CRITERION_LABELS } from '../labels.js';
import { checkAgainst, formErrors, render, type FormErrors } from '../render.js';
import { staffOf } from '../session.js';

export async function contactPages(app: FastifyInstance): Promise<void> {
  app.get('/contacts', { config: { web: true, permission: 'contact:read' } }, async (request, reply) => {
    const raw = request.query as Record<string, string>;
    // Only the filters a person set; empty fields of the form are not filters.
    const filters = Object.fromEntries(Object.entries(raw).filter(([key, value]) => value !== '' && ['q', 'status', 'callerType', 'channel', 'immediateDanger', 'from', 'to'].includes(key)));
    const page = Math.max(1, Math.min(10_000, Number(raw.page) || 1));
    try {
      const query = checkAgainst<ContactListQuery>(ContactListQuery, { ...filters, page, perPage: 25 });
      const list = await asActor(request, (tx, actor) => contacts.listContacts(tx, actor, query));
      return render(request, reply, 'pages/contacts/list.njk', { title: 'Contacts', list, filters, pages: Math.ceil(list.total / 25) });
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      reply.code(422);
      return render(request, reply, 'pages/contacts/list.njk', {
        title: 'Contacts',
        list: { items: [], total: 0, page: 1 },
        filters,
        errors: formErrors(error.errors, { '/q': { id: 'q', label: 'Search' }, '/from': { id: 'from', label: 'From' }, '/to': { id: 'to', label: 'To' } }),
      });
    }
  });

  /**
   * A contact's page. For those who recognise people (person:match), "Is this someone we
   * know?": the known people it may be about, with the reasons and the organisations the
   * service lets the viewer know of; a person confirms, rejects, or records a new person.
   */
  async function contactPage(request: FastifyRequest, reply: FastifyReply, extra: { errors?: FormErrors } = {}) {
    const { id } = request.params as { id: string };
    const data = await asActor(request, async (tx, actor) => {
      const contact = await contacts.getContact(tx, actor, id);
      // Never offer a perpetrator seeking help as a match for a victim's record (SPEC §4).
      const matching = can(actor, 'person:match') && contact.callerType !== 'perpetrator';
      return {
        contact,
        assessment: await risk.currentAssessmentOf(tx, id),
        referrals: await referralsOfContact(tx, actor, id),
        needs: await contacts.listNeeds(tx, actor),
        matches: matching ? await cases.matchesFor(tx, actor, id) : null,
        marac: await referralOfContact(tx, actor, id),
      };
    });
    const needLabels = new Map(data.needs.map((n) => [n.code, n.label]));
    const needsText = data.contact.needs.map((code) => needLabels.get(code) ?? code).join(', ');
    const query = request.query as { sent?: string; matched?: string };
    return render(request, reply, 'pages/contacts/show.njk', {
      title: 'Contact',
      ...data,
      needsText,
      sent: query.sent === '1',
      matched: typeof query.matched === 'string' ? MATCHED[query.matched] : undefined,
      // High-risk contacts are referred to MARAC automatically; the MARAC coordinator may refer others by hand.
      mayReferToMarac: can(staffOf(request), 'marac:manage') && !data.marac && data.assessment?.level !== 'high',
      maracCriteria: (data.marac?.criteria ?? []).map((c) => MARAC_CRITERION_LABELS[c] ?? c).join('; '),
      ...extra,
    });
  }

  app.get('/contacts/:id', { config: { web: true, permission: 'contact:read' }, schema: { params: IdParams } }, async (request, reply) => contactPage(request, reply));

  app.post('/contacts/:id/matches', { config: { web: true, permission: 'person:match' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const form = (request.body ?? {}) as Record<string, unknown>;
    try {
      const input = checkAgainst<MatchDecision>(MatchDecision, { personId: form.personId, decision: form.decision });
      await asActor(request, (tx, actor) => cases.decideMatch(tx, actor, id, input));
      return reply.redirect(`/contacts/${id}?matched=${input.decision}#matches`, 303);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      reply.code(422);
      return contactPage(request, reply, { errors: formErrors(error.errors, { '/personId': { id: 'matches', label: 'The person' }, '/decision': { id: 'matches', label: 'The decision' } }) });
    }
  });

  app.post('/contacts/:id/person', { config: { web: true, permission: 'person:match' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    try {
      await asActor(request, (tx, actor) => cases.createPersonFromContact(tx, actor, id));
    } catch (error) {
      // Linked meanwhile (a colleague, a second click): the page shows to whom.
      if (!(error instanceof Conflict)) throw error;
    }
    return reply.redirect(`/contacts/${id}?matched=created#matches`, 303);
  });
}

const MATCHED: Record<string, string> = {
  confirmed: 'Linked to the known person.',
  rejected: 'Recorded as not the same person.',
  created: 'Recorded as a new person.',
};
