import type { FastifyInstance } from 'fastify';
import { inTransaction } from '../../db/transaction.js';
import { can } from '../../modules/access/actor.js';
import type { SessionActor } from '../../modules/access/sessions.js';
import { waitingCounts } from '../../modules/referrals/service.js';

/** What the start page shows each role: how much work is waiting for them (counts, no records). */
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
    };
  });
}
