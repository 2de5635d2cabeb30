import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChatError } from '../src/index.js';
import { readClientFrame } from '../src/realtime/client-frame.js';
import { clientFrameSchema } from '../src/realtime/protocol.js';

/** The hand-written envelope check takes exactly what `clientFrameSchema` takes, and gives the same frame. */
describe('client frame envelope (property)', () => {
  const field = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.string({ maxLength: 70 }),
    fc.string({ minLength: 125, maxLength: 131 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.array(fc.integer(), { maxLength: 2 }),
    fc.object({ maxDepth: 1 }),
  );
  const envelope = fc.oneof(
    fc.record({ type: field, id: field, data: field }, { requiredKeys: [] }),
    fc.record({ type: fc.string({ minLength: 1, maxLength: 64 }), id: fc.option(fc.oneof(fc.string({ maxLength: 130 }), fc.double()), { nil: undefined }), data: field }, { requiredKeys: ['type'] }),
    fc.jsonValue(),
  );

  it('accepts and refuses what zod does, with the same result', () => {
    fc.assert(
      fc.property(envelope, (raw) => {
        const value = JSON.parse(JSON.stringify(raw) ?? 'null') as unknown;
        const expected = clientFrameSchema.safeParse(value);
        let actual: unknown;
        try {
          actual = readClientFrame(value);
        } catch (error) {
          expect(error).toBeInstanceOf(ChatError);
          expect(expected.success).toBe(false);
          return;
        }
        expect(expected.success).toBe(true);
        expect(actual).toEqual(expected.data);
      }),
      { numRuns: 2_000 },
    );
  });
});
