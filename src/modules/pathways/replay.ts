/**
 * Replays a candidate rule set over past contacts (SPEC §4): what would it have proposed
 * that the current rules did not, and the other way round? Changes nothing but the audit.
 */
import type { Tx } from '../../db/transaction.js';
import type { Actor } from '../access/actor.js';
import { audit } from '../access/audit.js';
import { toView as contactView } from '../contacts/service.js';
import { allServices } from '../directory/service.js';
import type { RiskLevel } from '../risk/scoring.js';
import { propose } from './engine.js';
import { factsOf } from './facts.js';
import type { Rule } from './rules.js';
import { currentRules } from './service.js';

export interface ReplayChange {
  contactId: string;
  reference: string;
  added: string[];
  removed: string[];
}

const BATCH = 500;
const noDeadlines = () => ({ acknowledgeBy: '', firstContactBy: '' });

export async function replay(
  tx: Tx,
  partnershipId: string,
  candidate: Rule[],
  options: { since?: Date; onProgress?: (done: number, total: number) => void; actor?: Actor },
): Promise<{ contacts: number; changed: ReplayChange[]; rulesVersion: number }> {
  const services = await allServices(tx, partnershipId);
  const names = new Map(services.map((s) => [s.id, s.name]));
  const { version, rules } = await currentRules(tx, partnershipId);
  let base = tx.selectFrom('contacts').where('partnership_id', '=', partnershipId);
  if (options.since) base = base.where('received_at', '>=', options.since);
  const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const changed: ReplayChange[] = [];
  let done = 0;
  for (let offset = 0; offset < Number(total); offset += BATCH) {
    const rows = await base.selectAll().orderBy('received_at').orderBy('id').limit(BATCH).offset(offset).execute();
    const levels = new Map(
      (
        await tx
          .selectFrom('risk_assessments as a')
          .select(['a.contact_id', 'a.level'])
          .where('a.contact_id', 'in', rows.length > 0 ? rows.map((r) => r.id) : [''])
          .where(({ not, exists, selectFrom }) =>
            not(exists(selectFrom('risk_assessments as later').select('later.id').whereRef('later.supersedes_id', '=', 'a.id'))),
          )
          .execute()
      ).map((a) => [a.contact_id, a.level as RiskLevel]),
    );
    for (const row of rows) {
      const contact = contactView({ ...row, sharedWith: [] });
      // Decided as of when the contact was made, so ages and deadlines are those of the time.
      const facts = factsOf(contact, levels.get(row.id) ?? null, row.received_at);
      const before = new Set(propose(facts, rules, services, noDeadlines).proposals.map((p) => p.serviceId));
      const after = new Set(propose(facts, candidate, services, noDeadlines).proposals.map((p) => p.serviceId));
      const added = [...after].filter((id) => !before.has(id)).map((id) => names.get(id)!);
      const removed = [...before].filter((id) => !after.has(id)).map((id) => names.get(id)!);
      if (added.length > 0 || removed.length > 0) changed.push({ contactId: row.id, reference: row.reference, added, removed });
      done += 1;
    }
    const via = options.actor ? 'web' : 'cli';
    await audit(tx, options.actor ?? null, rows.map((row) => ({ action: 'pathways.replay', recordType: 'contact', recordId: row.id, details: { via } })));
    options.onProgress?.(done, Number(total));
  }
  return { contacts: Number(total), changed, rulesVersion: version };
}
