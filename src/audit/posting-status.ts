// The posting-status read model as the HTTP routes, GraphQL and the exports serve it: a contract's document joined
// with its revenue schedule, the journals of one posting batch found by the batch tag, and the journals of a legal
// entity's period. The joins are pure (projections/posting-status.ts); these read the documents through the port.
import type {
  ContractPostingStatus,
  PostingJournal,
  PostingStatusDoc,
  RevenueScheduleDoc,
  BatchStatus,
} from '../../projections/index.js';
import { batchOf, joinPostingStatus, postingStatus } from '../../projections/index.js';
import type { ReadStore } from '../readmodel/index.js';
import { contractsOf, docsOf } from './support.js';

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

/**
 * The journals of a legal entity posted in a period (`period`, the one its accounting date falls in), in contract
 * then journal order, with the contract whose stream holds each: the posting-status documents of the entity's
 * contracts, filtered.
 */
export async function periodJournals(
  read: ReadStore,
  legalEntity: string,
  period: string,
): Promise<{ contractId: string; journal: PostingJournal }[]> {
  const keys = (await contractsOf(read, legalEntity)).map((c) => c.contractId);
  const docs = await docsOf<PostingStatusDoc>(read, postingStatus.name, keys);
  const out: { contractId: string; journal: PostingJournal }[] = [];
  for (const contractId of keys) {
    const journals = docs.get(contractId)?.journals ?? [];
    const inPeriod = journals.filter((j) => j.period === period && j.legalEntity === legalEntity);
    inPeriod.sort((a, b) => a.journalId.localeCompare(b.journalId));
    for (const journal of inPeriod) out.push({ contractId, journal });
  }
  return out;
}
