// The console in a real browser: Debian's chromium driven by playwright-core against a real listening Revtrail on a
// temp SQLite store seeded with the demo company, one posting run made, and one refused input. Every request that
// would leave the host is blocked and recorded (none may be attempted), each screen is checked with axe-core (no
// serious or critical violation) and photographed into test-output/screenshots/ for a reviewer.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Decimal } from 'decimal.js';
import ExcelJS from 'exceljs';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../src/demo/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM)
  console.warn(
    `test/console: ${CHROMIUM} is not installed (scripts/chromium/install.sh): the browser tests are skipped`,
  );

const ADMIN = 'console-controller-key-0123456789';
const SHOTS = join(process.cwd(), 'test-output', 'screenshots');
const AXE = readFileSync(join(process.cwd(), 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

/** Polls until `ok` holds (the projections run live beside the server): generous deadline, no fixed sleep. */
async function until<T>(get: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits for a value the page shows (the page renders after its requests answer): 10 s before it fails. */
const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 10_000 });

/** Money as the console prints it: the server's decimal string with thousands grouped. */
const grouped = (value: string) => {
  const [whole = '', fraction] = value.split('.');
  const sign = whole.startsWith('-') ? '-' : '';
  const digits = whole.replace('-', '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${digits}${fraction !== undefined ? `.${fraction}` : ''}`;
};

describe.skipIf(!HAVE_CHROMIUM)('the console in chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  /** Requests to any host but this server's: blocked, and recorded so the test can say none was attempted. */
  const external: string[] = [];
  const requests: Request[] = [];
  const pageErrors: string[] = [];

  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const res = await t.call('POST', '/graphql', { query, variables }, ADMIN);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  };

  const caughtUp = () =>
    until(
      async () => (await t.app.projections.status()).every((s) => s.caughtUp),
      (ok) => ok,
      'the projections to catch up',
    );

  async function newContext(): Promise<{ context: BrowserContext; page: Page }> {
    const c = await browser.newContext();
    // A step that cannot happen fails within the test's time, naming the locator, rather than hanging the test.
    c.setDefaultTimeout(10_000);
    await c.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') return route.continue();
      external.push(url.href);
      return route.abort('blockedbyclient');
    });
    const p = await c.newPage();
    p.on('request', (r) => requests.push(r));
    p.on('pageerror', (err) => pageErrors.push(err.message));
    return { context: c, page: p };
  }

  async function open(hash: string, on: Page = page): Promise<void> {
    await on.goto(`${t.url}/console/${hash}`);
  }

  /** axe-core over the page as it stands: no serious or critical violation. */
  async function accessible(screen: string, on: Page = page): Promise<void> {
    if (!(await on.evaluate(() => 'axe' in globalThis))) await on.addScriptTag({ content: AXE });
    const violations = await on.evaluate(async () => {
      // The page's globals (this runs in the browser; the test's own types know no DOM).
      const page = globalThis as any;
      const result = await page.axe.run(page.document, { resultTypes: ['violations'] });
      return result.violations
        .filter((v: any) => v.impact === 'serious' || v.impact === 'critical')
        .map((v: any) => `${v.id}: ${v.nodes.map((n: any) => n.target.join(' ')).join(', ')}`);
    });
    expect(violations, `axe on ${screen}`).toEqual([]);
  }

  async function shot(name: string, on: Page = page): Promise<void> {
    await on.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  }

  /** The posting run made before the tests: its batch's journals. */
  let runId: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await startTestApp({
      REVTRAIL_API_KEYS: JSON.stringify([{ name: 'controller', scopes: ['admin'], key: ADMIN }]),
      REVTRAIL_PROJECTIONS: 'live',
      REVTRAIL_CONNECTOR: 'file',
      REVTRAIL_POSTING_BACKOFF_MS: '1',
    });
    await seedDemo(t.app.store, { contracts: 30, seed: 1 });
    const run = await t.call('POST', '/v1/posting-runs', { period: '2026-03' }, ADMIN);
    expect(run.status).toBe(201);
    runId = run.body.runId;
    expect(run.body.posted).toBeGreaterThan(0);
    // A booking in a currency no entity has: refused at the edge, an exception to work.
    const refused = await t.post([
      {
        type: 'ContractBooked',
        contractId: 'C-REFUSED',
        source: { system: 'crm', id: 'OPP-REFUSED', version: 1 },
        occurredAt: '2026-01-15T10:00:00Z',
        data: {
          version: 1,
          customerId: 'K-1',
          legalEntity: 'US01',
          currency: 'XYZ',
          bookingDate: '2026-01-15',
          lines: [{ lineId: 'A', sku: 'PLAT', quantity: '1', amount: '300.00' }],
        },
      },
    ]);
    expect(refused.counts.rejected).toBe(1);
    await caughtUp();
    browser = await chromium.launch({ executablePath: CHROMIUM });
    ({ page } = await newContext());
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('a wrong key gets a clear message and stays on the key screen', async () => {
    await open('');
    await accessible('key screen');
    await shot('key-screen');
    await page.getByLabel('API key').fill('not-a-valid-key-000000');
    await page.getByRole('button', { name: 'Open the console' }).click();
    await poll(() => page.getByRole('alert').textContent()).toContain('The key was refused: 401 UNAUTHENTICATED');
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('revtrail.apiKey'))).toBeNull();
  });

  it('takes the key once, keeps it in session storage and never puts it in a URL', async () => {
    await page.getByLabel('API key').fill(ADMIN);
    await page.getByRole('button', { name: 'Open the console' }).click();
    await poll(() => page.getByTestId('key-name').textContent()).toBe('controller');
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('revtrail.apiKey'))).toBe(ADMIN);
    // A reload keeps it (session storage), with no key screen.
    await page.reload();
    await poll(() => page.getByTestId('key-name').textContent()).toBe('controller');
    expect(page.url()).not.toContain(ADMIN);
    expect(requests.filter((r) => r.url().includes(ADMIN))).toEqual([]);
    const api = requests.filter((r) => r.url().includes('/v1/whoami'));
    expect(api.length).toBeGreaterThan(0);
    expect(await api.at(-1)!.headerValue('authorization')).toBe(`Bearer ${ADMIN}`);
  });

  it('lists contracts a server page at a time', async () => {
    const ask = `query($after: String) { contracts(first: 20, after: $after) {
      totalCount pageInfo { endCursor } edges { node { id } } } }`;
    const first = (await gql(ask)).contracts;
    const second = (await gql(ask, { after: first.pageInfo.endCursor })).contracts;
    await open('#/contracts');
    const table = page.getByRole('table', { name: /^Contracts/ });
    await poll(() => table.locator('tbody tr').count()).toBe(20);
    expect(await table.locator('caption').textContent()).toBe(`Contracts (${first.totalCount})`);
    expect(await table.locator('tbody tr').first().locator('td').first().textContent()).toBe(first.edges[0].node.id);
    await accessible('contracts');
    await shot('contracts');
    await page.getByRole('button', { name: 'Next page' }).click();
    await poll(() => page.getByText(`Contracts 21–30 of ${first.totalCount}`).count()).toBe(1);
    expect(await table.locator('tbody tr').first().locator('td').first().textContent()).toBe(second.edges[0].node.id);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await poll(() => table.locator('tbody tr').first().locator('td').first().textContent()).toBe(
      first.edges[0].node.id,
    );
  });

  /** A contract with journals from the posting run, its schedule, and its first journal's lineage. */
  let contract: { id: string; bookingDate: string; periods: { period: string; amount: string }[]; journal: string };

  it('opens a contract: header, schedule amounts, raw events with hashes, journals', async () => {
    const all = await gql(`{ contracts(first: 30) { edges { node { id bookingDate
      schedule { periods { period amount } } journals { id } } } } }`);
    const found = all.contracts.edges
      .map((e: any) => e.node)
      .find((c: any) => c.journals.length > 0 && c.schedule?.periods.length > 0);
    expect(found).toBeDefined();
    contract = {
      id: found.id,
      bookingDate: found.bookingDate,
      periods: found.schedule.periods,
      journal: found.journals[0].id,
    };
    await open(`#/contract/${encodeURIComponent(contract.id)}`);
    await poll(() => page.getByTestId('contract-id').textContent()).toBe(contract.id);
    const firstPeriod = contract.periods[0]!;
    await poll(() => page.getByTestId(`schedule-${firstPeriod.period}`).textContent()).toBe(
      grouped(firstPeriod.amount),
    );
    const events = (await t.call('GET', `/v1/contracts/${contract.id}/events`, undefined, ADMIN)).body.events;
    const hash = page.getByTitle(events[0].metadata.contentHash);
    expect(await hash.count()).toBe(1);
    expect(await page.getByRole('link', { name: contract.journal }).count()).toBe(1);
    await accessible('contract');
    await shot('contract');
  });

  it('follows a journal to its lineage graph: lines, schedule lines, source events and records', async () => {
    const { lineage } = await gql(
      `query($id: ID!) { lineage(journalId: $id) { lines { index } scheduleLines { obligation }
        sourceEvents { eventId type source { system id } } } }`,
      { id: contract.journal },
    );
    expect(lineage.sourceEvents.some((e: any) => /Invoice/.test(e.type))).toBe(true);
    await page.getByRole('link', { name: contract.journal }).click();
    const graph = page.getByTestId('lineage-graph');
    await poll(() => graph.getAttribute('data-node-count')).not.toBeNull();
    const nodes = Number(await graph.getAttribute('data-node-count'));
    // The journal, its two mapping versions, each line, each source event and record, each schedule line (at least).
    expect(nodes).toBeGreaterThanOrEqual(3 + lineage.lines.length + lineage.sourceEvents.length);
    expect(await graph.locator('canvas').count()).toBeGreaterThan(0);
    const first = lineage.sourceEvents.find((e: any) => e.source)!;
    const record = page.getByRole('link', { name: `${first.source.system} ${first.source.id}` });
    expect(await record.count()).toBeGreaterThan(0);
    await accessible('lineage');
    await shot('lineage');
    // Forward from that source record: the trace reaches the contract.
    await record.first().click();
    await poll(() => page.getByRole('link', { name: `Contract ${contract.id}` }).count()).toBe(1);
    await accessible('trace');
    await shot('trace');
  });

  it('shows the contract as in effect on its booking date, the values that changed since highlighted', async () => {
    const { then, now } = await gql(
      `query($id: ID!, $on: String) { then: contractAsOf(id: $id, effectiveAt: $on) { balances { period billed } }
        now: contractAsOf(id: $id) { balances { period billed } } }`,
      { id: contract.id, on: contract.bookingDate },
    );
    const nowBilled = new Map(now.balances.map((b: any) => [b.period, b.billed]));
    const differs = then.balances.filter((b: any) => nowBilled.get(b.period) !== b.billed);
    await open(`#/as-of/${encodeURIComponent(contract.id)}`);
    const balances = page.getByRole('table', { name: /^Balances then/ });
    await poll(() => balances.locator('tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('td.changed').count()).toBe(0); // now against now: nothing changed
    await page.getByLabel('Effective at (YYYY-MM-DD)').fill(contract.bookingDate);
    await page.getByRole('button', { name: 'Show as of' }).click();
    await poll(() => page.url()).toContain(`effectiveAt=${contract.bookingDate}`);
    await poll(() => page.getByTestId('asof-summary').count()).toBe(1);
    expect(differs.length).toBeGreaterThan(0);
    await poll(() => balances.locator('td.changed').count()).toBeGreaterThanOrEqual(differs.length);
    const row = balances.locator('tbody tr', { has: page.locator(`td:text-is("${differs[0].period}")`) });
    expect(await row.locator('td.changed').count()).toBeGreaterThan(0);
    await accessible('as-of');
    await shot('as-of');
  });

  it('reads the waterfall (chart and table) and sends an export request with the key in the header only', async () => {
    const { revenueWaterfall } = await gql(
      `{ revenueWaterfall(legalEntity: "US01", from: "2026-01", to: "2026-12") { currencies { currency total } } }`,
    );
    const usd = revenueWaterfall.currencies.find((c: any) => c.currency === 'USD');
    await open('#/waterfall?legalEntity=US01&from=2026-01&to=2026-12');
    await poll(() => page.getByTestId('waterfall-total-USD').textContent()).toBe(grouped(usd.total));
    expect(await page.getByTestId('waterfall-chart').first().locator('canvas').count()).toBe(1);
    await accessible('waterfall');
    await shot('waterfall');
    const [request, csv] = await Promise.all([
      page.waitForRequest((r) => r.url().includes('/v1/exports/waterfall.csv')),
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download waterfall CSV' }).click(),
    ]);
    expect(csv.suggestedFilename()).toMatch(/^waterfall-.*\.csv$/);
    expect(await request.headerValue('authorization')).toBe(`Bearer ${ADMIN}`);
    expect(request.url()).not.toContain(ADMIN);
    expect(new URL(request.url()).searchParams.get('legalEntity')).toBe('US01');

    // The XLSX the browser saves is the server's workbook: its USD SKU rows add up to the waterfall's total, as
    // numbers, and so does its USD TOTAL row.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download waterfall XLSX' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^waterfall-.*\.xlsx$/);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(await download.path());
    const sheet = workbook.worksheets[0]!;
    const header = (sheet.getRow(1).values as unknown[]).map(String);
    const currencyColumn = header.indexOf('currency');
    const skuColumn = header.indexOf('sku');
    const totalColumn = header.indexOf('total');
    let total = new Decimal(0);
    const totalRows: unknown[] = [];
    sheet.eachRow((row, index) => {
      if (index === 1 || row.getCell(currencyColumn).value !== 'USD') return;
      const value = row.getCell(totalColumn).value;
      expect(typeof value).toBe('number');
      if (row.getCell(skuColumn).value === 'TOTAL') totalRows.push(value);
      else total = total.plus(value as number);
    });
    expect(total.toFixed(2)).toBe(new Decimal(usd.total).toFixed(2));
    expect(totalRows.map((v) => new Decimal(v as number).toFixed(2))).toEqual([new Decimal(usd.total).toFixed(2)]);
  });

  it('rolls deferred revenue forward per currency', async () => {
    const { deferredRevenueRollforward } = await gql(
      `{ deferredRevenueRollforward(legalEntity: "US01", period: "2026-03") { currencies { currency deferredRevenue { closing } } } }`,
    );
    const usd = deferredRevenueRollforward.currencies.find((c: any) => c.currency === 'USD');
    await open('#/rollforward?legalEntity=US01&period=2026-03');
    const table = page.getByRole('table', { name: /^USD/ });
    const deferred = table.locator('tbody tr').first();
    await poll(() => deferred.locator('td').nth(5).textContent()).toBe(grouped(usd.deferredRevenue.closing));
    await accessible('rollforward');
    await shot('rollforward');
  });

  it('reconciles an entity and period a server page at a time, breaks first, a break opening its journals', async () => {
    const { reconciliation } = await gql(
      `{ reconciliation(legalEntity: "US01", period: "2026-03") { breaks contractCount
        contractPage(first: 50) { edges { node { contractId } } } } }`,
    );
    const ids = reconciliation.contractPage.edges.map((e: any) => e.node.contractId);
    const count = reconciliation.contractCount;
    await open('#/reconciliation?legalEntity=US01&period=2026-03');
    await poll(() => page.getByTestId('recon-breaks').textContent()).toBe(
      `${reconciliation.breaks} contracts with breaks, of ${count}.`,
    );
    const rows = page.getByRole('table', { name: 'Per contract, breaks first' }).locator('tbody tr');
    // The first server page (25), then "More" appends the next; nothing asks for every row at once.
    await poll(() => rows.count()).toBe(Math.min(25, count));
    expect(await rows.first().locator('td').first().textContent()).toBe(ids[0]);
    const recon = requests.filter((r) => (r.postData() ?? '').includes('reconciliation('));
    expect(recon.every((r) => !/\bcontracts\s*\{/.test(r.postData() ?? ''))).toBe(true);
    if (count > 25) {
      await page.getByRole('button', { name: 'More contracts' }).click();
      await poll(() => rows.count()).toBe(Math.min(50, count));
      expect(await rows.nth(25).locator('td').first().textContent()).toBe(ids[25]);
      await poll(() => page.getByTestId('recon-shown').textContent()).toBe(
        `${Math.min(50, count)} of ${count} contracts shown.`,
      );
    }
    if (reconciliation.breaks > 0) {
      await rows.first().getByRole('button').click();
      await poll(() => page.getByRole('region', { name: /^Behind the break of / }).count()).toBe(1);
    }
    await accessible('reconciliation');
    await shot('reconciliation');
    const [request] = await Promise.all([
      page.waitForRequest((r) => r.url().includes('/v1/evidence')),
      page.getByRole('button', { name: 'Evidence pack (ZIP)' }).click(),
    ]);
    expect(await request.headerValue('authorization')).toBe(`Bearer ${ADMIN}`);
    expect(request.url()).toContain('period=2026-03');
  });

  it('assigns and resolves an exception through the workbench; the server holds the outcome', async () => {
    const { exceptions } = await gql(`{ exceptions(kind: "refused_input") { id code contractId status } }`);
    const item = exceptions.find((e: any) => e.contractId === 'C-REFUSED');
    expect(item).toMatchObject({ status: 'open' });
    await open('#/exceptions?kind=refused_input');
    const status = page.getByTestId(`status-${item.id}`);
    await poll(() => status.textContent()).toBe('open');
    await page.locator('tr', { has: status }).getByRole('button', { name: item.code }).click();
    const panel = page.getByRole('region', { name: new RegExp(item.code) });
    await panel.getByLabel('Owner').fill('ana');
    await panel.getByRole('button', { name: 'Assign' }).click();
    await poll(() => panel.getByRole('status').textContent()).toMatch(/^Assigned: /);
    await accessible('exceptions');
    await shot('exceptions');
    await panel.getByRole('button', { name: 'Acknowledge' }).click();
    await poll(() => panel.getByRole('status').textContent()).toBe('Acknowledged: acknowledged');
    await panel.getByLabel('Reason').fill('currency fixed at the source');
    await panel.getByRole('button', { name: 'Resolve' }).click();
    await poll(() => panel.getByRole('status').textContent()).toBe('Resolved: resolved');
    const after = await until(
      async () =>
        (await gql(`query($id: ID!) { exception(id: $id) { status owner resolution { reason } } }`, { id: item.id }))
          .exception,
      (e: any) => e.status === 'resolved',
      'the exception resolved',
    );
    expect(after).toEqual({ status: 'resolved', owner: 'ana', resolution: { reason: 'currency fixed at the source' } });
  });

  it('sorts the exceptions on the server by impact or by age, the choice in the URL', async () => {
    // A later refused input at stake for more than the first: first by impact, last by age.
    const big = await t.post([
      {
        type: 'ContractBooked',
        contractId: 'C-REFUSED-BIG',
        source: { system: 'crm', id: 'OPP-REFUSED-BIG', version: 1 },
        occurredAt: '2026-01-15T10:00:00Z',
        data: {
          version: 1,
          customerId: 'K-2',
          legalEntity: 'US01',
          currency: 'XYZ',
          bookingDate: '2026-01-15',
          lines: [{ lineId: 'A', sku: 'PLAT', quantity: '1', amount: '90000.00' }],
        },
      },
    ]);
    expect(big.counts.rejected).toBe(1);
    const ask = `query($sort: ExceptionSort) {
      exceptions(status: "all", sort: $sort, limit: 25) { id code contractId } }`;
    const byImpact = await until(
      async () => (await gql(ask, { sort: 'impact' })).exceptions,
      (items: any[]) => items.some((e) => e.contractId === 'C-REFUSED-BIG'),
      'the second refused input',
    );
    const byAge = (await gql(ask, { sort: 'age' })).exceptions;
    expect(byImpact[0].contractId).toBe('C-REFUSED-BIG');
    expect(byAge.at(-1).contractId).toBe('C-REFUSED-BIG');
    await open('#/exceptions?status=all');
    const table = page.getByRole('table', { name: 'Exceptions' });
    const contracts = () => table.locator('tbody tr td:nth-child(3)').allTextContents();
    await poll(contracts).toEqual(byImpact.map((e: any) => e.contractId ?? '—'));
    const [request] = await Promise.all([
      page.waitForRequest((r) => (r.postData() ?? '').includes('"sort":"age"')),
      page.getByLabel('Sort by').selectOption('age'),
    ]);
    expect(request.url()).toContain('/graphql');
    await poll(() => page.url()).toContain('sort=age');
    await poll(contracts).toEqual(byAge.map((e: any) => e.contractId ?? '—'));
    await accessible('exceptions by age');
  });

  it('closes and reopens a period with a reason', async () => {
    await open('#/close?legalEntity=US01');
    await page.getByLabel('Period (YYYY-MM)').fill('2026-02');
    await page.getByLabel('Reason').fill('February signed off');
    await page.getByRole('button', { name: 'Close period' }).click();
    await poll(() => page.getByTestId('closed-2026-02').count()).toBe(1);
    expect((await t.call('GET', '/v1/periods/US01', undefined, KEYS.reader)).body.closed).toContain('2026-02');
    await accessible('close');
    await shot('close');
    await page.getByLabel('Reason').fill('late invoice');
    await page.getByRole('button', { name: 'Reopen period' }).click();
    await poll(() => page.getByTestId('closed-2026-02').count()).toBe(0);
    expect((await t.call('GET', '/v1/periods/US01', undefined, KEYS.reader)).body.closed).not.toContain('2026-02');
  });

  it("shows a posting batch's journals a server page at a time", async () => {
    const whole = (await t.call('GET', `/v1/posting-batches/${runId}?limit=500`, undefined, ADMIN)).body;
    const count = whole.journalCount;
    await open('#/close?legalEntity=US01');
    await page.getByLabel('Batch id').fill(runId);
    await page.getByRole('button', { name: 'Show batch' }).click();
    const table = page.getByRole('table', { name: `Batch ${runId}: ${count} journals` });
    await poll(() => table.locator('tbody tr').count()).toBe(Math.min(25, count));
    expect(await table.locator('tbody tr td:first-child').first().textContent()).toBe(whole.journals[0].journalId);
    const asked = requests.filter((r) => r.url().includes(`/v1/posting-batches/`));
    expect(asked.every((r) => new URL(r.url()).searchParams.get('limit') === '25')).toBe(true);
    if (count > 25) {
      await page.getByRole('button', { name: 'Next page' }).click();
      await poll(() => page.getByText(`Journals 26–${Math.min(50, count)} of ${count}`).count()).toBe(1);
      expect(await table.locator('tbody tr td:first-child').first().textContent()).toBe(whole.journals[25].journalId);
    }
  });

  it('lists mapping versions with who published them and why', async () => {
    await open('#/mappings?kind=products');
    const table = page.getByRole('table', { name: 'Published products mapping versions' });
    await poll(() => table.locator('tbody tr').count()).toBe(1);
    expect(await table.locator('tbody tr td').nth(3).textContent()).toBe('demo catalogue');
    await accessible('mappings');
    await shot('mappings');
  });

  it('previews a proposed product mapping per period and per contract, then publishes it', async () => {
    const inForce = (await t.call('GET', '/v1/mappings/products', undefined, ADMIN)).body;
    const tripled = new Set(['SUP-STD', 'SUP-PREM', 'ONB-STD']);
    const proposal = {
      products: inForce.products.map((p: any) =>
        tripled.has(p.sku) ? { ...p, ssp: new Decimal(p.ssp).times(3).toFixed(2) } : p,
      ),
      reason: 'support and onboarding list prices',
      basedOnVersion: inForce.version,
    };
    const dryRun = (await t.call('POST', '/v1/mappings/products/dry-run?limit=20', proposal, ADMIN)).body;
    expect(dryRun.summary.changed).toBeGreaterThan(0);
    await open('#/mappings?kind=products');
    const editor = page.getByLabel('Proposed product mapping (JSON)');
    await poll(async () => JSON.parse((await editor.inputValue()) || '{}').basedOnVersion).toBe(inForce.version);

    // A proposal refused as its publication would be: the field is named, and nothing is shown as an effect.
    await editor.fill(JSON.stringify({ ...proposal, products: [{ ...proposal.products[0], ssp: 'lots' }] }));
    await page.getByRole('button', { name: 'Preview effect' }).click();
    await poll(() => page.getByRole('alert').textContent()).toContain('products.0.ssp');

    await editor.fill(JSON.stringify(proposal, null, 2));
    await page.getByRole('button', { name: 'Preview effect' }).click();
    await poll(() => page.getByTestId('preview-summary').textContent()).toBe(
      `v${inForce.version} → v${inForce.version + 1}: ${dryRun.summary.changed} of ${dryRun.summary.examined} ` +
        `contracts using ${dryRun.changedSkus.join(', ')} change.`,
    );
    const totals = page.getByRole('table', { name: 'Revenue effect per period (all changed contracts)' });
    await poll(() => totals.locator('tbody tr').count()).toBe(dryRun.summary.totals.length);
    const firstTotal = totals.locator('tbody tr').first().locator('td');
    expect(await firstTotal.nth(0).textContent()).toBe(dryRun.summary.totals[0].period);
    expect(await firstTotal.nth(4).textContent()).toBe(grouped(dryRun.summary.totals[0].delta));
    const contracts = page.getByRole('table', { name: 'Contracts whose revenue changes' });
    expect(await contracts.locator('tbody tr td:first-child').allTextContents()).toEqual(
      dryRun.contracts.map((c: any) => c.contractId),
    );
    // Previewing wrote nothing: the version in force is the same.
    expect((await t.call('GET', '/v1/mappings/products', undefined, ADMIN)).body.version).toBe(inForce.version);
    await accessible('mapping preview');
    await shot('mapping-preview');

    await page.getByRole('button', { name: 'Publish this mapping' }).click();
    await poll(() => page.getByText(`Version ${inForce.version + 1} published.`).count()).toBe(1);
    const now = (await t.call('GET', '/v1/mappings/products', undefined, ADMIN)).body;
    expect(now).toMatchObject({ version: inForce.version + 1, reason: proposal.reason, publishedBy: 'controller' });
  });

  it('a read-only key sees no write action', async () => {
    const reader = await newContext();
    try {
      await open('', reader.page);
      await reader.page.getByLabel('API key').fill(KEYS.reader);
      await reader.page.getByRole('button', { name: 'Open the console' }).click();
      await poll(() => reader.page.getByTestId('key-name').textContent()).toBe('auditor');
      await open('#/close?legalEntity=US01', reader.page);
      await poll(() => reader.page.getByText('This key cannot close periods').count()).toBe(1);
      expect(await reader.page.getByRole('button', { name: 'Close period' }).count()).toBe(0);
      expect(await reader.page.getByRole('button', { name: /^Post / }).count()).toBe(0);
      await open('#/exceptions?status=all', reader.page);
      const first = reader.page.getByRole('table', { name: 'Exceptions' }).locator('tbody tr').first();
      await first.getByRole('button').first().click();
      await poll(() => reader.page.getByText('This key reads only').count()).toBe(1);
      expect(await reader.page.getByRole('button', { name: 'Assign' }).count()).toBe(0);
    } finally {
      await reader.context.close();
    }
  });

  it('GraphiQL loads from this server alone and sends the key from session storage', async () => {
    const isPost = (r: Request, text: string) =>
      r.url().endsWith('/graphql') && r.method() === 'POST' && (r.postData() ?? '').includes(text);
    // GraphiQL asks for the schema first (with the key: an unauthorised introspection would leave it without one).
    const [introspection] = await Promise.all([
      page.waitForResponse((r) => isPost(r.request(), 'IntrospectionQuery')),
      page.goto(`${t.url}/graphiql`),
    ]);
    expect(introspection.status()).toBe(200);
    expect(await introspection.request().headerValue('authorization')).toBe(`Bearer ${ADMIN}`);
    await poll(() => page.locator('.graphiql-container').count()).toBe(1);
    // The editor fills in the default query once it has mounted; a click before that has nothing to send.
    await poll(() => page.locator('.graphiql-query-editor').textContent()).toContain('totalCount');
    const [query] = await Promise.all([
      page.waitForResponse((r) => isPost(r.request(), 'totalCount')),
      page.getByRole('button', { name: /Execute query/i }).click(),
    ]);
    expect(await query.request().headerValue('authorization')).toBe(`Bearer ${ADMIN}`);
    expect((await query.json()).data.contracts.totalCount).toBe(30);
    await poll(() => page.locator('.result-window').textContent()).toContain('totalCount');
    await shot('graphiql');
  });

  it('attempted no request to another host, and raised no script error', () => {
    expect(external).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
