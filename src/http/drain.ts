import type { ServerResponse } from 'node:http';
import net from 'node:net';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** True once the process has begun to stop: readiness answers 503 and every answer closes its connection. */
    draining: boolean;
    /** Stops accepting and waits for the requests in progress (see setUpDrain); call `close()` after it. */
    drain(options: DrainOptions): Promise<DrainResult>;
  }
}

export interface DrainOptions {
  /** How long to go on serving, with readiness at 503, before no longer accepting connections (a load balancer's time to notice). */
  graceMs: number;
  /** How long requests in progress may take to finish once no new connections are accepted. */
  timeoutMs: number;
}

export interface DrainResult {
  /** Requests in progress when the drain began, and those answered while it lasted. */
  inProgressAtStart: number;
  answered: number;
  /** Requests still unanswered when `timeoutMs` ran out (their connections were then closed). */
  cutOff: number;
}

/** Idle connections are closed once no request has been in progress for this long: any request already sent on one has been read by then. */
const SETTLE_MS = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stopping without dropping anyone's request (issue 10). While draining, `/health/ready`
 * answers 503 and every answer carries `Connection: close`, so clients and load balancers
 * move to another instance. `drain` then stops accepting connections, closes the ones with
 * nothing in progress, and waits for the requests in progress to be answered. The app's
 * own `close()` (background jobs, then the database, by the caller) comes after it.
 */
export function setUpDrain(app: FastifyInstance): void {
  app.decorate('draining', false);
  const server = app.server;
  const inProgress = new Set<ServerResponse>();
  let answered = 0;
  let whenNoneInProgress: Array<() => void> = [];
  // Before Fastify's own listener, so every answer while draining closes its connection, even one a hook refuses.
  server.prependListener('request', (_request, response: ServerResponse) => {
    inProgress.add(response);
    if (app.draining) response.setHeader('connection', 'close');
    response.once('close', () => {
      inProgress.delete(response);
      if (app.draining) answered += 1;
      if (inProgress.size === 0) {
        for (const resolve of whenNoneInProgress) resolve();
        whenNoneInProgress = [];
      }
    });
  });
  /** Resolves once no request has been in progress for SETTLE_MS: requests already sent have been read by then, however busy the process was. */
  const settled = async () => {
    for (;;) {
      if (inProgress.size > 0) await new Promise<void>((resolve) => whenNoneInProgress.push(resolve));
      await sleep(SETTLE_MS);
      if (inProgress.size === 0) return;
    }
  };

  app.decorate('drain', async ({ graceMs, timeoutMs }: DrainOptions): Promise<DrainResult> => {
    app.draining = true;
    const inProgressAtStart = inProgress.size;
    for (const response of inProgress) if (!response.headersSent) response.setHeader('connection', 'close');
    if (graceMs > 0) await sleep(graceMs);
    // One more turn of the event loop: connections already waiting to be accepted are, even if a busy loop ran the timer late.
    await new Promise((resolve) => setImmediate(resolve));
    // net.Server's close, not http.Server's: stop listening without yet closing connections
    // (http's also closes idle ones at once, which would reset a request already on its way).
    const closed = server.listening ? new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve())) : Promise.resolve();
    const drained = (async () => {
      await settled();
      // Left now: connections kept alive with nothing to do; answers while draining closed their own.
      server.closeIdleConnections();
      await closed;
    })();
    const finished = await Promise.race([drained.then(() => true), sleep(timeoutMs).then(() => false)]);
    const cutOff = finished ? 0 : inProgress.size;
    if (!finished) server.closeAllConnections();
    return { inProgressAtStart, answered, cutOff };
  });
}
