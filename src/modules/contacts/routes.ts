import { Type } from 'typebox';
import { IdempotencyHeader, idempotent } from '../../http/idempotency.js';
import { asActor, IdParams, problemResponses, type RoutePlugin } from '../../http/route-kit.js';
import { ContactList, ContactListQuery, ContactPatch, ContactView, NewContact, NewShare } from './schema.js';
import * as service from './service.js';


export const contactRoutes: RoutePlugin = async (app) => {
  const tags = ['contacts'];

  app.post(
    '/contacts',
    {
      config: { permission: 'contact:create' },
      schema: {
        tags,
        summary: 'Record a contact (a call, a web self-referral, a professional referral)',
        headers: IdempotencyHeader,
        body: NewContact,
        response: { 201: ContactView, ...problemResponses },
      },
    },
    async (request, reply) =>
      idempotent(
        request,
        reply,
        201,
        (tx, actor) => service.createContact(tx, actor, request.body),
        (contact) => `/api/v1/contacts/${contact.id}`,
      ),
  );

  app.get(
    '/contacts',
    {
      config: { permission: 'contact:read' },
      schema: {
        tags,
        summary: 'List and search the contacts you may see',
        querystring: ContactListQuery,
        response: { 200: ContactList, ...problemResponses },
      },
    },
    async (request) => asActor(request, (tx, actor) => service.listContacts(tx, actor, request.query)),
  );

  app.get(
    '/contacts/:id',
    {
      config: { permission: 'contact:read' },
      schema: { tags, summary: 'One contact', params: IdParams, response: { 200: ContactView, ...problemResponses } },
    },
    async (request) => asActor(request, (tx, actor) => service.getContact(tx, actor, request.params.id)),
  );

  app.patch(
    '/contacts/:id',
    {
      config: { permission: 'contact:update' },
      schema: {
        tags,
        summary: 'Change a contact (only the fields sent)',
        params: IdParams,
        body: ContactPatch,
        response: { 200: ContactView, ...problemResponses },
      },
    },
    async (request) =>
      asActor(request, (tx, actor) => service.updateContact(tx, actor, request.params.id, request.body)),
  );

  app.post(
    '/contacts/:id/shares',
    {
      config: { permission: 'contact:share' },
      schema: {
        tags,
        summary: 'Share a contact with another organisation of the partnership',
        params: IdParams,
        body: NewShare,
        response: { 200: ContactView, ...problemResponses },
      },
    },
    async (request) =>
      asActor(request, (tx, actor) => service.shareContact(tx, actor, request.params.id, request.body)),
  );

  app.get(
    '/needs',
    {
      config: { permission: 'directory:read' },
      schema: {
        tags,
        summary: "The partnership's list of needs",
        response: { 200: Type.Array(Type.Object({ code: Type.String(), label: Type.String() })), ...problemResponses },
      },
    },
    async (request) => asActor(request, (tx, actor) => service.listNeeds(tx, actor)),
  );
};
