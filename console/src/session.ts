// What the signed-in key may do, for every screen to ask (GET /v1/whoami's answer, held by the shell).
import { createContext, useContext } from 'react';
import type { Whoami } from './api';

export const WhoamiContext = createContext<Whoami | null>(null);

/** Whether the key holds a scope (admin holds every one: the server expands it). */
export function useCan(scope: string): boolean {
  return useContext(WhoamiContext)?.effectiveScopes.includes(scope) ?? false;
}

/** The legal entities of the account mapping (GET /v1/mappings/accounts), for the screens' entity pickers. */
export interface Entity {
  legalEntity: string;
  currency: string;
}
