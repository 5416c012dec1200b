// POST /v1/events (docs/http.md, "Inbound events") and reading one contract's raw stream and write-side status.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { contractStream } from '../../commands/contract.js';
import { Currency, Id, InboundEvent, formatPosition } from '../../schemas/index.js';
import { pairRates } from '../posting/index.js';
import type { Ingestor } from '../ingest/index.js';
import type { EventStore } from '../store/index.js';
import type { KeyRing } from '../auth/index.js';
import { recordIngest } from '../metrics/index.js';
import type { IngestOutcome } from '../metrics/index.js';
import { keepJsonBodyAsText } from './body.js';
import { answerIngest, bodyErrorOf } from './ingest-request.js';
import type { IngestThread } from './ingest-thread.js';
import { lookupRoute } from './lookup.js';
import { parseOrReply, sendProblem } from './problem.js';

export interface EventRoutesOptions {
  store: EventStore;
  /** This thread's ingestor: POST /v1/events runs on it when there is no ingest thread. */
  ingestor: Ingestor;
  /** The ingest worker thread POST /v1/events runs in, when the store is one it can open (./ingest-thread.ts). */
  thread: IngestThread | null;
  keys: KeyRing;
}

/** JSON Schemas for the OpenAPI document only; zod is the validator (a bad event is rejected, not the batch). */
const docs = {
  batch: z.toJSONSchema(z.object({ events: z.array(InboundEvent).min(1).max(1000) }), {
    target: 'openapi-3.0',
    unrepresentable: 'any',
    io: 'input',
  }),
};

export const eventRoutes: FastifyPluginAsync<EventRoutesOptions> = async (app, { store, ingestor, thread, keys }) => {
  // The body reaches the handler as text: parsed there, on this thread or in the ingest worker (./ingest-request.ts).
  keepJsonBodyAsText(app);
  /** Each answered request's per-event outcomes, for the metrics recorded once the answer is sent. */
  const outcomes = new WeakMap<object, { type: unknown; outcome: IngestOutcome }[]>();
  app.post(
    '/v1/events',
    {
      preHandler: keys.require('ingest'),
      onResponse: async (req, reply) =>
        recordIngest(outcomes.get(req) ?? [], { seconds: reply.elapsedTime / 1000, statusCode: reply.statusCode }),
      schema: {
        summary: 'Append canonical events; one result per event, in request order',
        tags: ['ingest'],
        body: docs.batch,
      },
    },
    async (req, reply) => {
      const ctx = { actor: req.apiKey!.name, requestId: req.id, correlationId: req.correlationId, log: req.log };
      const text = typeof req.body === 'string' ? req.body : '';
      const answer = thread ? await thread.answer(text, ctx) : await answerIngest(text, ingestor, ctx);
      if (answer.kind === 'refused') throw bodyErrorOf(answer);
      if (answer.kind === 'malformed') {
        return sendProblem(reply, {
          title: 'Bad Request',
          status: 400,
          code: 'MALFORMED_BODY',
          detail: 'the body must be {"events": [ ... ]} with 1 to 1000 events',
          errors: answer.errors,
        });
      }
      const { counts, correlationIds } = answer;
      outcomes.set(req, answer.outcomes);
      req.log.info({ events: answer.outcomes.length, correlationIds }, 'ingest batch');
      req.log.info({ ...counts, correlationIds }, 'ingest results');
      return reply.type('application/json; charset=utf-8').send(answer.body);
    },
  );

  const ContractParams = z.object({ contractId: Id });

  lookupRoute(app, keys, {
    url: '/v1/contracts/:contractId/events',
    summary: "One contract's raw stream, with revisions, positions and hashes",
    tags: ['read'],
    params: ContractParams,
    unknown: 'UNKNOWN_CONTRACT',
    find: async ({ contractId }) => {
      const events = [];
      for await (const e of store.readStream(contractStream(contractId))) {
        events.push({ ...e, position: formatPosition(e.position) });
      }
      return events.length === 0 ? null : { contractId, events };
    },
  });

  lookupRoute(app, keys, {
    url: '/v1/contracts/:contractId/status',
    summary: 'Write-side status: version in force, held versions, stream revision',
    tags: ['read'],
    params: ContractParams,
    unknown: 'UNKNOWN_CONTRACT',
    find: async ({ contractId }) => {
      const s = await ingestor.loadState(contractId);
      if (s.revision === null) return null;
      return {
        contractId: s.contractId,
        revision: s.revision,
        booked: s.booking !== null,
        versionInForce: s.appliedVersion,
        versionsStored: [...s.versions.keys()].sort((a, b) => a - b),
        heldVersions: [...s.versions.keys()].filter((v) => v > s.appliedVersion).sort((a, b) => a - b),
        cancelledAt: s.cancelledAt,
        events: s.keys.size,
      };
    },
  });

  const PairParams = z.object({ base: Currency, quote: Currency });

  app.get(
    '/v1/fx-rates/:base/:quote',
    {
      preHandler: keys.require('read'),
      schema: {
        summary: "A currency pair's published rates (FxRatesPublished), by rate date, type and log order",
        tags: ['read'],
      },
    },
    async (req, reply) => {
      const params = parseOrReply(PairParams, req.params, reply);
      if (!params) return reply;
      const rates = (await pairRates(store, params.base, params.quote)).map((e) => ({
        rateDate: e.data.rateDate as string,
        rateType: e.data.rateType as string,
        rate: e.data.rate as string,
        eventId: e.eventId,
        source: e.metadata.source ?? null,
        position: formatPosition(e.position),
        recordedAt: e.recordedAt,
      }));
      rates.sort((a, b) => (a.rateDate < b.rateDate ? -1 : a.rateDate > b.rateDate ? 1 : 0));
      return { base: params.base, quote: params.quote, rates };
    },
  );
};
