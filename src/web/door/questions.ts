import type { FastifyInstance } from 'fastify';
import { questionTexts } from '../../modules/risk/service.js';

/** The DASH questions for the professional form, in the partnership's wording. */
export function questionsFor(app: FastifyInstance, partnershipId: string) {
  return questionTexts(app.database.db, partnershipId);
}
