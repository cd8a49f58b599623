import type { ErrorCode } from '@ipay/platform';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { Supergraph } from '@apollo/federation-internals';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';
import {
  GraphQLError,
  Kind,
  TypeInfo,
  UniqueDirectivesPerLocationRule,
  ValidationContext,
  buildSchema,
  print,
  visit,
  visitInParallel,
  visitWithTypeInfo,
  type ArgumentNode,
  type ASTVisitor,
  type GraphQLSchema,
  type DocumentNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';
import { MAX_PAGE_SIZE } from '@ipay/platform';

/**
 * Operation limits, checked by the gateway on every document before Apollo validates it, before any subgraph is
 * called and before a persisted-document lookup does more than a map lookup. The rules are GraphQL Armor's
 * (https://escape.tech/graphql-armor); the defaults are Armor's, made stricter where Armor is lenient:
 * - depth is counted after fragment expansion (`flattenFragments`), and introspection is not exempt (Armor's
 *   `ignoreIntrospection` skips any field named `__schema`);
 * - the cost of `first`/`last` given as variables uses the variable's value (Armor counts only literals), or the
 *   largest page (100) when it is not given;
 * - root fields are limited (Armor has no such rule).
 */
export interface OperationLimits {
  /** Lexical tokens of the document (Armor max-tokens). */
  tokens: number;
  /** Selection depth after fragment expansion (Armor max-depth). */
  depth: number;
  /** Aliased fields, `__typename` included (Armor max-aliases). */
  aliases: number;
  /** Directives in total (Armor max-directives); a repeated non-repeatable directive is refused by graphql-js. */
  directives: number;
  /** Static cost (Armor cost-limit: objects 2, scalars 1, ×1.5 per level, × list size of `first`/`last`). */
  cost: number;
  /** Fields at the root of an operation, after fragment expansion. */
  rootFields: number;
}

/** Armor's defaults (tokens 1000, depth 6, aliases 15, directives 50, cost 5000) plus 10 root fields. */
export const DEFAULT_OPERATION_LIMITS: OperationLimits = { tokens: 1000, depth: 6, aliases: 15, directives: 50, cost: 5000, rootFields: 10 };

/**
 * The budget of documents from the persisted-operation manifest (the REST facade's operations, reviewed when they
 * are added). Some legitimately cost more (an audit trail page of 100 records with their field changes costs
 * 16,487); `gateway/test/hostile/limits.test.ts` proves every one of them fits.
 */
export const PERSISTED_OPERATION_LIMITS: OperationLimits = { tokens: 2000, depth: 8, aliases: 15, directives: 50, cost: 25_000, rootFields: 10 };

/** Limits from env (`GRAPHQL_MAX_DEPTH`, …; `PERSISTED_MAX_DEPTH`, … for the persisted budget). */
export function operationLimitsFromEnv(
  prefix: 'GRAPHQL' | 'PERSISTED',
  base: OperationLimits,
  env: Record<string, string | undefined> = process.env,
): OperationLimits {
  const names: Record<keyof OperationLimits, string> = {
    tokens: 'TOKENS',
    depth: 'DEPTH',
    aliases: 'ALIASES',
    directives: 'DIRECTIVES',
    cost: 'COST',
    rootFields: 'ROOT_FIELDS',
  };
  const limits = { ...base };
  for (const [key, suffix] of Object.entries(names) as [keyof OperationLimits, string][]) {
    const raw = env[`${prefix}_MAX_${suffix}`];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${prefix}_MAX_${suffix}=${raw} must be a positive integer`);
    limits[key] = value;
  }
  return limits;
}

/** What the gateway answers with instead of running an operation. */
/** The codes the gateway refuses a request with before any subgraph sees it (all in the platform error catalogue). */
export type GatewayRefusalCode = Extract<
  ErrorCode,
  | 'BAD_REQUEST'
  | 'BAD_USER_INPUT'
  | 'BATCHING_NOT_SUPPORTED'
  | 'GRAPHQL_PARSE_FAILED'
  | 'GRAPHQL_VALIDATION_FAILED'
  | 'OPERATION_LIMIT_EXCEEDED'
  | 'PERSISTED_QUERY_NOT_ALLOWED'
  | 'PERSISTED_QUERY_NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMITED'
  | 'SERVER_BUSY'
>;

export class OperationRefused extends Error {
  constructor(
    readonly status: number,
    readonly code: GatewayRefusalCode,
    message: string,
    readonly extensions: Record<string, unknown> = {},
    /** HTTP headers of the refusal (Retry-After, RateLimit). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toGraphQLError(): GraphQLError {
    return new GraphQLError(this.message, { extensions: { code: this.code, ...this.extensions } });
  }
}

const limitError = (limit: keyof OperationLimits, max: number, found?: number) =>
  new OperationRefused(400, 'OPERATION_LIMIT_EXCEEDED', `operation exceeds the ${limit} limit of ${max}${found === undefined ? '' : ` (found ${found})`}`, {
    limit,
    max,
    ...(found === undefined ? {} : { found }),
  });

// Armor's rules only use the document (fragments), never the types: a one-field schema keeps them schema-free,
// so they run before the gateway's own validation and in every supergraph mode alike.
const RULES_SCHEMA = buildSchema('type Query { _: Boolean }');

export interface CheckedDocument {
  document: DocumentNode;
  /** The text that was parsed (the client's, or the manifest's for an id). */
  source: string;
  /** The document is one of the persisted-operation manifest (by id or by its text). */
  persisted: boolean;
  /** The manifest id when persisted. */
  id?: string;
}

export interface GuardRequest {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
}

/**
 * The order of the checks is the point: a by-id lookup (a map), then the token limit while parsing (the parser
 * stops at the limit, so a huge document costs at most that many tokens), then the persisted-only check, then the
 * structural limits. Apollo's validation against the schema (with its suggestions) only ever sees documents that
 * passed all of them.
 */
export class OperationGuard {
  private readonly documents: Map<string, string>;
  private readonly ids: Set<string>;

  constructor(
    manifestDocuments: Record<string, string>,
    readonly limits: OperationLimits = DEFAULT_OPERATION_LIMITS,
    readonly persistedLimits: OperationLimits = PERSISTED_OPERATION_LIMITS,
    readonly persistedOnly = false,
    /** The API schema, when known up front: list sizes left to a `first` default are costed at that default. */
    private readonly schema?: GraphQLSchema,
  ) {
    this.documents = new Map(Object.entries(manifestDocuments));
    this.ids = new Set(this.documents.keys());
  }

  /** Resolves a persisted-query id to its text; an id the manifest does not hold is a 404, before anything else. */
  resolveSource(request: GuardRequest): { source: string; id?: string } {
    const persistedQuery = (request.extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | undefined)?.persistedQuery;
    if (persistedQuery !== undefined) {
      if (persistedQuery === null || typeof persistedQuery !== 'object' || persistedQuery.version !== 1 || typeof persistedQuery.sha256Hash !== 'string') {
        throw new OperationRefused(400, 'BAD_REQUEST', 'extensions.persistedQuery must be { "version": 1, "sha256Hash": "<id>" }');
      }
      const id = persistedQuery.sha256Hash;
      const document = this.documents.get(id);
      // Only manifest documents are known by id: nothing is registered at run time (no unbounded cache).
      if (document === undefined) throw new OperationRefused(404, 'PERSISTED_QUERY_NOT_FOUND', `no persisted operation has the id ${id.slice(0, 80)}`);
      if (request.query !== undefined && request.query !== null && request.query !== document) {
        throw new OperationRefused(400, 'BAD_REQUEST', 'the query does not match the persisted operation of that id');
      }
      return { source: document, id };
    }
    if (typeof request.query !== 'string' || request.query.trim() === '') {
      throw new OperationRefused(400, 'BAD_REQUEST', 'a GraphQL request needs a non-empty "query" string or a persisted-query id');
    }
    return { source: request.query };
  }

  /**
   * What the checks found per document text, so a document seen before costs a map lookup: the parse, the token,
   * persisted-only and structural checks depend only on the text; the cost also on the page sizes its `first`/`last`
   * variables ask for (cached per size); NUL characters in variables are checked on every request.
   */
  private readonly analyses = new Map<string, DocumentAnalysis>();
  static readonly CACHED_DOCUMENTS = 1000;
  static readonly CACHED_SOURCE_CHARS = 20_000;

  check(request: GuardRequest): CheckedDocument {
    const { source, id: byId } = this.resolveSource(request);
    const key = byId === undefined ? source : `\u0000${byId}`;
    let analysis = this.analyses.get(key);
    if (analysis) {
      // Least recently used goes first: a hit moves to the end.
      this.analyses.delete(key);
      this.analyses.set(key, analysis);
    } else {
      analysis = this.analyse(source, byId);
      if (source.length <= OperationGuard.CACHED_SOURCE_CHARS) {
        this.analyses.set(key, analysis);
        if (this.analyses.size > OperationGuard.CACHED_DOCUMENTS) this.analyses.delete(this.analyses.keys().next().value!);
      }
    }
    if (analysis.refusal) throw analysis.refusal;
    const variables = (request.variables && typeof request.variables === 'object' ? request.variables : {}) as Record<string, unknown>;
    const sizes = analysis.listSizeVariables.map(([name, fallback]) => listSize(variables[name], fallback)).join(',');
    let costRefusal = analysis.costRefusals.get(sizes);
    if (costRefusal === undefined) {
      costRefusal = this.costRefusal(analysis.document, analysis.persisted ? this.persistedLimits : this.limits, variables);
      if (analysis.costRefusals.size < 64) analysis.costRefusals.set(sizes, costRefusal);
    }
    if (analysis.structureRefusal) throw analysis.structureRefusal;
    if (costRefusal) throw costRefusal;
    if (analysis.validationError) throw analysis.validationError;
    refuseNulInVariables(request.variables);
    if (analysis.nulRefusal) throw analysis.nulRefusal;
    return { document: analysis.document, source, persisted: analysis.persisted, id: analysis.id };
  }

  private analyse(source: string, byId: string | undefined): DocumentAnalysis {
    const exactId = byId ?? (this.ids.has(sha256(source)) ? sha256(source) : undefined);
    const refused = (refusal: OperationRefused): DocumentAnalysis => ({
      refusal,
      document: undefined as never,
      persisted: false,
      listSizeVariables: [],
      costRefusals: new Map(),
    });
    // A document is tokenised at most up to the larger (persisted) budget before it is known whether it is persisted.
    const parser = new MaxTokensParserWLexer(source, {
      n: exactId ? Number.MAX_SAFE_INTEGER : this.persistedLimits.tokens,
      propagateOnRejection: true,
      exposeLimits: true,
    });
    let document: DocumentNode;
    try {
      document = parser.parseDocument();
    } catch (error) {
      // Armor's parser is CommonJS: its GraphQLError is of the other graphql realm, so no instanceof here.
      const name = (error as Error)?.name;
      if (name === 'GraphQLError' && /Token limit/.test((error as Error).message)) return refused(limitError('tokens', this.limits.tokens));
      if (name === 'GraphQLError') return refused(new OperationRefused(400, 'GRAPHQL_PARSE_FAILED', (error as Error).message));
      throw error;
    }
    const id = exactId ?? this.persistedIdOf(document);
    const persisted = id !== undefined;
    if (!persisted && parser.tokenCount > this.limits.tokens) return refused(limitError('tokens', this.limits.tokens, parser.tokenCount));
    if (this.persistedOnly && !persisted) {
      return refused(
        new OperationRefused(403, 'PERSISTED_QUERY_NOT_ALLOWED', 'only persisted operations are accepted here; send a document from the manifest or its id'),
      );
    }
    const { structureRefusal, validationError } = this.checkStructure(document, persisted ? this.persistedLimits : this.limits);
    let nulRefusal: OperationRefused | undefined;
    try {
      refuseNulInDocument(document);
    } catch (error) {
      if (!(error instanceof OperationRefused)) throw error;
      nulRefusal = error;
    }
    return {
      document,
      persisted,
      id,
      structureRefusal,
      validationError,
      nulRefusal,
      listSizeVariables: listSizeVariablesOf(document),
      costRefusals: new Map(),
    };
  }

  private persistedIdOf(document: DocumentNode): string | undefined {
    const id = sha256(print(document));
    return this.ids.has(id) ? id : undefined;
  }

  private checkStructure(document: DocumentNode, limits: OperationLimits): { structureRefusal?: OperationRefused; validationError?: OperationRefused } {
    const refusals: OperationRefused[] = [];
    const common = { propagateOnRejection: false, exposeLimits: true };
    const rules: ValidationRule[] = [
      maxDepthRule({ ...common, n: limits.depth, flattenFragments: true, ignoreIntrospection: false, onReject: [reportTo(refusals, 'depth', limits.depth)] }),
      maxAliasesRule({ ...common, n: limits.aliases, allowList: [], onReject: [reportTo(refusals, 'aliases', limits.aliases)] }),
      maxDirectivesRule({ ...common, n: limits.directives, onReject: [reportTo(refusals, 'directives', limits.directives)] }),
      UniqueDirectivesPerLocationRule,
      rootFieldsRule(limits.rootFields, (found) => refusals.push(limitError('rootFields', limits.rootFields, found))),
    ];
    const graphqlErrors: GraphQLError[] = [];
    runRules(document, rules, graphqlErrors);
    return {
      structureRefusal: refusals[0],
      validationError: graphqlErrors.length ? new OperationRefused(400, 'GRAPHQL_VALIDATION_FAILED', graphqlErrors[0]!.message) : undefined,
    };
  }

  /** Cost counts list sizes: `first: $n` is costed with the value of $n (or a full page when it has none). */
  private costRefusal(document: DocumentNode, limits: OperationLimits, variables: Record<string, unknown>): OperationRefused | null {
    const refusals: OperationRefused[] = [];
    const costed = inlineListSizes(document, variables, this.schema);
    runRules(
      costed,
      [
        costLimitRule({
          propagateOnRejection: false,
          exposeLimits: true,
          maxCost: limits.cost,
          ignoreIntrospection: false,
          onReject: [reportTo(refusals, 'cost', limits.cost)],
        }),
      ],
      [],
    );
    return refusals[0] ?? null;
  }
}

interface DocumentAnalysis {
  /** Refused before any structural check (parse, tokens, persisted-only). */
  refusal?: OperationRefused;
  document: DocumentNode;
  persisted: boolean;
  id?: string;
  structureRefusal?: OperationRefused;
  validationError?: OperationRefused;
  nulRefusal?: OperationRefused;
  /** The variables given to `first`/`last`, with the page size used when a request leaves them out. */
  listSizeVariables: [name: string, fallback: number][];
  /** The cost check's result per page sizes of those variables (null: within the limit). */
  costRefusals: Map<string, OperationRefused | null>;
}

const reportTo = (refusals: OperationRefused[], limit: keyof OperationLimits, max: number) => (_context: ValidationContext | null, error: GraphQLError) => {
  const found = /found (\d+(?:\.\d+)?)/.exec(error.message)?.[1];
  refusals.push(limitError(limit, max, found === undefined ? undefined : Math.ceil(Number(found))));
};

/** The page size `inlineListSizes` costs a `first`/`last` variable at. */
function listSize(given: unknown, fallback: number): number {
  return Number.isInteger(given) && (given as number) > 0 ? Math.min(given as number, MAX_PAGE_SIZE) : fallback;
}

function variableDefaults(document: DocumentNode): Map<string, string> {
  const defaults = new Map<string, string>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const variable of definition.variableDefinitions ?? []) {
      if (variable.defaultValue?.kind === Kind.INT) defaults.set(variable.variable.name.value, variable.defaultValue.value);
    }
  }
  return defaults;
}

function listSizeVariablesOf(document: DocumentNode): [string, number][] {
  const defaults = variableDefaults(document);
  const found = new Map<string, number>();
  visit(document, {
    Argument(node) {
      if ((node.name.value === 'first' || node.name.value === 'last') && node.value.kind === Kind.VARIABLE) {
        found.set(node.value.name.value, Number(defaults.get(node.value.name.value) ?? MAX_PAGE_SIZE));
      }
    },
  });
  return [...found];
}

function runRules(document: DocumentNode, rules: ValidationRule[], errors: GraphQLError[]) {
  const typeInfo = new TypeInfo(RULES_SCHEMA);
  const context = new ValidationContext(RULES_SCHEMA, document, typeInfo, (error) => errors.push(error));
  visit(document, visitInParallel(rules.map((rule) => rule(context)) as ASTVisitor[]));
}

/** Counts root fields of every operation, following fragments (each fragment once: cycles end there). */
function rootFieldsRule(max: number, onReject: (found: number) => void): ValidationRule {
  return (context) => {
    const count = (selectionSet: SelectionSetNode, seen: Set<string>): number => {
      let fields = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) fields += 1;
        else if (selection.kind === Kind.INLINE_FRAGMENT) fields += count(selection.selectionSet, seen);
        else if (!seen.has(selection.name.value)) {
          seen.add(selection.name.value);
          const fragment: FragmentDefinitionNode | null | undefined = context.getFragment(selection.name.value);
          if (fragment) fields += count(fragment.selectionSet, seen);
        }
      }
      return fields;
    };
    return {
      OperationDefinition(node) {
        const found = count(node.selectionSet, new Set());
        if (found > max) onReject(found);
      },
    };
  };
}

/** Rewrites `first`/`last` arguments given by variable into literals, for the cost rule (which reads literals). */
function inlineListSizes(document: DocumentNode, variables: Record<string, unknown>, schema?: GraphQLSchema): DocumentNode {
  const defaults = variableDefaults(document);
  const inlined = visit(document, {
    Argument(node) {
      if ((node.name.value !== 'first' && node.name.value !== 'last') || node.value.kind !== Kind.VARIABLE) return undefined;
      const given = variables[node.value.name.value];
      // Pages beyond the largest are refused by the subgraph (BAD_USER_INPUT on `first`): cost them as the largest.
      const size =
        Number.isInteger(given) && (given as number) > 0
          ? String(Math.min(given as number, MAX_PAGE_SIZE))
          : (defaults.get(node.value.name.value) ?? String(MAX_PAGE_SIZE));
      return { ...node, value: { kind: Kind.INT, value: size } };
    },
  });
  if (!schema) return inlined;
  // `orders { … }` without `first` returns the schema's default page (e.g. 20), not one item.
  const typeInfo = new TypeInfo(schema);
  return visit(
    inlined,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        if (node.arguments?.some((a) => a.name.value === 'first' || a.name.value === 'last')) return undefined;
        const first = typeInfo.getFieldDef()?.args.find((a) => a.name === 'first');
        if (!first || typeof first.defaultValue !== 'number') return undefined;
        const argument: ArgumentNode = {
          kind: Kind.ARGUMENT,
          name: { kind: Kind.NAME, value: 'first' },
          value: { kind: Kind.INT, value: String(first.defaultValue) },
        };
        return { ...node, arguments: [...(node.arguments ?? []), argument] };
      },
    }),
  );
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The supergraph's API schema as a graphql-js schema of this module's graphql realm: federation-internals is
 * CommonJS and builds its schemas with the CommonJS graphql, which the ESM graphql refuses as "another realm".
 */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  const commonJsGraphql = createRequire(import.meta.url)('graphql') as typeof import('graphql');
  return buildSchema(commonJsGraphql.printSchema(Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema()));
}

/**
 * A NUL character can never be stored (PostgreSQL text refuses it) and has no business in any input: it is refused
 * here as BAD_USER_INPUT naming the argument or variable, instead of failing deep in a subgraph's SQL.
 */
const refuseNul = (field: string): never => {
  throw new OperationRefused(400, 'BAD_USER_INPUT', `${field}: must not contain a NUL character`, { field });
};

function refuseNulInVariables(variables: unknown): void {
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      if (value.includes('\u0000')) refuseNul(path);
    } else if (Array.isArray(value)) value.forEach((item, index) => walk(item, `${path}[${index}]`));
    else if (value && typeof value === 'object') for (const [key, item] of Object.entries(value)) walk(item, path ? `${path}.${key}` : key);
  };
  walk(variables ?? {}, '');
}

function refuseNulInDocument(document: DocumentNode): void {
  const argumentNames: string[] = [];
  visit(document, {
    Argument: { enter: (node) => void argumentNames.push(node.name.value), leave: () => void argumentNames.pop() },
    ObjectField: { enter: (node) => void argumentNames.push(node.name.value), leave: () => void argumentNames.pop() },
    StringValue(node) {
      if (node.value.includes('\u0000')) refuseNul(argumentNames.join('.') || 'query');
    },
  });
}
