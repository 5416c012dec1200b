// kill -9 between the ERP's write and Revtrail's record: `revtrail post` with the file connector dies right after
// writing its first transaction. The next `revtrail post` asks the ERP (the connector's files) for the journal before
// sending anything, records it posted with that document, posts the rest, and real hledger reads exactly one
// transaction per journal.
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { contractJournals } from '../../src/posting/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import { SHORT_POSTING_LEASE_MS, fileConnectorEnv, run, seededCliStore, untilPostingLockFree } from '../support/cli.js';
import { INSTALL_HINT, describeWith } from '../support/tryton.js';

const HLEDGER = '/usr/bin/hledger';
const exec = promisify(execFile);

describeWith(HLEDGER, INSTALL_HINT, 'a posting process killed after the ERP wrote', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    ({ dir, env } = await seededCliStore('revtrail-kill-', fileConnectorEnv, { contracts: 20, seed: 9 }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const journals = async () => {
    const store = new SqliteEventStore({ path: env.REVTRAIL_STORE! });
    try {
      return [...(await contractJournals(store)).values()].flatMap((s) => [...s.journals.values()]);
    } finally {
      await store.close();
    }
  };
  const erpFiles = () =>
    readdirSync(env.REVTRAIL_ERP_DIR!)
      .filter((f) => f.endsWith('.journal'))
      .sort()
      .map((f) => join(env.REVTRAIL_ERP_DIR!, f));
  /** The journal id of every transaction the ERP holds, as hledger prints them (the transaction code). */
  const erpJournalIds = async () => {
    const { stdout } = await exec(HLEDGER, [...erpFiles().flatMap((f) => ['-f', f]), 'print'], {
      maxBuffer: 64 << 20,
    });
    return [...stdout.matchAll(/^\d{4}-\d{2}-\d{2} \(([^)]*)\)/gmu)].map((m) => decodeURIComponent(m[1]!));
  };

  it('the next run finds the journal in the ERP, records it posted, and the ERP holds it once', async () => {
    // One journal per micro-batch, so exactly one is written before the process dies.
    // A short posting-run lease: the killed run holds the store's lock until it expires.
    const dying = {
      ...env,
      REVTRAIL_TEST_DIE_AFTER_ERP_WRITE: '1',
      REVTRAIL_POSTING_BATCH: '1',
      REVTRAIL_POSTING_LEASE_MS: SHORT_POSTING_LEASE_MS,
    };
    const killed = await run(['post', '--period', '2026-03'], dying);
    expect(killed.code).toBeNull(); // died by the signal, answer unrecorded
    const [file] = erpFiles();
    expect(erpFiles()).toHaveLength(1);
    const [written] = await erpJournalIds();
    expect(await erpJournalIds()).toEqual([written]);
    const before = await journals();
    expect(before.find((j) => j.journalId === written)).toMatchObject({ status: 'submitted', erpDocumentId: null });

    await untilPostingLockFree(env);
    const next = await run(['post', '--period', '2026-03'], env);
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    const summary = JSON.parse(next.stdout) as { posted: number; prepared: number };
    expect(summary).toMatchObject({ prepared: 0, posted: before.length });

    const after = await journals();
    expect(after.every((j) => j.status === 'posted')).toBe(true);
    // The in-doubt journal's document is the one the killed run wrote, in the killed run's file.
    expect(after.find((j) => j.journalId === written)!.erpDocumentId).toMatch(
      new RegExp(`^${file!.split('/').pop()!.replace('.', '\\.')}:`),
    );
    const ids = await erpJournalIds();
    expect(ids.sort()).toEqual(after.map((j) => j.journalId).sort());
    expect(new Set(ids).size).toBe(ids.length);
    expect(readFileSync(file!, 'utf8').match(/^\d{4}-\d{2}-\d{2} \(/gmu)).toHaveLength(1);
    for (const f of erpFiles()) await exec(HLEDGER, ['-f', f, 'check']);
  });
});
