// The change subscriptions (issue 6): scheduleChanged and postingStatusChanged, resumable from a position. Their
// SDL extends the base schema (schema.ts).
import type { IResolvers } from 'mercurius';
import type { KeyRing } from '../http/index.js';
import type { ReadStore } from '../readmodel/index.js';
import type { EventStore } from '../store/index.js';

export const changeTypeDefs = /* GraphQL */ ``;

export function changeResolvers(_deps: { read: ReadStore; store: EventStore; keys: KeyRing }): IResolvers {
  return {};
}
