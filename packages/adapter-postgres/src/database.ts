import pg, { type Pool, type PoolClient, type QueryResultRow } from 'pg';
import { quoteIdent } from './migrations.js';

const parseTimestamp = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (value: string) => Date;

/**
 * How values come back, for this store's queries only (the host's pool keeps its own
 * parsers): counters (bigint, numeric) as numbers and timestamps as ISO strings, as the
 * ChatStore contract says. Counters stay far below 2^53.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return (value: string) => Number(value);
    if (oid === pg.types.builtins.TIMESTAMPTZ) return (value: string) => parseTimestamp(value).toISOString();
    return pg.types.getTypeParser(oid, format);
  },
};

type Queryable = Pick<Pool, 'query'> | Pick<PoolClient, 'query'>;

/** One store's view of the database: its schema spliced into every query, its value parsing. */
export class Database {
  /** The quoted schema, for queries. */
  readonly s: string;

  constructor(
    readonly pool: Pool,
    readonly schema: string,
  ) {
    this.s = quoteIdent(schema);
  }

  /** Runs `text` (with `{s}` for the schema) on the pool, or on `on` inside a transaction. */
  async query<R extends QueryResultRow>(text: string, values: unknown[] = [], on: Queryable = this.pool): Promise<R[]> {
    const result = await on.query<R>({ text: this.sql(text), values, types });
    return result.rows;
  }

  async one<R extends QueryResultRow>(text: string, values: unknown[] = [], on?: Queryable): Promise<R | undefined> {
    return (await this.query<R>(text, values, on))[0];
  }

  /**
   * One transaction on one connection. A failure rolls back and is thrown as is: the
   * adapter's failure classification then marks serialization failures and deadlocks as
   * transient, and core retries the whole call.
   */
  async transaction<T>(work: (client: PoolClient) => Promise<T>, mode = ''): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query(`BEGIN${mode === '' ? '' : ` ${mode}`}`);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      // A connection whose rollback failed is in an unknown state: destroy it.
      client.release(broken);
    }
  }

  sql(text: string): string {
    return text.replaceAll('{s}', this.s);
  }
}
