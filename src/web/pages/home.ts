import type { FastifyInstance } from 'fastify';
import { inTransaction } from '../../db/transaction.js';
import { can } from '../../modules/access/actor.js';
import type { SessionActor } from '../../modules/access/sessions.js';
import { listEscalations } from '../../modules/referrals/escalations.js';
import { inbox, reroutingQueue } from '../../modules/referrals/service.js';

/** What the start page shows each role: the work waiting for them. */
export async function homeFor(app: FastifyInstance, staff: SessionActor) {
  return inTransaction(app.database.db, staff, async (tx) => {
    const spoc = can(staff, 'escalation:read');
    const provider = can(staff, 'referral:act') && !spoc;
    return {
      canTakeCalls: spoc && can(staff, 'contact:create'),
      inboxCount: provider ? (await inbox(tx, staff, { page: 1, perPage: 100 })).items.filter((r) => r.nextDueAt !== null).length : null,
      rerouteCount: spoc ? (await reroutingQueue(tx, staff)).length : null,
      escalationCount: spoc ? (await listEscalations(tx, staff)).filter((e) => ['sent', 'acknowledged', 'accepted'].includes(e.state)).length : null,
    };
  });
}
