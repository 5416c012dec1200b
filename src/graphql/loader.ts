// Per-request batching of read-model documents (DataLoader-style): every document a request's resolvers ask for
// while GraphQL walks one level of the result is fetched with one getMany per projection, and each document is read
// at most once per request. So a page of 100 contracts with schedules and journals costs a few read-store queries,
// not a few per contract. Nothing is kept between requests (API nodes stay stateless, so any node serves any request).
import type { FastifyRequest } from 'fastify';
import type { MercuriusContext } from 'mercurius';
import type { ReadStore } from '../readmodel/index.js';
import type { JsonObject } from '../../schemas/index.js';

/** What every resolver finds in its context (mercurius adds request, reply, app). */
export interface GraphqlContext extends MercuriusContext {
  docs: DocLoader;
  /** On a websocket: the upgrade request (its headers hold the connection_init payload's too). */
  request?: FastifyRequest;
}

interface Waiting {
  resolve: (doc: JsonObject | null) => void;
  reject: (err: unknown) => void;
}

export class DocLoader {
  private readonly cache = new Map<string, Promise<JsonObject | null>>();
  private queue = new Map<string, Map<string, Waiting>>();
  private scheduled = false;

  constructor(private readonly read: Pick<ReadStore, 'getMany'>) {}

  /** The document (null when there is none), fetched with every other document asked for before the next turn. */
  load<D extends JsonObject = JsonObject>(projection: string, key: string): Promise<D | null> {
    const id = `${projection}\u0000${key}`;
    let found = this.cache.get(id);
    if (!found) {
      found = new Promise<JsonObject | null>((resolve, reject) => {
        let keys = this.queue.get(projection);
        if (!keys) this.queue.set(projection, (keys = new Map<string, Waiting>()));
        // Once per key: the cache hands every later caller this same promise.
        keys.set(key, { resolve, reject });
      });
      this.cache.set(id, found);
      this.schedule();
    }
    return found as Promise<D | null>;
  }

  /** Records a document read some other way (a page listed in key order), so it is not read again. */
  prime(projection: string, key: string, doc: JsonObject | null): void {
    const id = `${projection}\u0000${key}`;
    if (!this.cache.has(id)) this.cache.set(id, Promise.resolve(doc));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate, not a microtask: resolvers of sibling fields run across several promise turns (a parent awaited
    // its own document first); waiting for the next macrotask gathers all of them into one batch.
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    const queue = this.queue;
    this.queue = new Map();
    this.scheduled = false;
    await Promise.all(
      [...queue].map(async ([projection, keys]) => {
        try {
          const docs = await this.read.getMany(projection, [...keys.keys()]);
          for (const [key, w] of keys) w.resolve(docs.get(key) ?? null);
        } catch (err) {
          for (const w of keys.values()) w.reject(err);
        }
      }),
    );
  }
}
