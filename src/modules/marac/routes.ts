import { Type } from 'typebox';
import { IdempotencyHeader, idempotent } from '../../http/idempotency.js';
import { asActor, IdParams, problemResponses, type RoutePlugin } from '../../http/route-kit.js';
import { StringEnum } from '../../lib/schema.js';
import { FiguresQuery, ManualReferral, MARAC_STATUSES, MaracReferralView, MeetingList, MeetingView, NewMaracAction, NewMeetings, NewResearch } from './schema.js';
import * as service from './service.js';

export const maracRoutes: RoutePlugin = async (app) => {
  const tags = ['marac'];
  const problems = { ...problemResponses, 409: Type.Ref('Problem') };
  const Created = Type.Object({ id: Type.String({ format: 'uuid' }) });

  app.get(
    '/marac/referrals',
    {
      config: { permission: 'marac:manage' },
      schema: { tags, summary: "Every MARAC referral of the partnership, newest first", querystring: Type.Object({ status: Type.Optional(StringEnum(MARAC_STATUSES)) }, { additionalProperties: false }), response: { 200: Type.Array(MaracReferralView), ...problems } },
    },
    async (request) => asActor(request, (tx, actor) => service.listReferrals(tx, actor, request.query.status)),
  );

  app.post(
    '/marac/referrals',
    {
      config: { permission: 'marac:manage' },
      schema: { tags, summary: 'Refer a contact to MARAC by hand, with the reason (high-risk contacts are referred automatically)', headers: IdempotencyHeader, body: ManualReferral, response: { 201: MaracReferralView, ...problems } },
    },
    async (request, reply) => idempotent(request, reply, 201, (tx, actor) => service.referManually(tx, actor, request.body)),
  );

  app.get(
    '/marac/referrals/:id',
    { config: { permission: 'marac:read' }, schema: { tags, summary: 'One MARAC referral', params: IdParams, response: { 200: MaracReferralView, ...problems } } },
    async (request) => asActor(request, (tx, actor) => service.getReferral(tx, actor, request.params.id)),
  );

  app.post(
    '/marac/referrals/:id/research',
    { config: { permission: 'marac:read' }, schema: { tags, summary: 'Record what your agency holds, before the meeting', params: IdParams, body: NewResearch, response: { 201: Created, ...problems } } },
    async (request, reply) => reply.code(201).send(await asActor(request, (tx, actor) => service.addResearch(tx, actor, request.params.id, request.body))),
  );

  app.post(
    '/marac/referrals/:id/actions',
    { config: { permission: 'marac:manage' }, schema: { tags, summary: "Record an action agreed at the meeting, for an agency, with a due date", params: IdParams, body: NewMaracAction, response: { 201: Created, ...problems } } },
    async (request, reply) => reply.code(201).send(await asActor(request, (tx, actor) => service.addAction(tx, actor, request.params.id, request.body))),
  );

  app.post(
    '/marac/actions/:id/done',
    { config: { permission: 'marac:read' }, schema: { tags, summary: 'Mark an action done (the owning agency or the MARAC coordinator)', params: IdParams, response: { 200: Type.Object({ id: Type.String(), doneAt: Type.String() }), ...problems } } },
    async (request) => asActor(request, (tx, actor) => service.completeAction(tx, actor, request.params.id)),
  );

  app.get(
    '/marac/meetings',
    { config: { permission: 'marac:read' }, schema: { tags, summary: 'MARAC meetings (an agency sees those it attends)', response: { 200: Type.Array(MeetingView), ...problems } } },
    async (request) => asActor(request, (tx, actor) => service.listMeetings(tx, actor)),
  );

  app.post(
    '/marac/meetings',
    {
      config: { permission: 'marac:manage' },
      schema: { tags, summary: 'Schedule a meeting or a series (e.g. fortnightly); referrals waiting are listed in turn', headers: IdempotencyHeader, body: NewMeetings, response: { 201: Type.Array(MeetingView), ...problems } },
    },
    async (request, reply) => idempotent(request, reply, 201, (tx, actor) => service.scheduleMeetings(tx, actor, request.body)),
  );

  app.get(
    '/marac/meetings/:id',
    { config: { permission: 'marac:read' }, schema: { tags, summary: "A meeting's list, as your agency may see it", params: IdParams, response: { 200: MeetingList, ...problems } } },
    async (request) => asActor(request, (tx, actor) => service.meetingList(tx, actor, request.params.id)),
  );

  app.get(
    '/marac/meetings/:id/list.csv',
    { config: { permission: 'marac:read' }, schema: { tags, summary: "A meeting's list as CSV, as your agency may see it", params: IdParams, produces: ['text/csv'] } },
    async (request, reply) => {
      const csv = await asActor(request, (tx, actor) => service.meetingListCsv(tx, actor, request.params.id));
      return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="marac-list.csv"').send(csv);
    },
  );

  app.get(
    '/marac/dashboard',
    {
      config: { permission: 'marac:manage' },
      schema: {
        tags,
        summary: "The MARAC coordinator's dashboard: meetings to come, referrals waiting, overdue actions",
        response: {
          200: Type.Object({
            meetings: Type.Array(MeetingView),
            awaiting: Type.Array(MaracReferralView),
            overdueActions: Type.Array(Type.Object({ id: Type.String(), referralId: Type.String(), contactReference: Type.String(), description: Type.String(), ownerName: Type.String(), organisationName: Type.String(), dueOn: Type.String() })),
          }),
          ...problems,
        },
      },
    },
    async (request) => asActor(request, (tx, actor) => service.dashboard(tx, actor)),
  );

  app.get(
    '/marac/figures',
    {
      config: { permission: 'marac:manage' },
      schema: {
        tags,
        summary: 'MARAC referrals in a period, repeats and the repeat rate, by source agency and criterion',
        querystring: FiguresQuery,
        response: {
          200: Type.Object({
            from: Type.String(),
            to: Type.String(),
            referrals: Type.Integer(),
            repeats: Type.Integer(),
            repeatRate: Type.Union([Type.Number(), Type.Null()], { description: 'Per cent of referrals that are repeats' }),
            bySourceAgency: Type.Array(Type.Object({ agency: Type.String(), referrals: Type.Integer() })),
            byCriterion: Type.Array(Type.Object({ criterion: Type.String(), referrals: Type.Integer() })),
          }),
          ...problems,
        },
      },
    },
    async (request) => asActor(request, (tx, actor) => service.figures(tx, actor, request.query)),
  );
};
