import { Type } from 'typebox';
import { IdempotencyHeader, idempotent } from '../../http/idempotency.js';
import { asActor, IdParams, problemResponses, type RoutePlugin } from '../../http/route-kit.js';
import { listEscalations } from './escalations.js';
import {
  EscalationView,
  InboxQuery,
  NewContactAttempt,
  NewReferrals,
  ReferralFeedback,
  ReferralPackage,
  ReferralView,
  Reroute,
  Transition,
} from './schema.js';
import * as service from './service.js';

const Referrals = Type.Object({ referrals: Type.Array(ReferralView) });

export const referralRoutes: RoutePlugin = async (app) => {
  const tags = ['referrals'];

  app.post(
    '/contacts/:id/referrals',
    {
      config: { permission: 'referral:create' },
      schema: {
        tags,
        summary: 'Send referrals to one or more services for a contact, with consent or the lawful basis',
        params: IdParams,
        headers: IdempotencyHeader,
        body: NewReferrals,
        response: { 201: Referrals, ...problemResponses, 409: Type.Ref('Problem') },
      },
    },
    async (request, reply) => idempotent(request, reply, 201, (tx, actor) => service.sendReferrals(tx, actor, request.params.id, request.body)),
  );

  app.get(
    '/contacts/:id/referrals',
    {
      config: { permission: 'referral:read' },
      schema: { tags, summary: "A contact's referrals and their status", params: IdParams, response: { 200: Type.Array(ReferralView), ...problemResponses } },
    },
    async (request) => asActor(request, (tx, actor) => service.referralsOfContact(tx, actor, request.params.id)),
  );

  app.get(
    '/referrals',
    {
      config: { permission: 'referral:read' },
      schema: {
        tags,
        summary: "The provider inbox: my organisation's referrals, soonest deadline first",
        querystring: InboxQuery,
        response: { 200: Type.Object({ items: Type.Array(ReferralView), page: Type.Integer(), perPage: Type.Integer() }), ...problemResponses },
      },
    },
    async (request) => asActor(request, (tx, actor) => service.inbox(tx, actor, request.query)),
  );

  app.get(
    '/referrals/:id',
    {
      config: { permission: 'referral:read' },
      schema: { tags, summary: 'A referral with the whole contact and its assessment (tell it once)', params: IdParams, response: { 200: ReferralPackage, ...problemResponses } },
    },
    async (request) => asActor(request, (tx, actor) => service.getReferral(tx, actor, request.params.id)),
  );

  app.get(
    '/referrals/:id/history',
    {
      config: { permission: 'referral:read' },
      schema: { tags, summary: 'What happened to a referral, for whoever made it (no case notes)', params: IdParams, response: { 200: ReferralFeedback, ...problemResponses } },
    },
    async (request) => asActor(request, (tx, actor) => service.feedback(tx, actor, request.params.id)),
  );

  app.post(
    '/referrals/:id/transitions',
    {
      config: { permission: 'referral:act' },
      schema: {
        tags,
        summary: 'Move a referral on: acknowledge, accept, decline (with reason), redirect, engaged, close, withdraw',
        params: IdParams,
        body: Transition,
        response: { 200: ReferralView, ...problemResponses, 409: Type.Ref('Problem') },
      },
    },
    async (request) => asActor(request, (tx, actor) => service.transition(tx, actor, request.params.id, request.body)),
  );

  app.post(
    '/referrals/:id/contact-attempts',
    {
      config: { permission: 'referral:act' },
      schema: {
        tags,
        summary: 'Record an attempt to reach the person: only on a channel marked safe',
        params: IdParams,
        headers: IdempotencyHeader,
        body: NewContactAttempt,
        response: { 201: Type.Object({ id: Type.String(), referral: ReferralView }), ...problemResponses, 409: Type.Ref('Problem') },
      },
    },
    async (request, reply) => idempotent(request, reply, 201, (tx, actor) => service.recordContactAttempt(tx, actor, request.params.id, request.body)),
  );

  app.get(
    '/rerouting-queue',
    {
      config: { permission: 'referral:create' },
      schema: { tags, summary: 'Declined and redirected referrals waiting to be re-routed', response: { 200: Type.Array(ReferralView), ...problemResponses } },
    },
    async (request) => asActor(request, (tx, actor) => service.reroutingQueue(tx, actor)),
  );

  app.post(
    '/referrals/:id/reroute',
    {
      config: { permission: 'referral:create' },
      schema: {
        tags,
        summary: 'Re-route a declined or redirected referral to another service, or record why none is made',
        params: IdParams,
        body: Reroute,
        response: { 200: Referrals, ...problemResponses, 409: Type.Ref('Problem') },
      },
    },
    async (request) => asActor(request, (tx, actor) => service.reroute(tx, actor, request.params.id, request.body)),
  );

  app.get(
    '/escalations',
    {
      config: { permission: 'escalation:read' },
      schema: { tags, summary: 'Response clocks that ran out on referrals my organisation sent', response: { 200: Type.Array(EscalationView), ...problemResponses } },
    },
    async (request) => asActor(request, (tx, actor) => listEscalations(tx, actor)),
  );
};
