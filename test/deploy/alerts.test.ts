// The alert rules and the dashboard in deploy/: promtool (Debian's prometheus package, installed by CI) checks the
// rules and runs their unit tests; every revtrail_* name a rule or a panel queries is a family the service declares;
// Prometheus' configuration loads the rules and scrapes the API nodes and the workers; Grafana provisions the
// dashboard from the folder that holds it.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registry } from '../../src/metrics/index.js';

const promtool = spawnSync('promtool', ['--version']).status === 0;
if (!promtool)
  console.warn('promtool not found: skipping the alert rule checks (scripts/prometheus/install.sh installs it)');

const RULES = 'deploy/prometheus/alerts.yml';
const RULE_TESTS = 'deploy/prometheus/alerts.test.yml';
const DASHBOARD = 'deploy/grafana/dashboards/revtrail.json';

/** The revtrail_* names a text queries, with a histogram's _bucket, _sum and _count read as its family. */
const queried = (text: string): string[] => [
  ...new Set([...text.matchAll(/revtrail_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''))),
];

describe('deploy/prometheus alert rules', () => {
  it.skipIf(!promtool)('pass promtool check rules', () => {
    const out = execFileSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
  });

  it.skipIf(!promtool)('pass their unit tests (promtool test rules)', () => {
    const run = spawnSync('promtool', ['test', 'rules', RULE_TESTS], { encoding: 'utf8' });
    expect(run.stdout + run.stderr).toMatch(/SUCCESS/);
    expect(run.status).toBe(0);
  });

  it('name the alerts the close is run on, and query only declared families', async () => {
    const text = readFileSync(RULES, 'utf8');
    for (const alert of [
      'RevtrailProjectionLagHigh',
      'RevtrailPostingFailures',
      'RevtrailExceptionsPastSla',
      'RevtrailReconciliationBreaksAtClose',
      'RevtrailIngestRejectionSpike',
      'RevtrailCloseBacklog',
    ])
      expect(text).toContain(`alert: ${alert}\n`);
    const declared = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    expect(queried(text).filter((name) => !declared.has(name))).toEqual([]);
  });

  it('are loaded by the Prometheus configuration, which scrapes the API nodes and the workers', () => {
    const config = readFileSync('deploy/prometheus/prometheus.yml', 'utf8');
    expect(config).toMatch(/rule_files:\s*\n\s*- \/etc\/prometheus\/alerts\.yml/);
    expect(config).toMatch(/job_name: revtrail-api[\s\S]*targets: \['api-1:8080', 'api-2:8080'\]/);
    expect(config).toMatch(/job_name: revtrail-worker[\s\S]*targets: \['worker-0:9464', 'worker-1:9464'\]/);
  });
});

describe('deploy/grafana dashboard', () => {
  it('is provisioned from its folder and charts only declared families, every one of them', async () => {
    const provider = readFileSync('deploy/grafana/provisioning/dashboards/revtrail.yml', 'utf8');
    expect(provider).toContain('path: /var/lib/grafana/dashboards');
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      uid: string;
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    expect(dashboard.uid).toBe('revtrail');
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
    const declared = (await registry.getMetricsAsJSON()).map((m) => m.name).filter((n) => n.startsWith('revtrail_'));
    const charted = queried(exprs);
    expect(charted.filter((name) => !declared.includes(name))).toEqual([]);
    expect(declared.filter((name) => !charted.includes(name))).toEqual([]);
  });
});
