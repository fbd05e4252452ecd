import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * The application log. It carries ids, methods, route patterns and status codes: never
 * names, numbers, addresses, notes, query strings or bodies (they may hold personal data).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'spoc' },
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token'],
        censor: '[redacted]',
      },
      serializers: {
        err: (error: Error & { code?: string; constraint?: string }) => ({
          type: error.name,
          code: error.code,
          constraint: error.constraint,
          // The message of a database error can quote the values it refused; keep only where it came from.
          stack: error.stack?.split('\n').slice(1, 8).join('\n'),
        }),
      },
    },
    destination,
  );
}
