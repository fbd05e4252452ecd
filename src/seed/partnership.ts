import type { Tx } from '../db/transaction.js';
import { createOrganisation, createPartnership } from '../modules/access/service.js';
import { installDefaultNeeds } from '../modules/contacts/service.js';
import { DEFAULT_NEEDS } from '../modules/contacts/needs.js';
import { installDefaultQuestionnaires } from '../modules/risk/service.js';

/** A new partnership with its SPOC hub, the default needs list and the DASH RIC definition. */
export async function provisionPartnership(
  tx: Tx,
  input: { slug: string; name: string; hubSlug: string; hubName: string; isDemo?: boolean; settings?: Record<string, unknown> },
) {
  const partnership = await createPartnership(tx, {
    slug: input.slug,
    name: input.name,
    isDemo: input.isDemo ?? false,
    ...(input.settings ? { settings: input.settings } : {}),
  });
  const hub = await createOrganisation(tx, null, {
    partnershipId: partnership.id,
    slug: input.hubSlug,
    name: input.hubName,
    kind: 'spoc_hub',
  });
  await installDefaultNeeds(tx, partnership.id, DEFAULT_NEEDS);
  await installDefaultQuestionnaires(tx, partnership.id);
  return { partnership, hub };
}
