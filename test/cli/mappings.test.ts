// `revtrail mappings` as a separate process over a real store: the entity register published from a file (versions,
// a re-publication changing nothing, a stale base refused), an invalid file refused with each field named and nothing
// published, and the register shown and listed as REST shows it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../support/cli.js';

const REGISTER = {
  reportingCurrency: 'EUR',
  entities: [
    { legalEntity: 'DE01', functionalCurrency: 'EUR', erp: { connector: 'file', dir: '/srv/erp/de01' } },
    {
      legalEntity: 'US01',
      functionalCurrency: 'USD',
      erp: { connector: 'tryton', urlEnv: 'US_TRYTON_URL', databaseEnv: 'US_TRYTON_DB', passwordEnv: 'US_TRYTON_PW' },
    },
  ],
};

describe('revtrail mappings', () => {
  let dir: string;
  let env: Record<string, string>;
  const file = (name: string, content: unknown): string => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(content));
    return path;
  };
  const cli = async (args: string[]) => {
    const r = await run(['mappings', ...args], env);
    const out = r.stdout.trim();
    const err = r.stderr.trim();
    return { code: r.code, out: out ? JSON.parse(out) : null, err: err.startsWith('{') ? JSON.parse(err) : err };
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-cli-mappings-'));
    env = { REVTRAIL_STORE: join(dir, 'events.db'), REVTRAIL_DATA_DIR: dir, REVTRAIL_LOG_LEVEL: 'silent' };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses an invalid register file (exit 2) with each field named, and publishes nothing', async () => {
    const literal = {
      ...REGISTER,
      entities: [{ ...REGISTER.entities[1], erp: { ...REGISTER.entities[1]!.erp, password: 's3cret' } }],
    };
    const r = await cli(['publish', 'entities', '--file', file('bad.json', literal), '--reason', 'try']);
    expect(r.code).toBe(2);
    expect(r.err.errors).toEqual([expect.objectContaining({ path: 'entities.0.erp.password', code: 'UNKNOWN_FIELD' })]);
    expect((await cli(['show', 'entities'])).code).toBe(1);
    expect((await cli(['publish', 'ledgers', '--file', 'x'])).code).toBe(2);
  });

  it('publishes versions, changes nothing on the same content, refuses a stale base, shows and lists them', async () => {
    const path = file('register.json', REGISTER);
    expect(await cli(['publish', 'entities', '--file', path, '--reason', 'group structure'])).toMatchObject({
      code: 0,
      out: { kind: 'entities', version: 1, status: 'published' },
    });
    expect((await cli(['publish', 'entities', '--file', path, '--reason', 'again'])).out).toMatchObject({
      version: 1,
      status: 'unchanged',
    });
    const moved = file('moved.json', { ...REGISTER, reportingCurrency: 'USD' });
    const second = await cli([
      'publish',
      'entities',
      '--file',
      moved,
      '--reason',
      'reporting in USD',
      '--based-on',
      '1',
    ]);
    expect(second.out).toMatchObject({ version: 2, status: 'published' });
    const stale = await cli(['publish', 'entities', '--file', path, '--reason', 'late', '--based-on', '1']);
    expect(stale).toMatchObject({ code: 3, err: { code: 'STALE_VERSION' } });
    const shown = await cli(['show', 'entities']);
    expect(shown.out).toMatchObject({
      kind: 'entities',
      version: 2,
      reason: 'reporting in USD',
      reportingCurrency: 'USD',
      publishedBy: 'cli',
    });
    expect(shown.out.entities).toEqual(REGISTER.entities);
    expect((await cli(['show', 'entities', '--version', '1'])).out).toMatchObject({ reportingCurrency: 'EUR' });
    expect((await cli(['versions', 'entities'])).out.versions).toEqual([
      expect.objectContaining({ version: 2, reason: 'reporting in USD', entries: 2 }),
      expect.objectContaining({ version: 1, reason: 'group structure', entries: 2 }),
    ]);
  });
});
