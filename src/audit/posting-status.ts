// The posting-status read model as the HTTP routes and GraphQL serve it: a contract's document joined with its
// revenue schedule, and the journals of one posting batch found by the batch tag. The joins are pure
// (projections/posting-status.ts); these read the documents they join through the read-store port.
import type {
  ContractPostingStatus,
  PostingStatusDoc,
  RevenueScheduleDoc,
  BatchStatus,
} from '../../projections/index.js';
import { batchOf, joinPostingStatus, postingStatus } from '../../projections/index.js';
import type { ReadStore } from '../readmodel/index.js';

type Reader = Pick<ReadStore, 'get' | 'getMany' | 'keysByTag'>;

/** A contract's billed / recognised / journaled / posted revenue and its journals; null for an unknown contract. */
export async function contractPostingStatus(
  read: Reader,
  contractId: string,
  options: { through?: string } = {},
): Promise<ContractPostingStatus | null> {
  const [doc, schedule] = await Promise.all([
    read.get(postingStatus.name, contractId),
    read.get('revenue-schedule', contractId),
  ]);
  if (doc === null && schedule === null) return null;
  return joinPostingStatus(contractId, doc as PostingStatusDoc | null, schedule as RevenueScheduleDoc | null, options);
}

export async function batchStatus(read: Reader, batchId: string): Promise<BatchStatus | null> {
  const keys = await read.keysByTag(postingStatus.name, [`batch:${batchId}`]);
  if (keys.length === 0) return null;
  const docs = await read.getMany(postingStatus.name, keys);
  const found: PostingStatusDoc[] = [];
  for (const key of keys) {
    const doc = docs.get(key);
    if (doc) found.push(doc as PostingStatusDoc);
  }
  return batchOf(batchId, found);
}
