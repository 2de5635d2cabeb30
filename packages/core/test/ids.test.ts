import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { directKey, newId } from '../src/index.js';

describe('newId', () => {
  it('makes UUIDv7 ids: well-formed, unique, and ordered by time', async () => {
    const ids = Array.from({ length: 5000 }, () => newId());
    for (const id of ids.slice(0, 50)) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    const before = newId();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(newId() > before).toBe(true);
  });

  it('is strictly increasing within one process, even many ids in one millisecond', () => {
    const ids = Array.from({ length: 20_000 }, () => newId());
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!, `${ids[i - 1]} then ${ids[i]}`).toBe(true);
  });
});

describe('directKey', () => {
  it('is the same for (a, b) and (b, a), and differs for other pairs', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b, c) => {
        expect(directKey(a, b)).toBe(directKey(b, a));
        if (c !== a && c !== b) expect(directKey(a, c)).not.toBe(directKey(a, b));
      }),
    );
    expect(directKey('x\u0000y', 'z')).not.toBe(directKey('x', 'y\u0000z'));
  });
});
