// Query limits: what one GraphQL document may ask of the process, checked before anything is read and in time linear
// in the document. Two stages, both outside graphql-js's own validation (whose rules recurse and compare fields
// pairwise, so they must only ever see a document already known to be small):
// - the source, before it is parsed: a bound on its tokens and on how deep its brackets nest (the parser recurses
//   once per bracket, so this is what keeps a 2,000-level document from overflowing the stack);
// - the parsed document, per operation: how deep its fields nest, how many field selections and aliases it makes
//   with every fragment expanded, how many reports it runs, and its cost (every field selected, multiplied by the
//   sizes of the lists around it). Each fragment is costed once per page-size context and reused wherever it is
//   spread, so fragments spreading fragments twice over cost nothing more to analyse than to read.
import {
  GraphQLError,
  Kind,
  Lexer,
  OperationTypeNode,
  SchemaMetaFieldDef,
  Source,
  TokenKind,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
} from 'graphql';
import type {
  ASTNode,
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLField,
  GraphQLNamedType,
  GraphQLSchema,
  OperationDefinitionNode,
  SelectionSetNode,
} from 'graphql';
import type { GraphqlCode } from './errors.js';

export interface QueryLimits {
  /** Deepest field nesting allowed (`contracts { edges { node { journals { submissions { batchId } } } } }` is 6). */
  maxDepth: number;
  /** Most cost allowed: each field costs its weight times the sizes of the lists around it. */
  maxCost: number;
  /** Most field selections per operation (`__typename` included), every fragment spread counted as its fields. */
  maxFields: number;
  /** Most aliased field selections per operation, counted the same way. */
  maxAliases: number;
  /** Most report fields (those reading a whole legal entity or the whole log: trace, revenueWaterfall, ...). */
  maxReports: number;
  /** Most tokens in a document (punctuation, names, values; comments are not tokens). */
  maxTokens: number;
  /** Deepest nesting of brackets in the source, and of selections (fields, inline fragments, fragment spreads). */
  maxNesting: number;
  /** Largest request body on /graphql, in bytes (the query, its variables and the JSON around them). */
  maxBodyBytes: number;
}

export const DEFAULT_LIMITS: QueryLimits = {
  maxDepth: 10,
  maxCost: 100_000,
  maxFields: 1_000,
  maxAliases: 100,
  maxReports: 4,
  maxTokens: 5_000,
  maxNesting: 32,
  maxBodyBytes: 256 * 1024,
};

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
const WEIGHTS: ReadonlyMap<string, number> = new Map(
  Object.entries({
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
    'Query.groupReport': 5_000,
    'Query.reconciliation': 5_000,
    'Query.mappingDryRun': 5_000,
    'Query.erpTieOut': 5_000,
    'Query.mappingDrift': 5_000,
    'Query.amendmentsAwaitingRecalculation': 5_000,
    'Query.trace': 10_000,
  }),
);
/** A field weighing this much or more is a report, and counts against `maxReports`. */
const REPORT_WEIGHT = 1_000;
/**
 * The fields every schema has without declaring them. `__schema` and `__type` are free of the depth limit (GraphiQL's
 * introspection nests `ofType` nine deep), not of the others: their lists (types, fields, args) multiply like any.
 */
const META_FIELDS: ReadonlyMap<string, GraphQLField<unknown, unknown>> = new Map([
  ['__schema', SchemaMetaFieldDef],
  ['__type', TypeMetaFieldDef],
  ['__typename', TypeNameMetaFieldDef],
]);
const INTROSPECTION = new Set(['__schema', '__type']);

function refused(code: GraphqlCode, message: string, node?: ASTNode): GraphQLError {
  return new GraphQLError(message, { nodes: node ? [node] : [], extensions: { code } });
}

/**
 * The source's refusal, if any: more tokens than `maxTokens`, or brackets nested deeper than `maxNesting`, found by
 * lexing at most `maxTokens` tokens (never the whole of a large source). A source the lexer cannot read is refused
 * with its syntax error here: mercurius would otherwise try it as a JSON-encoded document, past these bounds.
 */
export function sourceRefusal(source: string, limits: QueryLimits): GraphQLError | null {
  const lexer = new Lexer(new Source(source));
  let tokens = 0;
  let nesting = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (++tokens > limits.maxTokens)
        return refused('QUERY_TOO_LARGE', `the query has more than ${limits.maxTokens} tokens`);
      const kind = token.kind;
      if (kind === TokenKind.BRACE_L || kind === TokenKind.BRACKET_L || kind === TokenKind.PAREN_L) {
        if (++nesting > limits.maxNesting)
          return refused('QUERY_TOO_DEEP', `the query nests brackets deeper than ${limits.maxNesting} levels`);
      } else if (kind === TokenKind.BRACE_R || kind === TokenKind.BRACKET_R || kind === TokenKind.PAREN_R) {
        nesting--;
      }
    }
  } catch (error) {
    if (error instanceof GraphQLError) return error;
    throw error;
  }
  return null;
}

/** What a selection set asks for, with every fragment spread in it expanded. */
interface Tally {
  /** Cost of one evaluation of the set (the caller multiplies by the size of the list around it). */
  cost: number;
  fields: number;
  aliases: number;
  reports: number;
  /** Deepest field nesting below the set (a set of leaves is 1). */
  depth: number;
}

const EMPTY: Tally = { cost: 0, fields: 0, aliases: 0, reports: 0, depth: 0 };

function add(into: Tally, t: Tally, times = 1): void {
  into.cost += t.cost * times;
  into.fields += t.fields;
  into.aliases += t.aliases;
  into.reports += t.reports;
  into.depth = Math.max(into.depth, t.depth);
}

/** A field of a type by a name from the document (`constructor` is a name, not Object.prototype's). */
function fieldOf<T>(fields: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(fields, name) ? fields[name] : undefined;
}

/**
 * A connection's page size: a literal `first`, the largest page when it is a variable (limits are checked once per
 * document, cached across requests, so they cannot see variable values), else the schema's default.
 */
function pageSizeOf(node: FieldNode): number {
  const arg = node.arguments?.find((a) => a.name.value === 'first')?.value;
  const n = arg === undefined ? DEFAULT_PAGE : arg.kind === Kind.INT ? Number(arg.value) : MAX_PAGE;
  return Math.min(Math.max(n, 0), MAX_PAGE);
}

/**
 * Tallies the operations of one document. Recursion is bounded by `maxNesting` (a selection set or fragment spread
 * past it is not entered, and the document is refused), so no document can overflow the stack here.
 */
class Analysis {
  private readonly fragments = new Map<string, FragmentDefinitionNode>();
  /** A fragment's tally per page-size context; `null` while it is being tallied (a cycle is not followed again). */
  private readonly memo = new Map<string, Tally | null>();
  tooDeep: ASTNode | null = null;

  constructor(
    private readonly schema: GraphQLSchema,
    document: DocumentNode,
    private readonly limits: QueryLimits,
  ) {
    for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) this.fragments.set(d.name.value, d);
  }

  operation(op: OperationDefinitionNode): Tally {
    const root =
      op.operation === OperationTypeNode.QUERY
        ? this.schema.getQueryType()
        : op.operation === OperationTypeNode.MUTATION
          ? this.schema.getMutationType()
          : this.schema.getSubscriptionType();
    return this.set(op.selectionSet, root ?? undefined, 1, null);
  }

  /**
   * `type` is undefined where the schema does not know the type: the fields are still counted (validation refuses
   * them later, and must not be handed an unbounded document to do so), they only cost nothing.
   */
  private set(
    set: SelectionSetNode,
    type: GraphQLNamedType | undefined,
    level: number,
    pageSize: number | null,
  ): Tally {
    if (level > this.limits.maxNesting) {
      this.tooDeep ??= set;
      return EMPTY;
    }
    const tally: Tally = { ...EMPTY };
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) add(tally, this.field(selection, type, level, pageSize));
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition ? this.schema.getType(selection.typeCondition.name.value) : type;
        add(tally, this.set(selection.selectionSet, on ?? undefined, level + 1, pageSize));
      } else add(tally, this.spread(selection.name.value, level, pageSize));
    }
    return tally;
  }

  private spread(name: string, level: number, pageSize: number | null): Tally {
    const key = `${name}@${pageSize ?? ''}`;
    const known = this.memo.get(key);
    if (known !== undefined) return known ?? EMPTY;
    const fragment = this.fragments.get(name);
    if (!fragment) return EMPTY;
    // A cycle is refused by graphql's own NoFragmentCycles rule; here it is only not followed.
    this.memo.set(key, null);
    const on = this.schema.getType(fragment.typeCondition.name.value) ?? undefined;
    // Tallied once at the level of its first spread: if it nests too deep from there, the document is refused anyway,
    // and if it does not, its tally is complete and holds wherever else it is spread.
    const tally = this.set(fragment.selectionSet, on, level + 1, pageSize);
    this.memo.set(key, tally);
    return tally;
  }

  private field(node: FieldNode, parent: GraphQLNamedType | undefined, level: number, pageSize: number | null): Tally {
    const name = node.name.value;
    const def =
      META_FIELDS.get(name) ??
      (isObjectType(parent) || isInterfaceType(parent) ? fieldOf(parent.getFields(), name) : undefined);
    const weight = def ? (WEIGHTS.get(`${parent?.name}.${name}`) ?? WEIGHTS.get(name) ?? 1) : 0;
    const tally: Tally = {
      cost: weight,
      fields: 1,
      aliases: node.alias ? 1 : 0,
      reports: weight >= REPORT_WEIGHT ? 1 : 0,
      depth: 1,
    };
    if (!node.selectionSet) return tally;
    const size = def?.args.some((a) => a.name === 'first') ? pageSizeOf(node) : pageSize;
    const list = def !== undefined && isListType(getNullableType(def.type));
    // A connection's page size applies to its `edges`, the first list below it.
    const inner = this.set(node.selectionSet, def && getNamedType(def.type), level + 1, list ? null : size);
    add(tally, inner, list ? Math.max(size ?? LIST_SIZE, 1) : 1);
    tally.depth = INTROSPECTION.has(name) ? 1 : 1 + inner.depth;
    return tally;
  }
}

/** The document's refusal, if any: the first limit one of its operations breaks, in the order of `QueryLimits`. */
export function documentRefusal(
  schema: GraphQLSchema,
  document: DocumentNode,
  limits: QueryLimits,
): GraphQLError | null {
  const analysis = new Analysis(schema, document, limits);
  for (const op of document.definitions) {
    if (op.kind !== Kind.OPERATION_DEFINITION) continue;
    const t = analysis.operation(op);
    if (analysis.tooDeep)
      return refused(
        'QUERY_TOO_DEEP',
        `the query nests selections (fields, inline fragments, fragment spreads) deeper than ${limits.maxNesting} levels`,
        analysis.tooDeep,
      );
    if (t.depth > limits.maxDepth)
      return refused('QUERY_TOO_DEEP', `the query nests deeper than ${limits.maxDepth} levels`, op);
    if (t.fields > limits.maxFields)
      return refused(
        'TOO_MANY_FIELDS',
        `the query selects ${t.fields} fields (fragments expanded), more than the limit of ${limits.maxFields}`,
        op,
      );
    if (t.aliases > limits.maxAliases)
      return refused(
        'TOO_MANY_ALIASES',
        `the query has ${t.aliases} aliases (fragments expanded), more than the limit of ${limits.maxAliases}`,
        op,
      );
    if (t.cost > limits.maxCost)
      return refused('QUERY_TOO_COSTLY', `the query costs ${t.cost}, more than the limit of ${limits.maxCost}`);
    if (t.reports > limits.maxReports)
      return refused(
        'TOO_MANY_REPORTS',
        `the query runs ${t.reports} reports, more than the limit of ${limits.maxReports}`,
        op,
      );
  }
  return null;
}
