// The posting connectors' public face: one interface (types.ts), three ERPs behind it — a real Tryton over JSON-RPC,
// hledger-format files, and an in-process simulation for unit tests and the demo.
export { ConnectorUnavailableError, DIMENSION_KEYS } from './types.js';
export { guardedFind, guardedSubmit } from './guard.js';
export type { Connector, ConnectorName, JournalSubmission } from './types.js';
// The journal shapes the connector contract takes and gives live with the domain's (schemas/journal.ts).
export { REJECTION_CODES } from '../../../schemas/index.js';
export type { JournalLine, RejectionCode, SubmitOutcome } from '../../../schemas/index.js';
export { meteredConnector } from './metered.js';
export { SimulatedConnector } from './simulated.js';
export type { SimulatedDocument, SimulatedOptions } from './simulated.js';
export { FileConnector, fileAccountProblem, openFileConnector } from './file.js';
export type { FileConnectorOptions } from './file.js';
export { TrytonAdmin, TrytonConnector, openTrytonConnector } from './tryton.js';
export type { TrytonConnectorOptions, TrytonMove, TrytonMoveLine } from './tryton.js';
export { TrytonServerError, TrytonUnavailableError, TrytonUserError } from './tryton-rpc.js';
export type { TrytonConnection } from './tryton-rpc.js';
