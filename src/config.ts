// Configuration from the environment, validated once at start-up: a bad value names the variable and the rule.
import { z } from 'zod';

const Env = z.object({
  REVTRAIL_STORE: z
    .string()
    .min(1)
    .default('./data/revtrail.db')
    .describe('esdb://host:port?tls=false for EventStoreDB, otherwise the embedded SQLite file'),
  REVTRAIL_SQLITE_SYNC: z.enum(['full', 'normal']).default('full'),
  REVTRAIL_HOST: z.string().min(1).default('127.0.0.1'),
  REVTRAIL_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  REVTRAIL_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  store: string;
  sqliteSync: 'full' | 'normal';
  host: string;
  port: number;
  logLevel: z.infer<typeof Env>['REVTRAIL_LOG_LEVEL'];
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    store: e.REVTRAIL_STORE,
    sqliteSync: e.REVTRAIL_SQLITE_SYNC,
    host: e.REVTRAIL_HOST,
    port: e.REVTRAIL_PORT,
    logLevel: e.REVTRAIL_LOG_LEVEL,
  };
}

/** The store location safe to show: a connection string without credentials. */
export function redactStoreLocation(location: string): string {
  return location.replace(/^(esdb(?:\+discover)?:\/\/)[^@/]*@/, '$1***@');
}
