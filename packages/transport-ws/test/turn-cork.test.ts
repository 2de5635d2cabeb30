import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TurnCork } from '../src/turn-cork.js';

/** A stream that records each batch it is handed to write. */
function recordingStream(): { stream: Duplex; batches: string[][] } {
  const batches: string[][] = [];
  const stream = new Duplex({
    read() {},
    writev(chunks, done) {
      batches.push(chunks.map((c) => String(c.chunk)));
      done();
    },
    write(chunk, _encoding, done) {
      batches.push([String(chunk)]);
      done();
    },
  });
  return { stream, batches };
}

describe('TurnCork', () => {
  it("writes a stream's frames of one turn in one batch, and each turn's apart", async () => {
    const cork = new TurnCork();
    const a = recordingStream();
    const b = recordingStream();
    expect(cork.cork(a.stream)).toBe(true);
    a.stream.write('1');
    expect(cork.cork(a.stream)).toBe(false);
    a.stream.write('2');
    cork.cork(b.stream);
    b.stream.write('x');
    // A writer that corks around its own frame (as ws does) leaves the turn's cork in place.
    a.stream.cork();
    a.stream.write('3');
    a.stream.uncork();
    expect(a.batches).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(a.batches).toEqual([['1', '2', '3']]);
    expect(b.batches).toEqual([['x']]);
    cork.cork(a.stream);
    a.stream.write('4');
    await new Promise((resolve) => setImmediate(resolve));
    expect(a.batches).toEqual([['1', '2', '3'], ['4']]);
  });

  it('lets go of a stream that ended or was destroyed within the turn', async () => {
    const cork = new TurnCork();
    const a = recordingStream();
    cork.cork(a.stream);
    a.stream.write('bye');
    a.stream.end();
    const c = recordingStream();
    c.stream.destroy();
    expect(cork.cork(c.stream)).toBe(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(a.batches.flat()).toEqual(['bye']);
  });
});
