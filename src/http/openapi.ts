import type { SwaggerOptions } from '@fastify/swagger';
export function setUpOpenApi(): SwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'spoc API',
        version: '1',
        description:
          'The single point of contact for a domestic-abuse partnership. Every /api/v1 route needs a bearer token ' +
          '(`spoc token create`); errors are application/problem+json naming each bad field.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ bearer: [] }],
    },
  };
}
