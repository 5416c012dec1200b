// `revtrail start`: the HTTP service, seeded with the demo company on an empty store when configured to.
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { seedDemo } from '../demo/index.js';
import { SimulatedConnector } from '../posting/index.js';

export async function start(): Promise<void> {
  const config = loadConfig();
  const app = await buildApp(config);
  if (config.demoContracts > 0) {
    // The simulated ERP is the demo's: its past is posted there (on another ERP the demo stays unposted).
    const erp = app.erp.kind === 'simulated' ? app.erp.open('demo') : null;
    const demo = await seedDemo(app.store, {
      contracts: config.demoContracts,
      seed: 1,
      ...(erp instanceof SimulatedConnector ? { erp } : {}),
    });
    if (erp) await app.erp.release(erp);
    if (demo) app.http.log.info(demo, 'empty store: demo company generated and imported');
  }
  if (!config.apiKeys && !config.apiKeysFile) {
    app.http.log.info(
      { keyFile: config.demoKeyFile.plain },
      'no API keys configured: the local admin key is in keyFile',
    );
  }
  const shutdown = (signal: string): void => {
    app.http.log.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.http.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  await app.http.listen({ host: config.host, port: config.port });
}
