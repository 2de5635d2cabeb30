import type { Duplex } from 'node:stream';

/**
 * Writes each socket's frames of one event-loop turn together: the first frame of a turn
 * corks the socket's stream, and one `setImmediate` for all of them uncorks every stream
 * corked in that turn, so a socket that gets a reply, a broadcast and an unread push in one
 * turn costs one `writev` (one syscall, fewer TCP segments), not three.
 */
export class TurnCork {
  private corked: Duplex[] = [];

  /**
   * Call before writing to `stream`; it is uncorked once the turn's work is done. True for
   * the turn's first write (the stream was not corked yet).
   */
  cork(stream: Duplex): boolean {
    if (stream.writableCorked > 0 || stream.destroyed) return false;
    stream.cork();
    if (this.corked.push(stream) === 1) setImmediate(this.uncorkAll);
    return true;
  }

  private readonly uncorkAll = () => {
    const streams = this.corked;
    this.corked = [];
    // ws corks and uncorks around each frame it writes, so only our own cork is left here
    // (or none, if the stream ended meanwhile: `end()` uncorks).
    for (const stream of streams) if (stream.writableCorked > 0) stream.uncork();
  };
}
