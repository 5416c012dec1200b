// Which ERP a posting run talks to, from configuration (REVTRAIL_CONNECTOR). The file connector writes one journal
// and one CSV per run; Tryton is one server for every run; the simulated ERP lives as long as the process that made
// it (the demo service keeps one, so its runs see each other's documents).
import type { ConnectorConfig } from '../config.js';
import type { Connector } from './connectors/index.js';
import { SimulatedConnector, openFileConnector, openTrytonConnector } from './connectors/index.js';

export interface Erp {
  readonly kind: ConnectorConfig['kind'];
  /** The connector for one posting run; `runName` names its files where the connector writes files. */
  open(runName: string): Connector;
  /** Releases a connector `open` gave (the shared simulated ERP stays up until `close`). */
  release(connector: Connector): Promise<void>;
  close(): Promise<void>;
}

export function erpFrom(config: ConnectorConfig): Erp {
  if (config.kind === 'simulated') {
    const erp = new SimulatedConnector();
    return {
      kind: 'simulated',
      open: () => erp,
      release: async () => undefined,
      close: () => erp.close(),
    };
  }
  return {
    kind: config.kind,
    open: (runName) =>
      config.kind === 'file'
        ? openFileConnector({ dir: config.dir, runId: runName })
        : openTrytonConnector({
            url: config.url,
            database: config.database,
            username: config.username,
            password: config.password,
            journalCode: config.journalCode,
          }),
    release: (connector) => connector.close(),
    close: async () => undefined,
  };
}

/** A file-safe, sortable run name: `post-2026-03-US01-20260401T081500123Z`. */
export function runNameFor(period: string, legalEntity: string | undefined, at: Date): string {
  return `post-${period}-${legalEntity ?? 'all'}-${at.toISOString().replace(/[-:.]/g, '')}`;
}
