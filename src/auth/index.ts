// API keys and scopes: where keys come from (environment, key file, the demo key) and the KeyRing that checks them.
export {
  EXCEPTIONS_IGNORE,
  EXCEPTIONS_WRITE,
  KeyRing,
  MAPPINGS_APPROVE,
  METRICS,
  PERIODS_CLOSE,
  Scope,
  ensureDemoKey,
  hashKey,
  keysFromEnv,
  keysFromFile,
} from './keys.js';
export type { ApiKey, Authorization } from './keys.js';
