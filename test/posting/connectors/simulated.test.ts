// The simulated ERP keeps the connector contract and plays back the failures a test asks for.
import { describe, expect, it } from 'vitest';
import { SimulatedConnector } from '../../../src/posting/connectors/index.js';
import { connectorConformance, expectedLines, journal, line } from './conformance.js';
import type { ConnectorHarness } from './conformance.js';

const CHART = ['1100', '1300', '2200', '2400', '4000', '4010', '4100', '4200', '4300'];

function harness(connector: SimulatedConnector): ConnectorHarness {
  const documents = (journalId: string) => connector.documents().filter((d) => d.journal.journalId === journalId);
  return {
    connector: () => connector,
    documents: async (journalId) => documents(journalId).length,
    postedLines: async (erpDocumentId) => {
      const doc = connector.documents().find((d) => d.erpDocumentId === erpDocumentId);
      return doc ? expectedLines(doc.journal) : [];
    },
    closePeriod: async (period) => connector.closePeriod(period),
  };
}

describe('simulated connector: the contract', () => {
  connectorConformance(() => harness(new SimulatedConnector({ accounts: CHART })), {
    knowsAccounts: true,
    closesPeriods: true,
  });
});

describe('simulated connector: scripted failures', () => {
  it('fails the next N submissions with CONNECTOR_UNAVAILABLE, retryable, and posts nothing for them', async () => {
    const erp = new SimulatedConnector();
    erp.failNext(2);
    const j = journal();
    const outcomes = [await erp.submit(j), await erp.submit(j), await erp.submit(j)];
    expect(outcomes.map((o) => (o.status === 'rejected' ? o.code : o.status))).toEqual([
      'CONNECTOR_UNAVAILABLE',
      'CONNECTOR_UNAVAILABLE',
      'posted',
    ]);
    expect(outcomes[0]).toMatchObject({ retryable: true });
    expect(outcomes[2]).toMatchObject({ alreadyPosted: false });
    expect(erp.documents()).toHaveLength(1);
    expect(erp.submissions).toBe(3);
  });

  it('an answer lost after posting makes the retry find the document instead of posting again', async () => {
    const erp = new SimulatedConnector();
    erp.loseNextResponses(1);
    const j = journal();
    expect(await erp.submit(j)).toMatchObject({ status: 'rejected', code: 'CONNECTOR_UNAVAILABLE', retryable: true });
    expect(await erp.find(j.journalId)).toBe('SIM-000001');
    expect(await erp.submit(j)).toEqual({ status: 'posted', erpDocumentId: 'SIM-000001', alreadyPosted: true });
    expect(erp.documents()).toHaveLength(1);
  });

  it('periods closed from the start or later refuse journals until reopened', async () => {
    const erp = new SimulatedConnector({ closedPeriods: ['2026-01'] });
    expect(await erp.submit(journal({ date: '2026-01-31' }))).toMatchObject({ code: 'PERIOD_CLOSED' });
    erp.closePeriod('2026-02');
    expect(await erp.submit(journal({ date: '2026-02-28' }))).toMatchObject({ code: 'PERIOD_CLOSED' });
    erp.reopenPeriod('2026-01');
    expect(await erp.submit(journal({ date: '2026-01-31' }))).toMatchObject({ status: 'posted' });
  });

  it('without a chart every account code is accepted', async () => {
    const erp = new SimulatedConnector();
    const j = journal({ lines: [line('9999', '1.00', '0'), line('8888', '0', '1.00')] });
    expect(await erp.submit(j)).toMatchObject({ status: 'posted' });
  });

  it('answers after the configured latency', async () => {
    const erp = new SimulatedConnector({ latencyMs: 40 });
    const started = performance.now();
    await erp.submit(journal());
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
  });

  it('keeps a copy: changing the submitted object afterwards does not change the posted document', async () => {
    const erp = new SimulatedConnector();
    const j = journal();
    await erp.submit(j);
    j.lines[0]!.debit = '9999.00';
    expect(erp.documents()[0]!.journal.lines[0]!.debit).toBe('1200.00');
  });

  it('a malformed submission is a bug and throws instead of answering', async () => {
    const erp = new SimulatedConnector();
    await expect(erp.submit(journal({ date: '2026-02-30', period: '2026-02' }))).rejects.toThrow(/date/);
    await expect(erp.submit(journal({ date: '2026-03-01', period: '2026-02' }))).rejects.toThrow(/outside period/);
    await expect(erp.submit(journal({ lines: [] }))).rejects.toThrow(/no lines/);
    await expect(erp.submit(journal({ lines: [line('1100', '1', '1')] }))).rejects.toThrow(/both/);
    await expect(erp.submit(journal({ lines: [line('1100', 'ten', '0')] }))).rejects.toThrow(/not decimals/);
    expect(erp.submissions).toBe(0);
  });

  it('refuses to be used after close()', async () => {
    const erp = new SimulatedConnector();
    await erp.close();
    await expect(erp.submit(journal())).rejects.toThrow(/after close/);
  });
});
