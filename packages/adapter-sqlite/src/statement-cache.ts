import type { Database, Statement } from 'better-sqlite3';

/** Queries whose text depends on the call (filters, cursors) are prepared once per shape. */
export function statementCache(db: Database): (text: string) => Statement {
  const prepared = new Map<string, Statement>();
  return (text) => {
    let statement = prepared.get(text);
    if (statement === undefined) {
      statement = db.prepare(text);
      prepared.set(text, statement);
    }
    return statement;
  };
}
