// Canonical JSON is what content hashes, event ids and the log's hash chain are computed over: its text must stay
// exactly "keys in UTF-16 code-unit order (as Array.prototype.sort orders strings), members left undefined dropped,
// JSON.stringify for everything else", whatever path writes it (small objects sorted by insertion, large ones by sort,
// deep ones from an explicit stack).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Json } from '../../schemas/index.js';
import { canonicalJson } from '../../schemas/index.js';

/** The definition, written plainly. */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${reference(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

// Keys that make order matter: integer-like keys (enumerated first, in numeric order), prefixes, case, non-ASCII and
// astral characters (code-unit order differs from code-point order there).
const key = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.integer({ min: 0, max: 120 }).map(String),
  fc.constantFrom('a', 'A', 'aa', 'a0', 'é', 'z', '\uffff', '\u{1f600}', '10', '9', '-1', '01', ''),
);

describe('canonicalJson', () => {
  it('equals the plain definition for objects of any size and nesting', () => {
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean()),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 5 }),
        fc.dictionary(key, fc.option(tie('value'), { nil: undefined }), { maxKeys: 40 }),
      ),
    }));
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v as Json)).toBe(reference(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('orders integer-like keys as text, not as numbers, on either side of the small-object limit', () => {
    for (const n of [3, 24, 25, 60]) {
      const o: Record<string, number> = {};
      for (let i = n - 1; i >= 0; i--) o[String(i * 7)] = i;
      o.b = -1;
      o.B = -2;
      expect(canonicalJson(o)).toBe(reference(o));
    }
    expect(canonicalJson({ 10: 1, 9: 2, b: 3, a: 4 })).toBe('{"10":1,"9":2,"a":4,"b":3}');
  });

  it('writes values nested past the recursion depth the same way', () => {
    let deep: Json = { z: 1, a: [1, { y: 2, b: 3 }] };
    for (let i = 0; i < 600; i++) deep = { k: deep, ...(i % 2 ? { a: i } : {}) };
    expect(canonicalJson(deep)).toBe(reference(deep));
  });
});
