// Posting routes (post scope): run a posting run for a period, and re-prepare journals the ERP refused. A run answers
// with its summary when it ends. One run at a time: per node (a second request gets 409 POSTING_RUN_IN_PROGRESS) and
// across processes through the store's posting-run lock (409 POSTING_RUN_IN_PROGRESS while another holds it; 409
// POSTING_RUN_LOCK_LOST, with the summary so far, when another run took it over mid-run). Two runs would not post
// twice, since every step is decided on the contract stream, but they would only compete.
import { performance } from 'node:perf_hooks';
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config.js';
import { PostingRunRequest, ReprepareRequest } from '../../schemas/index.js';
import type { Erp } from '../posting/erp.js';
import { routeOf, runConnectorName, runNameFor } from '../posting/erp.js';
import { reprepareJournals } from '../posting/reprepare.js';
import { acquirePostingLock } from '../posting/lock.js';
import { PostingRunStoppedError, postingRun } from '../posting/run.js';
import type { EventStore } from '../store/index.js';
import type { KeyRing } from '../auth/index.js';
import { meteredConnector } from '../posting/index.js';
import { recordPostingRun } from '../metrics/index.js';
import { parseOrReply, sendProblem } from './problem.js';

export interface PostingRoutesOptions {
  store: EventStore;
  keys: KeyRing;
  erp: Erp;
  posting: Config['posting'];
  now: () => Date;
}

export const postingRoutes: FastifyPluginAsync<PostingRoutesOptions> = async (app, options) => {
  const { store, keys, erp, posting, now } = options;
  let running: string | null = null;

  app.post(
    '/v1/posting-runs',
    {
      preHandler: keys.require('post'),
      schema: {
        summary: "Prepare and post every contract's journal for a period (of one legal entity, or all)",
        tags: ['posting'],
        body: {
          type: 'object',
          required: ['period'],
          properties: { period: { type: 'string', pattern: '^\\d{4}-\\d{2}$' }, legalEntity: { type: 'string' } },
        },
      },
    },
    async (req, reply) => {
      const body = parseOrReply(PostingRunRequest, req.body, reply);
      if (!body) return reply;
      if (running !== null)
        return sendProblem(reply, {
          title: 'Conflict',
          status: 409,
          code: 'POSTING_RUN_IN_PROGRESS',
          detail: `posting run ${running} is still running on this node`,
        });
      const runName = runNameFor(body.period, body.legalEntity, now());
      running = runName;
      // Across processes and nodes: the store's posting-run lock.
      const lock = await acquirePostingLock(store, `${runName}#${process.pid}`, { leaseMs: posting.leaseMs }).catch(
        (err: unknown) => {
          running = null;
          throw err;
        },
      );
      if ('code' in lock) {
        running = null;
        return sendProblem(reply, { title: 'Conflict', status: 409, code: lock.code, detail: lock.message });
      }
      const erps = routeOf(erp, runName, { wrap: meteredConnector });
      const started = performance.now();
      const seconds = (): number => (performance.now() - started) / 1000;
      try {
        const summary = await postingRun(store, {
          lock,
          period: body.period,
          ...(body.legalEntity ? { legalEntity: body.legalEntity } : {}),
          erps,
          batchSize: posting.batchSize,
          maxAttempts: posting.maxAttempts,
          backoffMs: posting.backoffMs,
          timeoutMs: posting.timeoutMs,
          now,
          actor: req.apiKey!.name,
          correlationId: req.correlationId,
          log: req.log.child({ runName }),
        });
        req.log.info({ runName, ...summary }, 'posting run');
        recordPostingRun('completed', seconds(), summary);
        const connector = runConnectorName(erp, summary.registerVersion);
        return reply.code(201).send({ runName, connector, ...summary });
      } catch (err) {
        recordPostingRun(err instanceof PostingRunStoppedError ? 'stopped' : 'failed', seconds(), null);
        if (!(err instanceof PostingRunStoppedError)) throw err;
        req.log.warn({ runName, ...err.summary }, 'posting run stopped: lock lost');
        return reply.code(409).type('application/problem+json').send({
          type: 'about:blank',
          title: 'Conflict',
          status: 409,
          code: err.code,
          detail: err.message,
          runName,
          summary: err.summary,
        });
      } finally {
        running = null;
        await lock.release();
        await erps.release();
      }
    },
  );

  app.post(
    '/v1/journals/reprepare',
    {
      preHandler: keys.require('post'),
      schema: {
        summary:
          'Re-prepare journals the ERP refused (any code) once the cause is fixed: re-dated, prepared anew or reopened',
        tags: ['posting'],
      },
    },
    async (req, reply) => {
      const body = parseOrReply(ReprepareRequest, req.body ?? {}, reply);
      if (!body) return reply;
      const result = await reprepareJournals(store, {
        ...(body.journalIds ? { journalIds: body.journalIds } : {}),
        ...(body.legalEntity ? { legalEntity: body.legalEntity } : {}),
        ...(body.into ? { into: body.into } : {}),
        now,
        actor: req.apiKey!.name,
        correlationId: req.correlationId,
      });
      req.log.info({ reprepared: result.reprepared.length, refused: result.refused.length }, 'journals re-prepared');
      return result;
    },
  );
};
