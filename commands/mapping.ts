// Publishing a mapping version: versions are 1, 2, 3... in the mapping's stream; publishing the content of the
// current version again is a no-op (idempotent), publishing against a stale version is refused.
import type {
  AccountMappingSet,
  DomainError,
  EntityRegisterSet,
  JsonObject,
  MappingKind,
  MappingSet,
  ProductMappingSet,
  ProposedEvent,
} from '../schemas/index.js';
import { canonicalJson, domainError, eventIdFor, sha256Hex } from '../schemas/index.js';
import type { Decider } from './decider.js';
import { accepted } from './decider.js';

export const mappingStream = (kind: MappingKind): string => `mapping-${kind}`;
export const MAPPING_EVENT = {
  products: 'ProductMappingPublished',
  accounts: 'AccountMappingPublished',
  entities: 'EntityRegisterPublished',
} as const;

export interface MappingState {
  /** Current version (0: none published). */
  version: number;
  /** Hash of the current version's content (its products or entities), to recognise a re-publication. */
  contentHash: string | null;
}

export const initialMappingState: MappingState = { version: 0, contentHash: null };

export interface PublishMapping {
  kind: MappingKind;
  set: MappingSet;
  receivedAt: string;
  actor: string;
  /** The correlation id of the request that publishes it. */
  correlationId?: string | null;
}

/** What a publication answers: the version now current, and whether this request made it. */
export type MappingDecision =
  | { outcome: 'published'; version: number; event: ProposedEvent }
  | { outcome: 'unchanged'; version: number }
  | { outcome: 'rejected'; errors: DomainError[] };

function contentOf(kind: MappingKind, set: MappingSet): JsonObject {
  if (kind === 'products') return { products: (set as ProductMappingSet).products };
  if (kind === 'accounts') return { entities: (set as AccountMappingSet).entities };
  const { entities, reportingCurrency } = set as EntityRegisterSet;
  // An absent reporting currency is left out rather than stored as null, so the content hash of a register
  // published without one stays the same whichever way it was written.
  return reportingCurrency === undefined ? { entities } : { entities, reportingCurrency };
}

function decide(
  state: MappingState,
  { kind, set, receivedAt, actor, correlationId }: PublishMapping,
): ProposedEvent[] | DomainError {
  const content = contentOf(kind, set);
  const hash = sha256Hex(canonicalJson(content));
  if (hash === state.contentHash) return [];
  if (set.basedOnVersion !== undefined && set.basedOnVersion !== state.version)
    return domainError(
      'STALE_VERSION',
      `the current ${kind} mapping is version ${state.version}, not ${set.basedOnVersion}`,
      'basedOnVersion',
    );
  const version = state.version + 1;
  const data: JsonObject = { version, ...content, reason: set.reason, previousVersion: state.version || null };
  return [
    {
      // Version numbers are unique per stream, so the id is derived from them: a retried append is a no-op.
      eventId: eventIdFor(`mapping|${kind}|${version}|${hash}`),
      type: MAPPING_EVENT[kind],
      data,
      metadata: {
        schemaVersion: 1,
        source: null,
        receivedAt,
        correlationId: correlationId ?? null,
        causationId: null,
        actor,
      },
    },
  ];
}

function evolve(_state: MappingState, e: { data: JsonObject }): MappingState {
  const { version, reason: _r, previousVersion: _p, ...content } = e.data as JsonObject & { version: number };
  return { version, contentHash: sha256Hex(canonicalJson(content)) };
}

/** The product mapping, the account mapping or the entity register of the store, one stream per kind. */
export const mapping: Decider<MappingState, PublishMapping, { data: JsonObject }, DomainError, MappingKind> = {
  stream: mappingStream,
  initial: () => initialMappingState,
  evolve,
  decide,
};

/** The publication decided, with the version it leaves current (what POST /v1/mappings answers). */
export function decidePublish(
  state: MappingState,
  kind: MappingKind,
  set: MappingSet,
  ctx: { receivedAt: string; actor: string; correlationId?: string | null },
): MappingDecision {
  const decided = decide(state, { kind, set, ...ctx });
  if (!accepted(decided)) return { outcome: 'rejected', errors: [decided] };
  const [event] = decided;
  if (event === undefined) return { outcome: 'unchanged', version: state.version };
  return { outcome: 'published', version: state.version + 1, event };
}

export const evolveMapping = evolve;
