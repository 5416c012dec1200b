// The KeyRing's type where src/http/posting.ts reads it; keys and scopes live in src/auth.
export type { KeyRing } from '../auth/index.js';
