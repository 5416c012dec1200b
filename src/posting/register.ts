// The entity register as posting reads it (the latest EntityRegisterPublished), and the one rule it shares with the
// account mapping: where both name a legal entity's currency they agree, so which of the two journals follow is never
// a question. The register holds the functional currency; the account mapping's `currency` is optional beside it.
import {
  MAPPING_EVENT,
  decidePublish,
  evolveMapping,
  initialMappingState,
  mappingStream,
} from '../../commands/mapping.js';
import type { MappingDecision } from '../../commands/mapping.js';
import { decideOnStream } from '../handling/index.js';
import type { AccountMappingSet, DomainError, MappingKind, MappingSet, RegisteredEntity } from '../../schemas/index.js';
import { domainError } from '../../schemas/index.js';
import type { EventStore } from '../store/index.js';

/** The register in force: its version and entries by legal entity. */
export interface EntityRegister {
  version: number;
  reportingCurrency: string | null;
  entities: Map<string, RegisteredEntity>;
}

/** The latest version of a mapping's content, or null when none was published. */
async function latestMapping(store: EventStore, kind: MappingKind): Promise<Record<string, unknown> | null> {
  for await (const e of store.readStream(mappingStream(kind), { direction: 'backwards', maxCount: 1 }))
    return e.type === MAPPING_EVENT[kind] ? e.data : null;
  return null;
}

/**
 * The decision publishing `set` would get now, folded from the mapping stream and not appended: a preview's check.
 * `ctx` only stamps the event it would append.
 */
export async function decidePublicationNow(
  store: EventStore,
  kind: MappingKind,
  set: MappingSet,
  ctx: { receivedAt: string; actor: string },
): Promise<MappingDecision> {
  let state = initialMappingState;
  for await (const e of store.readStream(mappingStream(kind))) state = evolveMapping(state, e);
  return decidePublish(state, kind, set, ctx);
}

/** The entity register in force, or null when none was ever published (posting then runs as it did before one). */
export async function entityRegister(store: EventStore): Promise<EntityRegister | null> {
  const data = await latestMapping(store, 'entities');
  if (data === null) return null;
  const entities = data.entities as RegisteredEntity[];
  return {
    version: data.version as number,
    reportingCurrency: (data.reportingCurrency as string | undefined) ?? null,
    entities: new Map(entities.map((e) => [e.legalEntity, e])),
  };
}

/**
 * Where a publication would make the register and the account mapping name two currencies for one legal entity:
 * CURRENCY_CONFLICT at the field of the publication that is refused (the later one; the published one stands).
 */
export async function currencyConflicts(store: EventStore, kind: MappingKind, set: MappingSet): Promise<DomainError[]> {
  if (kind === 'products') return [];
  if (kind === 'accounts') {
    const register = await entityRegister(store);
    if (register === null) return [];
    return (set as AccountMappingSet).entities.flatMap((e, i) => {
      const functional = register.entities.get(e.legalEntity)?.functionalCurrency;
      return e.currency === undefined || functional === undefined || functional === e.currency
        ? []
        : [conflict(e.legalEntity, e.currency, functional, `entities.${i}.currency`, 'entity register')];
    });
  }
  const accounts = await latestMapping(store, 'accounts');
  const named = new Map(
    ((accounts?.entities ?? []) as { legalEntity: string; currency?: string }[]).map((e) => [
      e.legalEntity,
      e.currency,
    ]),
  );
  return (set as { entities: RegisteredEntity[] }).entities.flatMap((e, i) => {
    const currency = named.get(e.legalEntity);
    return currency === undefined || currency === e.functionalCurrency
      ? []
      : [
          conflict(
            e.legalEntity,
            e.functionalCurrency,
            currency,
            `entities.${i}.functionalCurrency`,
            'account mapping',
          ),
        ];
  });
}

function conflict(legalEntity: string, given: string, published: string, path: string, where: string): DomainError {
  return domainError(
    'CURRENCY_CONFLICT',
    `${legalEntity}: ${given} differs from ${published}, the currency the published ${where} names for it; ` +
      `publish both with one currency (or leave the account mapping's out)`,
    path,
  );
}

/**
 * Publishes a mapping set (REST, the CLI and the demo alike): refused with CURRENCY_CONFLICT where it disagrees with
 * the other per-entity mapping, else decided on its stream (STALE_VERSION, unchanged, or the next version). The
 * currency check reads the other stream before the append: two conflicting publications at the same instant could
 * both pass it, which posting survives (the register's currency is the one journals use).
 */
export async function publishMappingSet(
  store: EventStore,
  kind: MappingKind,
  set: MappingSet,
  ctx: { receivedAt: string; actor: string; correlationId?: string | null },
): Promise<MappingDecision> {
  const conflicts = await currencyConflicts(store, kind, set);
  if (conflicts.length > 0) return { outcome: 'rejected', errors: conflicts };
  const { decision } = await decideOnStream(store, mappingStream(kind), initialMappingState, evolveMapping, (s) =>
    decidePublish(s, kind, set, ctx),
  );
  return decision;
}
