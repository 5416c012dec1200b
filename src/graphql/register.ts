// The entity register in GraphQL: `entityRegister(version)` (the one in force, or a published version) and
// `entityRegisterVersions` (who published each, when and why, newest first). Read from the register's own short
// stream (mapping-entities), as REST reads it; publishing stays on REST and the CLI, under `mappings:approve`.
import type { IResolvers } from 'mercurius';
import { MAPPING_EVENT, mappingStream } from '../../commands/mapping.js';
import type { RecordedEvent } from '../../schemas/index.js';
import type { EventStore } from '../store/index.js';
import { codedError } from './errors.js';

export const registerTypeDefs = /* GraphQL */ `
  extend type Query {
    "The entity register in force (or its \`version\`); null when none was ever published."
    entityRegister(version: Int): EntityRegister
    "The register's published versions, newest first, each without its entries; \`before\` pages back."
    entityRegisterVersions(limit: Int = 20, before: Int): [EntityRegisterVersion!]!
  }

  "One version of the entity register: each legal entity's functional currency and the ERP its journals go to."
  type EntityRegister {
    version: Int!
    reason: String!
    actor: String
    publishedAt: String!
    "The group's reporting currency, where the register names one."
    reportingCurrency: String
    entities: [RegisteredEntity!]!
  }

  type EntityRegisterVersion {
    version: Int!
    reason: String!
    actor: String
    publishedAt: String!
    entries: Int!
  }

  type RegisteredEntity {
    legalEntity: String!
    functionalCurrency: String!
    erp: EntityErp!
  }

  "Where an entity's journals go. Secrets and addresses are environment-variable names, read where the run runs."
  type EntityErp {
    "tryton, file or simulated."
    connector: String!
    urlEnv: String
    databaseEnv: String
    userEnv: String
    passwordEnv: String
    journal: String
    dir: String
  }
`;

interface RegisterData {
  version: number;
  reason: string;
  reportingCurrency?: string;
  entities: Record<string, unknown>[];
}

const summaryOf = (e: RecordedEvent) => {
  const data = e.data as unknown as RegisterData;
  return {
    version: data.version,
    reason: data.reason,
    actor: e.metadata.actor ?? null,
    publishedAt: e.metadata.receivedAt,
    entries: data.entities.length,
  };
};

const registerOf = (e: RecordedEvent) => {
  const data = e.data as unknown as RegisterData;
  return { ...summaryOf(e), reportingCurrency: data.reportingCurrency ?? null, entities: data.entities };
};

export function registerResolvers(deps: { store: EventStore }): IResolvers {
  const stream = mappingStream('entities');
  const published = (e: RecordedEvent): boolean => e.type === MAPPING_EVENT.entities;
  return {
    Query: {
      entityRegister: async (_root: unknown, args: { version?: number | null }) => {
        const wanted = args.version ?? null;
        for await (const e of deps.store.readStream(stream, { direction: 'backwards' }))
          if (published(e) && (wanted === null || (e.data as unknown as RegisterData).version === wanted))
            return registerOf(e);
        return null;
      },
      entityRegisterVersions: async (_root: unknown, args: { limit: number; before?: number | null }) => {
        if (args.limit < 1 || args.limit > 100) throw codedError('INVALID_ARGUMENT', 'limit is from 1 to 100');
        const out: ReturnType<typeof summaryOf>[] = [];
        for await (const e of deps.store.readStream(stream, { direction: 'backwards' })) {
          if (!published(e)) continue;
          const summary = summaryOf(e);
          if (args.before != null && summary.version >= args.before) continue;
          out.push(summary);
          if (out.length === args.limit) break;
        }
        return out;
      },
    },
  };
}
