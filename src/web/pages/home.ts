import type { FastifyInstance } from 'fastify';
import { inTransaction } from '../../db/transaction.js';
import { can } from '../../modules/access/actor.js';
import type { SessionActor } from '../../modules/access/sessions.js';
import { tasks } from '../../modules/cases/service.js';
import { waitingCounts } from '../../modules/referrals/service.js';

/**
 * What the start page shows each role: how much work is waiting for them (counts, no records),
 * and a caseworker's own tasks (their open actions and safety-plan reviews due, by case reference).
 */
export async function homeFor(app: FastifyInstance, staff: SessionActor) {
  return inTransaction(app.database.db, staff, async (tx) => {
    const spoc = can(staff, 'escalation:read');
    const provider = can(staff, 'referral:act') && !spoc;
    const counts = spoc || provider ? await waitingCounts(tx, staff) : null;
    return {
      canTakeCalls: spoc && can(staff, 'contact:create'),
      inboxCount: provider ? counts!.inbox : null,
      rerouteCount: spoc ? counts!.reroute : null,
      escalationCount: spoc ? counts!.openEscalations : null,
      tasks: can(staff, 'case:read') ? await tasks(tx, staff) : null,
    };
  });
}
