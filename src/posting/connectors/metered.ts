// A connector measured: every call's duration and failure code per connector and operation, and a journal submitted
// again through the same connector (a posting run's retry) counted as a retry. It changes no answer: outcomes and
// throws pass through as the wrapped connector gives them.
import { performance } from 'node:perf_hooks';
import { recordErpCall, recordRetry } from '../../metrics/index.js';
import type { ErpOperation } from '../../metrics/index.js';
import type { Connector, JournalSubmission } from './types.js';
import { ConnectorUnavailableError } from './types.js';
import type { SubmitOutcome } from '../../../schemas/index.js';

/** Journal ids remembered for retry counting; past this many the memory starts again (a run is far smaller). */
const REMEMBERED = 100_000;

const failureCode = (err: unknown): string =>
  err instanceof ConnectorUnavailableError ? 'CONNECTOR_UNAVAILABLE' : 'CONNECTOR_ERROR';

async function timed<T>(
  connector: string,
  operation: ErpOperation,
  call: () => Promise<T>,
  errorOf: (result: T) => string | null,
): Promise<T> {
  const started = performance.now();
  try {
    const result = await call();
    recordErpCall(connector, operation, (performance.now() - started) / 1000, errorOf(result));
    return result;
  } catch (err) {
    recordErpCall(connector, operation, (performance.now() - started) / 1000, failureCode(err));
    throw err;
  }
}

export function meteredConnector(connector: Connector): Connector {
  const submitted = new Set<string>();
  const name = connector.name;
  const metered: Connector = {
    name,
    submit(journal: JournalSubmission): Promise<SubmitOutcome> {
      if (submitted.has(journal.journalId)) recordRetry('posting_submit');
      else {
        if (submitted.size >= REMEMBERED) submitted.clear();
        submitted.add(journal.journalId);
      }
      return timed(
        name,
        'submit',
        () => connector.submit(journal),
        (o) => (o.status === 'posted' ? null : o.code),
      );
    },
    find: (journalId) =>
      timed(
        name,
        'find',
        () => connector.find(journalId),
        () => null,
      ),
    close: () => connector.close(),
  };
  const missing = connector.missingAccounts?.bind(connector);
  if (missing)
    metered.missingAccounts = (codes) =>
      timed(
        name,
        'missing_accounts',
        () => missing(codes),
        () => null,
      );
  return metered;
}
