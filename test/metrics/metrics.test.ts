// Prometheus metrics through the real service: `revtrail start` as a process, a scripted day (events appended, a
// duplicate, a held and two refused ones, a contract with an unmapped SKU, a posting run to the file connector, ERP
// tie-outs before and after a manual entry in the ERP), then GET /metrics over HTTP with a key holding only the
// `metrics` scope, and every family's values checked against what the day did.
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUE, DEMO_ENTITIES, publishMapping } from '../../src/demo/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import { ProductMappingSet } from '../../schemas/index.js';
import { run, startService, stop } from '../support/cli.js';
import type { Started } from '../support/cli.js';

const OPS = 'ops-key-0123456789abcdef';
const PROM = 'prom-key-0123456789abcdef';
const KEYS = [
  { name: 'ops', scopes: ['ingest', 'read', 'post'], key: OPS },
  { name: 'prometheus', scopes: ['metrics'], key: PROM },
];

/** One sample of the exposition: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when there is none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0]?.value;
}

const sumOf = (samples: Sample[], name: string, labels: Record<string, string> = {}): number =>
  samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);

const source = (id: string) => ({ system: 'crm', id, version: 1 });
const booking = (contractId: string, sku: string, amount: string) => ({
  type: 'ContractBooked',
  contractId,
  source: source(`${contractId}-booking`),
  occurredAt: '2026-01-01T09:00:00Z',
  data: {
    version: 1,
    customerId: 'CUST-1',
    legalEntity: 'US01',
    currency: 'USD',
    bookingDate: '2026-01-01',
    lines: [{ lineId: 'L1', sku, quantity: '1', amount, serviceStart: '2026-01-01', serviceEnd: '2026-12-31' }],
  },
});
const invoice = (contractId: string, invoiceId: string, amount: string) => ({
  type: 'InvoiceIssued',
  contractId,
  source: { system: 'billing', id: invoiceId, version: 1 },
  occurredAt: '2026-01-02T09:00:00Z',
  data: { invoiceId, invoiceDate: '2026-01-02', lines: [{ lineId: 'L1', amount }] },
});

const TIE_OUT = /* GraphQL */ `
  query ($period: String!, $le: String) {
    erpTieOut(period: $period, legalEntity: $le) {
      differences {
        account
      }
    }
  }
`;

describe('GET /metrics on a real service after a scripted day', () => {
  let dir: string;
  let svc: Started;
  let samples: Sample[];
  let day: { ingestRequests: number; posting: Record<string, unknown>; breaks: number };

  const call = async (method: string, path: string, body: unknown, key: string) => {
    const res = await fetch(`${svc.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const scrape = async (): Promise<Sample[]> => {
    const res = await fetch(`${svc.url}/metrics`, { headers: { authorization: `Bearer ${PROM}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseExposition(await res.text());
  };
  /** Scrapes until `ready` holds (the watcher refreshes every 200 ms; projections follow the log), or the deadline. */
  const scrapeUntil = async (ready: (s: Sample[]) => boolean): Promise<Sample[]> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const s = await scrape();
      if (ready(s) || Date.now() > deadline) return s;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-metrics-'));
    const env = {
      REVTRAIL_STORE: join(dir, 'events.db'),
      REVTRAIL_DATA_DIR: dir,
      REVTRAIL_API_KEYS: JSON.stringify(KEYS),
      REVTRAIL_DEMO_CONTRACTS: '0',
      REVTRAIL_CONNECTOR: 'file',
      REVTRAIL_ERP_DIR: join(dir, 'erp'),
      REVTRAIL_POSTING_BACKOFF_MS: '1',
      REVTRAIL_METRICS_REFRESH_MS: '200',
      // A held event is an exception at once (HELD_TOO_LONG), so the day shows one.
      REVTRAIL_HELD_MAX_AGE_DAYS: '0',
      // Refused inputs are due within 0.36 s, so they are past their SLA when scraped; every other kind is not.
      REVTRAIL_EXCEPTION_SLA: 'refused_input=0.0001',
    };
    const store = new SqliteEventStore({ path: env.REVTRAIL_STORE });
    await publishMapping(
      store,
      'products',
      ProductMappingSet.parse({ products: CATALOGUE, reason: 'catalogue' }),
      new Date(),
    );
    await publishMapping(store, 'accounts', { entities: DEMO_ENTITIES, reason: 'chart' }, new Date());
    await store.close();
    svc = await startService(env);

    const ingest = (events: unknown[]) => call('POST', '/v1/events', { events }, OPS);
    const first = await ingest([
      booking('C-M1', 'PLAT-STD', '1200.00'),
      invoice('C-M1', 'INV-1', '1200.00'),
      booking('C-M3', 'NO-SUCH-SKU', '500.00'),
    ]);
    expect(first.body.counts, JSON.stringify(first.body.results)).toEqual({
      appended: 3,
      duplicate: 0,
      held: 0,
      rejected: 0,
    });
    const second = await ingest([
      booking('C-M1', 'PLAT-STD', '1200.00'), // the same source record again: a duplicate
      invoice('C-M2', 'INV-2', '300.00'), // its contract is not booked yet: held
      {
        ...booking('C-M4', 'PLAT-STD', '1200.00'),
        data: { ...booking('C-M4', 'PLAT-STD', '1').data, currency: 'usd' },
      },
      booking('C-M5', 'PLAT-STD', '1200.001'), // more decimals than USD has: refused, 1200.00 USD at stake
    ]);
    expect(second.body.counts, JSON.stringify(second.body.results)).toEqual({
      appended: 0,
      duplicate: 1,
      held: 1,
      rejected: 2,
    });

    const run = await call('POST', '/v1/posting-runs', { period: '2026-01' }, OPS);
    expect(run.status).toBe(201);
    const tieOut = async () => {
      const res = await call('POST', '/graphql', { query: TIE_OUT, variables: { period: '2026-01', le: 'US01' } }, OPS);
      expect(res.body.errors).toBeUndefined();
      return (res.body.data.erpTieOut.differences as unknown[]).length;
    };
    expect(await tieOut()).toBe(0);
    const erpDir = join(dir, 'erp');
    const [file] = readdirSync(erpDir).filter((f) => f.endsWith('.journal'));
    appendFileSync(
      join(erpDir, file!),
      '\n2026-01-20 write-off  ; legalEntity: US01\n    4000    25.00 USD\n    1100    -25.00 USD\n',
    );
    const breaks = await tieOut();
    expect(breaks).toBe(2);
    day = { ingestRequests: 2, posting: run.body, breaks };
    const posted = Number(run.body.posted);
    samples = await scrapeUntil(
      (s) =>
        valueOf(s, 'revtrail_journals', { status: 'posted' }) === posted &&
        sumOf(s, 'revtrail_exceptions_open') === 5 &&
        valueOf(s, 'revtrail_exceptions_overdue', { kind: 'refused_input' }) === 2 &&
        sumOf(s, 'revtrail_projection_lag_events') === 0 &&
        (valueOf(s, 'revtrail_projection_events_total', { projection: 'posting-status' }) ?? 0) > 0,
    );
  }, 120_000);

  afterAll(async () => {
    if (svc) expect(await stop(svc.child)).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('needs the metrics scope: 401 without a key, 403 for a key without the scope', async () => {
    expect((await fetch(`${svc.url}/metrics`)).status).toBe(401);
    const res = await fetch(`${svc.url}/metrics`, { headers: { authorization: `Bearer ${OPS}` } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('MISSING_SCOPE');
  });

  it('labels every sample with the role and partition of the process, and has Node process metrics', () => {
    expect(samples.every((s) => s.labels.role === 'api' && s.labels.partition === 'all')).toBe(true);
    expect(valueOf(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(valueOf(samples, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('counts events received by type and outcome, and times each ingest request', () => {
    const received = (type: string, outcome: string) =>
      valueOf(samples, 'revtrail_events_received_total', { type, outcome });
    expect(received('ContractBooked', 'appended')).toBe(2);
    expect(received('InvoiceIssued', 'appended')).toBe(1);
    expect(received('ContractBooked', 'duplicate')).toBe(1);
    expect(received('InvoiceIssued', 'held')).toBe(1);
    expect(received('ContractBooked', 'rejected')).toBe(2);
    expect(sumOf(samples, 'revtrail_events_received_total')).toBe(7);
    expect(valueOf(samples, 'revtrail_ingest_request_duration_seconds_count', { status: '2xx' })).toBe(
      day.ingestRequests,
    );
    const inf = valueOf(samples, 'revtrail_ingest_request_duration_seconds_bucket', { status: '2xx', le: '+Inf' });
    expect(inf).toBe(day.ingestRequests);
    expect(valueOf(samples, 'revtrail_ingest_request_duration_seconds_sum', { status: '2xx' })).toBeGreaterThan(0);
  });

  it('reports each projection’s events read and lag from the live runner', () => {
    for (const projection of ['contract-versions', 'revenue-schedule', 'posting-status', 'lineage-index']) {
      // Every event of the day is in the log, projected: the mappings (2), 5 contract events, the run's journal events.
      expect(valueOf(samples, 'revtrail_projection_events_total', { projection })).toBeGreaterThanOrEqual(7);
      expect(valueOf(samples, 'revtrail_projection_lag_events', { projection })).toBe(0);
      expect(valueOf(samples, 'revtrail_projection_lag_seconds', { projection })).toBeGreaterThanOrEqual(0);
      expect(valueOf(samples, 'revtrail_projection_busy_seconds_total', { projection })).toBeGreaterThan(0);
      expect(valueOf(samples, 'revtrail_projection_last_batch_timestamp_seconds', { projection })).toBeGreaterThan(
        Date.parse('2026-01-01') / 1000,
      );
    }
  });

  it('counts journals by status, the posting run, its outcome and its ERP calls', () => {
    const posted = Number(day.posting.posted);
    expect(posted).toBeGreaterThan(0);
    expect(valueOf(samples, 'revtrail_journals', { status: 'posted' })).toBe(posted);
    expect(valueOf(samples, 'revtrail_journals', { status: 'rejected' })).toBe(0);
    expect(valueOf(samples, 'revtrail_posting_run_duration_seconds_count', { outcome: 'completed' })).toBe(1);
    expect(valueOf(samples, 'revtrail_posting_journals_total', { outcome: 'posted' })).toBe(posted);
    expect(valueOf(samples, 'revtrail_posting_journals_total', { outcome: 'rejected' })).toBe(0);
    const blocked = day.posting.blocked as Record<string, number>;
    expect(Object.values(blocked).reduce((a, b) => a + b, 0)).toBe(1); // C-M3, its SKU unmapped
    for (const [code, n] of Object.entries(blocked))
      expect(valueOf(samples, 'revtrail_posting_blocked_contracts', { code })).toBe(n);
    const submits = { connector: 'file', operation: 'submit' };
    expect(valueOf(samples, 'revtrail_erp_call_duration_seconds_count', submits)).toBe(posted);
    expect(sumOf(samples, 'revtrail_erp_call_errors_total')).toBe(0);
    expect(valueOf(samples, 'revtrail_retries_total', { operation: 'posting_submit' })).toBe(0);
    expect(valueOf(samples, 'revtrail_retries_total', { operation: 'command_clash' })).toBe(0);
  });

  it('shows the active work items of the exceptions model by kind, code and age, and the amount at stake', () => {
    // The unmapped SKU, the invoice of a contract not booked (held past 0 days) and its contract's schedule without a
    // booking (dated by the invoice's receipt), the two refused inputs: all received in the last minutes.
    const open = (kind: string, code: string) =>
      valueOf(samples, 'revtrail_exceptions_open', { kind, code, age_bucket: '0-1h' });
    expect(sumOf(samples, 'revtrail_exceptions_open')).toBe(5);
    expect(open('schedule', 'NO_BOOKING')).toBe(1);
    expect(open('schedule', 'UNMAPPED_SKU')).toBe(1);
    expect(open('held_too_long', 'HELD_TOO_LONG')).toBe(1);
    expect(open('refused_input', 'INVALID_CURRENCY')).toBe(1);
    expect(open('refused_input', 'MONEY_PRECISION')).toBe(1);
    // Blocked contracts are not listed here (each posting run counts them): C-M3 is blocked, and not an item.
    expect(sumOf(samples, 'revtrail_exceptions_open', { kind: 'journal_blocked' })).toBe(0);
    // In currency units: the unmapped line's 500.00 USD, the refused booking's 1200.00 USD (not 120000 cents).
    const atStake = (kind: string) =>
      valueOf(samples, 'revtrail_exceptions_amount_at_stake', { kind, currency: 'USD' });
    expect(atStake('schedule')).toBe(500);
    expect(atStake('refused_input')).toBe(1200);
    // No currency to count in: the held invoice's contract is not booked; the other refused input said "usd".
    expect(valueOf(samples, 'revtrail_exceptions_amount_at_stake', { kind: 'held_too_long' })).toBeUndefined();
    expect(sumOf(samples, 'revtrail_exceptions_amount_at_stake', { currency: 'usd' })).toBe(0);
    for (const kind of ['held_too_long', 'schedule', 'refused_input']) {
      const oldest = valueOf(samples, 'revtrail_exceptions_oldest_age_seconds', { kind })!;
      expect(oldest).toBeGreaterThan(0);
      expect(oldest).toBeLessThan(3600);
    }
  });

  it('counts the active items past their SLA by kind, every counted kind at 0 when none is', () => {
    const overdue = (kind: string) => valueOf(samples, 'revtrail_exceptions_overdue', { kind });
    // REVTRAIL_EXCEPTION_SLA gives refused inputs 0.36 s; the schedule and held items have days.
    expect(overdue('refused_input')).toBe(2);
    for (const kind of ['held', 'held_too_long', 'schedule', 'quarantined', 'journal_rejected', 'reconciliation_break'])
      expect(overdue(kind)).toBe(0);
    expect(overdue('journal_blocked')).toBeUndefined();
  });

  it('keeps the last tie-out’s breaks per scope and counts tie-outs by outcome', () => {
    expect(valueOf(samples, 'revtrail_reconciliation_breaks', { legal_entity: 'US01', period: '2026-01' })).toBe(
      day.breaks,
    );
    expect(valueOf(samples, 'revtrail_reconciliations_total', { outcome: 'tied' })).toBe(1);
    expect(valueOf(samples, 'revtrail_reconciliations_total', { outcome: 'breaks' })).toBe(1);
  });

  it('counts periods with journals still open past their close date', () => {
    // 2026-01 ended long before now (REVTRAIL_CLOSE_DAYS 10) and nobody closed it.
    expect(valueOf(samples, 'revtrail_close_backlog_periods', { legal_entity: 'US01' })).toBe(1);
    const overdue = valueOf(samples, 'revtrail_close_overdue_seconds', { legal_entity: 'US01' })!;
    const due = Date.parse('2026-02-11T00:00:00Z');
    expect(Math.abs(overdue - (Date.now() - due) / 1000)).toBeLessThan(120);
  });

  it('declares the replay counter others record into', async () => {
    const text = await (await fetch(`${svc.url}/metrics`, { headers: { authorization: `Bearer ${PROM}` } })).text();
    expect(text).toMatch(/^# TYPE revtrail_replays_total counter$/m);
  });
});

describe('REVTRAIL_METRICS', () => {
  it('takes on or off, and a start with another value is refused naming the variable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'revtrail-metrics-config-'));
    try {
      const r = await run(['start'], {
        REVTRAIL_STORE: join(dir, 'r.db'),
        REVTRAIL_DATA_DIR: dir,
        REVTRAIL_METRICS: 'yes',
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/REVTRAIL_METRICS: .*"on"\|"off"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
