// Query limits, as GraphQL validation rules so an abusive document is refused before anything is read: a depth limit
// (nested selections) and a cost limit (every field selected, multiplied by the sizes of the lists around it).
// Introspection (__schema, __type) is exempt: GraphiQL's introspection query is deep but reads nothing.
import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
} from 'graphql';
import type {
  ASTVisitor,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLObjectType,
  SelectionSetNode,
  ValidationContext,
} from 'graphql';
import type { GraphqlCode } from './errors.js';

export interface QueryLimits {
  /** Deepest field nesting allowed (`contracts { edges { node { journals { submissions { batchId } } } } }` is 6). */
  maxDepth: number;
  /** Most cost allowed: each field costs its weight times the sizes of the lists around it. */
  maxCost: number;
}

export const DEFAULT_LIMITS: QueryLimits = { maxDepth: 10, maxCost: 100_000 };

/** Largest `first` a connection takes. */
export const MAX_PAGE = 100;
/** `first` when a query leaves it out (the schema's default). */
export const DEFAULT_PAGE = 20;
/** Assumed size of a list that has no `first` argument (a contract's journals, versions, schedule periods, ...). */
const LIST_SIZE = 10;
/**
 * Fields that read more than a document already loaded: the event store, a scan, a tag index. Keyed by field name, or
 * by `Type.field` where the name alone would also weigh a plain field of another type (`Schedule.lineage` is data).
 */
const WEIGHTS: Readonly<Record<string, number>> = {
  events: 50,
  totalCount: 50,
  exceptions: 10,
  journal: 5,
  // The audit fields (audit.ts): one contract stream and the mapping streams ...
  'Query.lineage': 100,
  'Journal.lineage': 100,
  'Query.contractAsOf': 100,
  // ... the streams of the refused contracts ...
  'Query.postingFailures': 1_000,
  // ... every contract of a legal entity, the log's amendments, or every contract stream of the log.
  'Query.revenueWaterfall': 5_000,
  'Query.deferredRevenueRollforward': 5_000,
  'Query.reconciliation': 5_000,
  'Query.mappingDrift': 5_000,
  'Query.amendmentsAwaitingRecalculation': 5_000,
  'Query.trace': 10_000,
};

function refused(code: GraphqlCode, message: string, node: FieldNode | undefined): GraphQLError {
  return new GraphQLError(message, { nodes: node ? [node] : [], extensions: { code } });
}

/**
 * A connection's page size: a literal `first`, the largest page when it is a variable (the rules run once per
 * document, cached across requests, so they cannot see variable values), else the schema's default.
 */
function pageSizeOf(node: FieldNode): number {
  const arg = node.arguments?.find((a) => a.name.value === 'first')?.value;
  const n = arg === undefined ? DEFAULT_PAGE : arg.kind === Kind.INT ? Number(arg.value) : MAX_PAGE;
  return Math.min(Math.max(n, 0), MAX_PAGE);
}

/** The depth and cost rules. */
export function limitRules(limits: QueryLimits): ((context: ValidationContext) => ASTVisitor)[] {
  const rule = (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of context.getDocument().definitions)
      if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);

    let depthExceeded: FieldNode | null = null;
    const walk = (
      set: SelectionSetNode,
      type: GraphQLObjectType,
      depth: number,
      multiplier: number,
      pageSize: number | null,
      seen: ReadonlySet<string>,
    ): number => {
      let cost = 0;
      for (const sel of set.selections) {
        if (sel.kind === Kind.FRAGMENT_SPREAD) {
          const name = sel.name.value;
          const frag = fragments.get(name);
          // A cycle is refused by graphql's own NoFragmentCycles rule; here it is only not followed.
          if (!frag || seen.has(name)) continue;
          const on = context.getSchema().getType(frag.typeCondition.name.value);
          if (isObjectType(on))
            cost += walk(frag.selectionSet, on, depth, multiplier, pageSize, new Set([...seen, name]));
          continue;
        }
        if (sel.kind === Kind.INLINE_FRAGMENT) {
          const on = sel.typeCondition ? context.getSchema().getType(sel.typeCondition.name.value) : type;
          if (isObjectType(on)) cost += walk(sel.selectionSet, on, depth, multiplier, pageSize, seen);
          continue;
        }
        const name = sel.name.value;
        if (name === '__schema' || name === '__type') continue;
        if (depth + 1 > limits.maxDepth && !depthExceeded) depthExceeded = sel;
        const def = type.getFields()[name];
        if (!def) continue;
        cost += (WEIGHTS[`${type.name}.${name}`] ?? WEIGHTS[name] ?? 1) * multiplier;
        const size = def.args.some((a) => a.name === 'first') ? pageSizeOf(sel) : pageSize;
        const nullable = getNullableType(def.type);
        const list = isListType(nullable);
        const inner = getNamedType(def.type);
        if (sel.selectionSet && isObjectType(inner)) {
          const childMultiplier = list ? multiplier * Math.max(size ?? LIST_SIZE, 1) : multiplier;
          // A connection's page size applies to its `edges`, the first list below it.
          cost += walk(sel.selectionSet, inner, depth + 1, childMultiplier, list ? null : size, seen);
        }
      }
      return cost;
    };

    return {
      OperationDefinition(op) {
        const root =
          op.operation === OperationTypeNode.QUERY
            ? context.getSchema().getQueryType()
            : op.operation === OperationTypeNode.MUTATION
              ? context.getSchema().getMutationType()
              : context.getSchema().getSubscriptionType();
        if (!root) return;
        depthExceeded = null;
        const cost = walk(op.selectionSet, root, 0, 1, null, new Set());
        // Set by walk (TypeScript cannot see the closure assign it).
        const deep = depthExceeded as FieldNode | null;
        if (deep)
          context.reportError(refused('QUERY_TOO_DEEP', `the query nests deeper than ${limits.maxDepth} levels`, deep));
        if (cost > limits.maxCost)
          context.reportError(
            refused('QUERY_TOO_COSTLY', `the query costs ${cost}, more than the limit of ${limits.maxCost}`, undefined),
          );
      },
    };
  };
  return [rule];
}
