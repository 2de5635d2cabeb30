import { foldText } from '@parley/core/adapter-kit';
import type { Database } from 'better-sqlite3';

/**
 * Keeps the FTS5 index (`message_search`) current without indexing inside each send's
 * transaction: FTS5 insertion was about half of a send's database time. A send only writes its
 * message row; the rows above the watermark `search_state.indexed_upto` (a rowid: rowids only
 * grow, see `clampAfterDelete`) are indexed together in one separate write shortly after —
 * `delayMs` after the first send of a burst — and, before anything reads or changes the index
 * (a search, an edit, a delete), inside that operation's own transaction, by whichever
 * connection or process gets there first. So a search always sees every committed message: the
 * delay bounds only how long the index itself lags, never what a search returns.
 */
export class SearchIndexer {
  private readonly q;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(
    private readonly db: Database,
    private readonly delayMs: number,
  ) {
    this.q = {
      watermark: db.prepare<[], { indexed_upto: number }>('SELECT indexed_upto FROM search_state WHERE id = 1'),
      newest: db.prepare<[], { newest: number | null }>('SELECT MAX(rowid) AS newest FROM messages'),
      pending: db.prepare<[number], { rowid: number; content: string }>(
        `SELECT rowid, content FROM messages
         WHERE rowid > ? AND content IS NOT NULL AND type <> 'system' AND deleted_for_everyone = 0 ORDER BY rowid`,
      ),
      index: db.prepare('INSERT INTO message_search (rowid, body) VALUES (?, ?)'),
      setWatermark: db.prepare('UPDATE search_state SET indexed_upto = ? WHERE id = 1'),
      clamp: db.prepare('UPDATE search_state SET indexed_upto = MIN(indexed_upto, COALESCE((SELECT MAX(rowid) FROM messages), 0)) WHERE id = 1'),
    };
    // Sends committed by a process that stopped before its flush.
    if (this.behind()) this.schedule();
  }

  /** Messages were committed: index them soon, together with the rest of the burst. */
  schedule(): void {
    if (this.timer !== null || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      try {
        this.flush();
      } catch {
        // Another connection holds the lock past the busy timeout, or the disk is full: the
        // next send, search, edit or delete catches up.
      }
    }, this.delayMs);
    this.timer.unref?.();
  }

  /** Indexes every committed message not yet indexed, in its own transaction when outside one. */
  flush(): void {
    if (!this.behind()) return;
    if (this.db.inTransaction) this.catchUp();
    else this.db.transaction(() => this.catchUp()).immediate();
  }

  /**
   * Within the caller's write transaction: index what is pending, so that the index can be read
   * or changed row by row. Cheap when nothing is (two lookups at the ends of b-trees).
   */
  catchUp(): void {
    const upto = this.q.watermark.get()!.indexed_upto;
    const newest = this.q.newest.get()!.newest ?? 0;
    if (newest <= upto) return;
    // `all`, not `iterate`: better-sqlite3 runs no other statement while an iterator is open.
    for (const row of this.q.pending.all(upto)) this.q.index.run(row.rowid, foldText(row.content));
    this.q.setWatermark.run(newest);
  }

  /**
   * After messages were deleted with their conversation (their index rows deleted too): a new
   * row may now take a rowid at or below the watermark (SQLite gives max(rowid) + 1), so bring
   * the watermark down to the newest remaining row. Everything up to it is indexed.
   */
  clampAfterDelete(): void {
    this.q.clamp.run();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private behind(): boolean {
    return (this.q.newest.get()!.newest ?? 0) > this.q.watermark.get()!.indexed_upto;
  }
}
