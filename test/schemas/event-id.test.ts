// Event ids are uuid v5 of the idempotency key under a namespace fixed forever: every stored id depends on it.
import fc from 'fast-check';
import { v5 as uuidv5 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { REVTRAIL_EVENT_NAMESPACE, eventIdFor } from '../../schemas/index.js';

describe('event ids', () => {
  it('an id is the uuid v5 of its key, for any key (ASCII, any Unicode, empty)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })), (key) => {
        expect(eventIdFor(key)).toBe(uuidv5(key, REVTRAIL_EVENT_NAMESPACE));
      }),
      { numRuns: 2000 },
    );
  });

  it('ids already stored stay what they were', () => {
    expect(eventIdFor('')).toBe('869e2e12-f002-5414-9c6d-017a6c5d1f5f');
    expect(eventIdFor('\u{1F600}')).toBe('e3517e9a-7815-56e8-9540-1c04f9ed3d14');
  });

  it('a key with a lone surrogate has no UTF-8 and is refused, as uuid v5 refuses it', () => {
    for (const key of ['a\uD800b', '\uDC00', 'x\uD83D'])
      expect(() => eventIdFor(key)).toThrow(expect.objectContaining({ name: 'URIError' }) as Error);
  });
});
