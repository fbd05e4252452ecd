import type { PGlite } from '@electric-sql/pglite';

/**
 * A `pg.Pool`-shaped wrapper over one PGlite instance, for Kysely's PostgresDialect.
 * PGlite is a single connection, so the "pool" hands out one client at a time: a
 * transaction's statements can never interleave with another request's.
 */
interface QueryResultLike {
  command: string;
  rowCount: number;
  rows: unknown[];
}

export interface PoolClientLike {
  query(sql: string, parameters: readonly unknown[]): Promise<QueryResultLike>;
  release(): void;
}

export class PGlitePool {
  #queue: Array<() => void> = [];
  #busy = false;

  constructor(private readonly pglite: PGlite) {}

  async connect(): Promise<PoolClientLike> {
    if (this.#busy) await new Promise<void>((resolve) => this.#queue.push(resolve));
    this.#busy = true;
    let released = false;
    return {
      query: async (sql, parameters) => {
        // A script of several statements without parameters (e.g. `begin; select set_config(…)`)
        // goes through the simple protocol, as `pg` sends it; its last statement's rows answer.
        if (parameters.length === 0 && sql.includes(';')) {
          const results = await this.pglite.exec(sql);
          const last = results.at(-1);
          return { command: '', rowCount: last?.affectedRows ?? 0, rows: last?.rows ?? [] };
        }
        const result = await this.pglite.query(sql, parameters as unknown[]);
        const command = (/^\s*(\w+)/.exec(sql)?.[1] ?? '').toUpperCase();
        return { command, rowCount: result.affectedRows ?? result.rows.length, rows: result.rows };
      },
      release: () => {
        if (released) return;
        released = true;
        const next = this.#queue.shift();
        if (next) next();
        else this.#busy = false;
      },
    };
  }

  async end(): Promise<void> {
    // The owner of the PGlite instance closes it.
  }
}
