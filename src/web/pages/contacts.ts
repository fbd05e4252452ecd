/** Contacts: a searchable list, and a contact's page with its referrals' live status and clocks. */
import type { FastifyInstance } from 'fastify';
import { asActor, IdParams } from '../../http/route-kit.js';
import { Invalid } from '../../lib/errors.js';
import { ContactListQuery } from '../../modules/contacts/schema.js';
import * as contacts from '../../modules/contacts/service.js';
import { referralsOfContact } from '../../modules/referrals/service.js';
import * as risk from '../../modules/risk/service.js';
import { checkAgainst, formErrors, render } from '../render.js';


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

  app.get('/contacts/:id', { config: { web: true, permission: 'contact:read' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const data = await asActor(request, async (tx, actor) => ({
      contact: await contacts.getContact(tx, actor, id),
      assessment: await risk.currentAssessmentOf(tx, id),
      referrals: await referralsOfContact(tx, actor, id),
      needs: await contacts.listNeeds(tx, actor),
    }));
    const needLabels = new Map(data.needs.map((n) => [n.code, n.label]));
    const needsText = data.contact.needs.map((code) => needLabels.get(code) ?? code).join(', ');
    return render(request, reply, 'pages/contacts/show.njk', { title: 'Contact', ...data, needsText, sent: (request.query as { sent?: string }).sent === '1' });
  });
}
