// The runner settings the API's live projections and `revtrail project --follow` take from configuration: the live
// batch's coalescing limit among them, with its default and its bounds.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, runnerSettings } from '../../src/config.js';
import { DEFAULT_COALESCE_MAX_MS } from '../../src/runner/index.js';

describe('runner settings from configuration', () => {
  it('REVTRAIL_RUNNER_COALESCE_MS sets how long a live batch may wait (default 1 s; 0 allowed)', () => {
    expect(runnerSettings(loadConfig({})).coalesceMaxMs).toBe(DEFAULT_COALESCE_MAX_MS);
    expect(DEFAULT_COALESCE_MAX_MS).toBe(1000);
    expect(runnerSettings(loadConfig({ REVTRAIL_RUNNER_COALESCE_MS: '250' })).coalesceMaxMs).toBe(250);
    expect(runnerSettings(loadConfig({ REVTRAIL_RUNNER_COALESCE_MS: '0' })).coalesceMaxMs).toBe(0);
  });

  it('refuses a value out of bounds, naming the variable', () => {
    for (const bad of ['-1', '60001', '1.5', 'soon'])
      expect(() => loadConfig({ REVTRAIL_RUNNER_COALESCE_MS: bad })).toThrow(
        expect.objectContaining({
          name: ConfigError.name,
          message: expect.stringContaining('REVTRAIL_RUNNER_COALESCE_MS'),
        }),
      );
  });
});
