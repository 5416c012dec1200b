// A worker thread's retries reach the registry /metrics serves: the ingest thread forwards each clash it counts to the
// API thread (src/http/ingest-worker.ts), which records it as its own.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configureMetrics, forwardRetries, recordRetry, registry } from '../../src/metrics/index.js';
import type { RetryOperation } from '../../src/metrics/index.js';

async function retries(operation: RetryOperation): Promise<number> {
  const metric = registry.getSingleMetric('revtrail_retries_total');
  const values = (await metric!.get()).values;
  return values.find((v) => v.labels.operation === operation)?.value ?? 0;
}

describe('forwarded retries', () => {
  beforeAll(() => configureMetrics({ enabled: true, role: 'api' }));
  afterEach(() => forwardRetries(null));

  it('go to the forward instead of this thread’s registry, and to the registry again once it is removed', async () => {
    const before = await retries('command_clash');
    const forwarded: [RetryOperation, number][] = [];
    forwardRetries((operation, count) => forwarded.push([operation, count]));
    recordRetry('command_clash');
    recordRetry('command_clash', 3);
    expect(forwarded).toEqual([
      ['command_clash', 1],
      ['command_clash', 3],
    ]);
    expect(await retries('command_clash')).toBe(before);

    forwardRetries(null);
    for (const [operation, count] of forwarded) recordRetry(operation, count);
    expect(await retries('command_clash')).toBe(before + 4);
  });
});
