import { describe, expect, it } from 'vitest';
import { upcast } from '../../schemas/index.js';

const v1 = {
  type: 'InvoiceIssued',
  data: { invoiceId: 'I', amount: '10.00' },
  metadata: { schemaVersion: 1, actor: 'a' },
};

describe('stored payload upcasting', () => {
  it('leaves current events untouched', () => {
    expect(upcast(v1)).toBe(v1);
  });

  it('upcasts old events on read, step by step, without touching the stored one', () => {
    const registry = {
      InvoiceIssued: {
        1: (d: Record<string, unknown>) => ({ ...d, currencyAmount: d.amount, amount: undefined }),
        2: (d: Record<string, unknown>) => ({ invoiceId: d.invoiceId, total: d.currencyAmount }),
      },
    };
    const read = upcast(v1 as never, registry as never, { InvoiceIssued: 3 });
    expect(read).toMatchObject({
      data: { invoiceId: 'I', total: '10.00' },
      metadata: { schemaVersion: 3, actor: 'a' },
    });
    expect(v1.data).toEqual({ invoiceId: 'I', amount: '10.00' });
  });

  it('refuses a version it has no path for, and one newer than it knows', () => {
    expect(() => upcast(v1, {}, { InvoiceIssued: 2 })).toThrow(/no upcaster for InvoiceIssued v1 -> v2/);
    expect(() => upcast({ ...v1, metadata: { schemaVersion: 5 } })).toThrow(/newer than this build/);
  });
});
