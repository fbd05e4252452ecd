import { Type } from 'typebox';
import { asActor, IdParams, problemResponses, type RoutePlugin } from '../../http/route-kit.js';
import { RuleSet } from './rules.js';
import * as service from './service.js';

const Check = Type.Object({ check: Type.String(), passed: Type.Boolean(), detail: Type.String() });
const PathwaysView = Type.Object({
  contactId: Type.String(),
  rulesVersion: Type.Integer(),
  riskLevel: Type.String(),
  notes: Type.Array(Type.String()),
  proposals: Type.Array(
    Type.Object({
      serviceId: Type.String(),
      serviceName: Type.String(),
      organisationId: Type.String(),
      kind: Type.String(),
      ruleId: Type.String(),
      rule: Type.String(),
      checks: Type.Array(Check),
      capacity: Type.Object({ status: Type.String(), vacancies: Type.Array(Type.Object({ unitType: Type.String(), available: Type.Integer(), acceptsNoRecourse: Type.Boolean() })) }),
      deadlines: Type.Object({ acknowledgeBy: Type.String(), firstContactBy: Type.String() }),
      caseload: Type.Optional(
        Type.Object(
          { perCaseworker: Type.Integer(), caseworkers: Type.Integer(), safeLow: Type.Integer(), safeHigh: Type.Integer(), over: Type.Boolean() },
          { description: "An IDVA service's people a year per caseworker against SafeLives' safe caseload (partnership setting safeCaseload)" },
        ),
      ),
    }),
  ),
  excluded: Type.Array(
    Type.Object({ serviceId: Type.String(), serviceName: Type.String(), kind: Type.String(), ruleId: Type.Union([Type.String(), Type.Null()]), reason: Type.String(), failed: Type.Array(Check) }),
  ),
});

export const pathwayRoutes: RoutePlugin = async (app) => {
  const tags = ['pathways'];

  app.get(
    '/contacts/:id/pathways',
    {
      config: { permission: 'referral:create' },
      schema: {
        tags,
        summary: 'The services this contact should be referred to, each with the rule that chose it, its checks, capacity and deadlines',
        params: IdParams,
        response: { 200: PathwaysView, ...problemResponses },
      },
    },
    async (request) => asActor(request, (tx, actor) => service.pathwaysFor(tx, actor, request.params.id)),
  );

  app.get(
    '/pathways/rules',
    {
      config: { permission: 'directory:read' },
      schema: { tags, summary: "The partnership's routing rules", response: { 200: Type.Object({ version: Type.Integer(), rules: RuleSet.properties.rules }), ...problemResponses } },
    },
    async (request) => asActor(request, (tx, actor) => service.currentRules(tx, actor.partnershipId)),
  );

  app.put(
    '/pathways/rules',
    {
      config: { permission: 'pathways:manage' },
      schema: {
        tags,
        summary: 'Replace the routing rules (a new version; try it first with `spoc pathways replay`)',
        body: RuleSet,
        response: { 200: Type.Object({ version: Type.Integer(), rules: RuleSet.properties.rules }), ...problemResponses },
      },
    },
    async (request) => asActor(request, (tx, actor) => service.saveRules(tx, actor, request.body)),
  );
};
