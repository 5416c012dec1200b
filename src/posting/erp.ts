// Which ERP a posting run talks to. Without an entity register, the one configured (REVTRAIL_CONNECTOR) for every
// legal entity; once a register is published, each entity's own, as its entry names it (ErpRouter). The file
// connector writes one journal and one CSV per run; Tryton is one server for every run; the simulated ERP lives as
// long as the process that made it (the demo service keeps one, so its runs see each other's documents).
import type { ConnectorConfig } from '../config.js';
import type { EntityErp, RegisteredEntity } from '../../schemas/index.js';
import type { Connector } from './connectors/index.js';
import { SimulatedConnector, openFileConnector, openTrytonConnector } from './connectors/index.js';

export interface Erp {
  readonly kind: ConnectorConfig['kind'];
  /** The connector for one posting run; `runName` names its files where the connector writes files. */
  open(runName: string): Connector;
  /** Releases a connector `open` gave (the shared simulated ERP stays up until `close`). */
  release(connector: Connector): Promise<void>;
  /**
   * The connectors of one posting run, per legal entity; `wrap` wraps each as it is opened (metrics, tests). An Erp
   * without it (a test's stand-in) routes as routeOf says.
   */
  route?(runName: string, options?: RouteOptions): ErpRouter;
  close(): Promise<void>;
}

/**
 * Why a legal entity's journals cannot be sent in this run: its register entry names an environment variable that is
 * not set, or its connector could not be opened. Its journals stay prepared for the next run; the rest of the run
 * goes on.
 */
export interface ErpUnavailable {
  code: 'ERP_NOT_CONFIGURED';
  message: string;
}

/** The connectors one posting run posts through, each opened when the first journal that needs it comes. */
export interface ErpRouter {
  /**
   * The connector of a legal entity's journals: the one its register entry names, or the configured one when the run
   * has no entry for it (no register is published). Entities whose entries name the same ERP share one connector,
   * so two of them never write one run's file twice over.
   */
  connectorFor(legalEntity: string, entry: RegisteredEntity | undefined): Connector | ErpUnavailable;
  /** Releases every connector it opened. */
  release(): Promise<void>;
}

export interface RouteOptions {
  wrap?: (connector: Connector) => Connector;
  env?: NodeJS.ProcessEnv;
}

/** The run's router of `erp`: its own, or one over `open` with a simulated ERP of the run's own for `simulated`. */
export function routeOf(erp: Erp, runName: string, options: RouteOptions = {}): ErpRouter {
  if (erp.route) return erp.route(runName, options);
  return erpRouter({
    runName,
    configured: () => erp.open(runName),
    releaseConfigured: (connector) => erp.release(connector),
    simulated: () => new SimulatedConnector(),
    journalCode: 'LSYNC',
    ...options,
  });
}

export interface ErpRouterOptions {
  runName: string;
  /** The configured connector (opened on first ask) and how to give it back. */
  configured: () => Connector;
  releaseConfigured: (connector: Connector) => Promise<void>;
  /** The process's simulated ERP, for entries that name `simulated`. */
  simulated: () => Connector;
  /** The Tryton journal of an entry that names none. */
  journalCode: string;
  /** Where the register's variable names are looked up; default: process.env, read when the connector is opened. */
  env?: NodeJS.ProcessEnv;
  wrap?: (connector: Connector) => Connector;
}

const CONFIGURED = '*configured*';

export function erpRouter(options: ErpRouterOptions): ErpRouter {
  const opened = new Map<string, { connector: Connector; own: boolean } | ErpUnavailable>();
  const wrap = options.wrap ?? ((c: Connector) => c);
  // One wrapping per connector: entities that share an ERP share its metrics and its test hooks.
  const wrappedOf = new Map<Connector, Connector>();
  const open = (erp: EntityErp | null): { connector: Connector; own: boolean } | ErpUnavailable => {
    if (erp === null) return { connector: options.configured(), own: false };
    if (erp.connector === 'simulated') return { connector: options.simulated(), own: false };
    if (erp.connector === 'file')
      return { connector: openFileConnector({ dir: erp.dir, runId: options.runName }), own: true };
    const tryton = trytonFromEnv(erp, options.env ?? process.env, options.journalCode);
    return 'code' in tryton ? tryton : { connector: openTrytonConnector(tryton), own: true };
  };
  return {
    connectorFor(legalEntity, entry) {
      const key = entry === undefined ? CONFIGURED : JSON.stringify(entry.erp);
      let route = opened.get(key);
      if (route === undefined) {
        route = open(entry?.erp ?? null);
        opened.set(key, route);
      }
      if ('code' in route) return { code: route.code, message: `${legalEntity}: ${route.message}` };
      let wrapped = wrappedOf.get(route.connector);
      if (wrapped === undefined) wrappedOf.set(route.connector, (wrapped = wrap(route.connector)));
      return wrapped;
    },
    async release() {
      // What was opened is given back, not its wrapping: `release` recognises the shared simulated ERP by identity.
      for (const [key, route] of opened) {
        if ('code' in route) continue;
        if (key === CONFIGURED) await options.releaseConfigured(route.connector);
        else if (route.own) await route.connector.close();
      }
      opened.clear();
    },
  };
}

/** A Tryton entry's connection, read from the environment variables it names; every one missing is named. */
export function trytonFromEnv(
  erp: Extract<EntityErp, { connector: 'tryton' }>,
  env: NodeJS.ProcessEnv,
  journalCode: string,
): Omit<Extract<ConnectorConfig, { kind: 'tryton' }>, 'kind'> | ErpUnavailable {
  const fields = { url: erp.urlEnv, database: erp.databaseEnv, password: erp.passwordEnv, username: erp.userEnv };
  const missing = Object.entries(fields).filter(([, name]) => name !== undefined && !env[name]);
  if (missing.length > 0)
    return {
      code: 'ERP_NOT_CONFIGURED',
      message: `environment variable ${missing.map(([field, name]) => `${name!} (${field})`).join(', ')} not set`,
    };
  const read = (name: string): string => env[name]!;
  return {
    url: read(erp.urlEnv),
    database: read(erp.databaseEnv),
    username: erp.userEnv === undefined ? 'admin' : read(erp.userEnv),
    password: read(erp.passwordEnv),
    journalCode: erp.journal ?? journalCode,
  };
}

export function erpFrom(config: ConnectorConfig): Erp {
  const journalCode = config.kind === 'tryton' ? config.journalCode : 'LSYNC';
  // The simulated ERP of the process: the configured one when that is simulated, else made when an entry names it.
  let simulated: SimulatedConnector | null = config.kind === 'simulated' ? new SimulatedConnector() : null;
  const shared = (): SimulatedConnector => (simulated ??= new SimulatedConnector());
  const open = (runName: string): Connector => {
    if (config.kind === 'simulated') return shared();
    return config.kind === 'file'
      ? openFileConnector({ dir: config.dir, runId: runName })
      : openTrytonConnector({
          url: config.url,
          database: config.database,
          username: config.username,
          password: config.password,
          journalCode: config.journalCode,
        });
  };
  const release = async (connector: Connector): Promise<void> => {
    if (connector !== simulated) await connector.close();
  };
  return {
    kind: config.kind,
    open,
    release,
    route: (runName, options = {}) =>
      erpRouter({
        runName,
        configured: () => open(runName),
        releaseConfigured: release,
        simulated: shared,
        journalCode,
        ...options,
      }),
    close: async () => {
      await simulated?.close();
      simulated = null;
    },
  };
}

/**
 * The ERP a tie-out of `legalEntity` reads: its register entry's, or the configured one when no register is
 * published. Once one is, a tie-out is per legal entity (a group's entities may sit in several ERPs), an entity
 * outside the register has no ERP to read, and a Tryton entry's variables must be set: each an ErpUnavailable.
 */
export function tieOutConnector(
  configured: ConnectorConfig,
  register: { entities: Map<string, RegisteredEntity> } | null,
  legalEntity: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): ConnectorConfig | ErpUnavailable {
  if (register === null) return configured;
  if (legalEntity === undefined)
    return {
      code: 'ERP_NOT_CONFIGURED',
      message: 'an entity register is published: tie out one legal entity at a time',
    };
  const entry = register.entities.get(legalEntity);
  if (entry === undefined)
    return { code: 'ERP_NOT_CONFIGURED', message: `${legalEntity} is not in the entity register` };
  if (entry.erp.connector !== 'tryton')
    return entry.erp.connector === 'file' ? { kind: 'file', dir: entry.erp.dir } : { kind: 'simulated' };
  const tryton = trytonFromEnv(entry.erp, env, configured.kind === 'tryton' ? configured.journalCode : 'LSYNC');
  return 'code' in tryton
    ? { code: tryton.code, message: `${legalEntity}: ${tryton.message}` }
    : { kind: 'tryton', ...tryton };
}

/**
 * The `connector` a run's answer names: the configured ERP's when no entity register is published, `per-entity` when
 * the register routed it (each entity's is in its outcome).
 */
export function runConnectorName(erp: Pick<Erp, 'kind'>, registerVersion: number | null): string {
  return registerVersion === null ? erp.kind : 'per-entity';
}

/** A file-safe, sortable run name: `post-2026-03-US01-20260401T081500123Z`. */
export function runNameFor(period: string, legalEntity: string | undefined, at: Date): string {
  return `post-${period}-${legalEntity ?? 'all'}-${at.toISOString().replace(/[-:.]/g, '')}`;
}
