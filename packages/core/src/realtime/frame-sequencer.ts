/**
 * Keeps one connection's frames in arrival order without serialising different connections
 * against each other (SPEC §7, "Order"):
 * - a frame starts once every earlier frame of the connection has finished — except a send,
 *   which starts as soon as the earlier frame has reached its *ordering point*: for a send,
 *   the moment it is queued for storage (its seq among the conversation's messages is then
 *   fixed); for any other frame, the moment it finishes. So a client may pipeline many sends
 *   and they are stored in frame order, while each other frame sees the effects of all
 *   frames before it;
 * - replies leave in frame order, whatever order the work finishes in.
 */
export class FrameSequencer {
  /** Resolves when the latest frame reached its ordering point. */
  private ordered: Promise<void> = Promise.resolve();
  /** Resolves when every frame so far has finished. */
  private completed: Promise<void> = Promise.resolve();
  /** Resolves when the latest frame's reply has been sent. */
  private replied: Promise<void> = Promise.resolve();
  private pending = 0;

  /**
   * Schedules one frame. `work` gets the function that marks its ordering point (it is marked
   * anyway when the work ends) and returns the function that sends its reply; it must not
   * throw. The returned promise settles once the reply is sent.
   */
  schedule(pipelined: boolean, work: (markOrdered: () => void) => Promise<() => void>): Promise<void> {
    const gate = pipelined ? this.ordered : this.completed;
    const previousReply = this.replied;
    const ordered = deferred();
    const done = deferred();
    const replied = deferred();
    this.ordered = ordered.promise;
    this.completed = this.pending === 0 ? done.promise : Promise.all([this.completed, done.promise]).then(noop);
    this.replied = replied.promise;
    this.pending += 1;
    return (async () => {
      let reply: () => void = noop;
      try {
        await gate;
        reply = await work(ordered.resolve);
      } finally {
        ordered.resolve();
        done.resolve();
      }
      await previousReply;
      try {
        reply();
      } finally {
        this.pending -= 1;
        replied.resolve();
      }
    })();
  }

  /** Resolves once every frame scheduled so far has been answered. */
  idle(): Promise<void> {
    return this.replied;
  }
}

function noop(): void {}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
