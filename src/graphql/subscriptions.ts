// `ledgerEvents`: the event store's own catch-up-then-live subscription, from the position the subscriber names, so
// resuming after a drop is exactly-once by construction — the store delivers every event strictly after the
// position once, in log order, and the subscriber's last received position is the resume point. No in-process pubsub:
// any API node serves any subscriber.
import { contractStream } from '../../commands/contract.js';
import type { KeyRing } from '../auth/index.js';
import type { EventStore, Subscription } from '../store/index.js';
import type { AllFilter, Position, RecordedEvent } from '../../schemas/index.js';
import { parsePosition } from '../../schemas/index.js';
import { requireRead } from './auth.js';
import { codedError } from './errors.js';
import { ledgerEvent } from './events.js';
import type { GraphqlContext } from './loader.js';

interface LedgerEventsArgs {
  fromPosition?: string | null;
  contractId?: string | null;
  types?: string[] | null;
}

/**
 * The subscription's events, filtered exactly (the store filters by prefix: `contract-C-1` also matches
 * `contract-C-10`). `return()` closes the store subscription at once, even while waiting for the next event.
 */
function filtered(sub: Subscription, keep: (e: RecordedEvent) => boolean): AsyncIterableIterator<RecordedEvent> {
  const it = sub[Symbol.asyncIterator]();
  const iterator: AsyncIterableIterator<RecordedEvent> = {
    async next() {
      for (;;) {
        const r = await it.next();
        if (r.done || keep(r.value)) return r;
      }
    },
    async return() {
      await sub.close();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

export function ledgerEvents({ store, keys }: { store: EventStore; keys: KeyRing }) {
  return {
    subscribe: async (_root: unknown, args: LedgerEventsArgs, ctx: GraphqlContext) => {
      // The websocket's key: the upgrade request's header, else the connection_init payload's (mercurius copies it).
      await requireRead(keys, ctx.request?.headers.authorization);
      let after: Position | null = null;
      if (args.fromPosition) {
        try {
          after = parsePosition(args.fromPosition);
        } catch {
          throw codedError('INVALID_ARGUMENT', 'fromPosition is a position a LedgerEvent carried ("C" or "C/P")');
        }
      }
      const stream = args.contractId ? contractStream(args.contractId) : null;
      const types = args.types && args.types.length > 0 ? new Set(args.types) : null;
      const filter: AllFilter = {
        ...(stream ? { streamPrefixes: [stream] } : {}),
        ...(types ? { eventTypePrefixes: [...types] } : {}),
      };
      const sub = store.subscribeToAll({ after, filter });
      return filtered(sub, (e) => (stream === null || e.streamId === stream) && (types === null || types.has(e.type)));
    },
    resolve: (e: RecordedEvent) => ledgerEvent(e),
  };
}
