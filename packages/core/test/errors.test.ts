import { describe, expect, it } from 'vitest';
import { ChatError } from '../src/index.js';

describe('ChatError', () => {
  it('is recognised across copies of core (ESM and CommonJS side by side), and nothing else is', () => {
    // What another copy of the class makes: its own prototype chain, the shared brand.
    const brand: symbol = Symbol.for('parley.ChatError');
    class OtherCopy extends Error {
      readonly code = 'NOT_FOUND';
      constructor(message: string) {
        super(message);
        Object.defineProperty(this, brand, { value: true });
      }
    }
    expect(new OtherCopy('x') instanceof ChatError).toBe(true);
    expect(new ChatError('FORBIDDEN', 'no') instanceof ChatError).toBe(true);
    expect(ChatError.is(new OtherCopy('x'), 'NOT_FOUND')).toBe(true);
    expect(new Error('plain') instanceof ChatError).toBe(false);
    expect({ code: 'NOT_FOUND', message: 'duck' } instanceof ChatError).toBe(false);
    expect((null as unknown as object) instanceof ChatError).toBe(false);
    expect(new ChatError('FORBIDDEN', 'no') instanceof Error).toBe(true);
  });

  it('serialises to its code, message and details only', () => {
    expect(JSON.parse(JSON.stringify(new ChatError('VALIDATION_FAILED', 'bad', { field: 'x' })))).toEqual({ code: 'VALIDATION_FAILED', message: 'bad', details: { field: 'x' } });
  });
});
