import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import {
  GraphQLError,
  Kind,
  coerceInputValue,
  getNamedType,
  isAbstractType,
  isEnumType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  parse,
  print,
  typeFromAST,
  validate,
  valueFromAST,
  type DocumentNode,
  type FieldNode,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { parse as parseYaml } from 'yaml';
import {
  operationId,
  type HttpMethod,
  type InputObjectSpec,
  type InputTypeRef,
  type ResponseSpec,
  type VariableSource,
} from '../../../gateway/src/rest/manifest.ts';
import { collectFields, fragmentsOf, isInaccessible, type Supergraph } from './schema.ts';

/**
 * The REST mapping of one operation: the YAML in the comment block that opens its .graphql file.
 * See schema/operations/README.md for the format.
 */
export interface OperationMapping {
  method: HttpMethod;
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** Dotted response keys from `data` to the response body (default: the only root field). */
  response?: string;
  /** Variables read from the query string (default: every non-path variable of GET/DELETE, none otherwise). */
  query?: string[];
  /** A variable name (the body is that variable) or a list (the body's properties); default: the rest, as properties. */
  body?: string | string[];
  status?: number;
  idempotency?: 'optional' | 'required';
  parameters?: Record<string, { description?: string; example?: unknown }>;
  deprecated?: boolean;
  postman?: PostmanMapping;
}

/**
 * How the Postman collection runs the operation top to bottom on a fresh sandbox: `after` the operations whose
 * results it needs; `use` takes variables (dotted into a body input, e.g. `input.paymentSessionId`) from collection
 * variables; `set` stores response values (dotted paths into the body) in collection variables for later requests;
 * `auth` sends the bearer token a collection variable holds instead of `token` (`none`: no credential); `wait`
 * polls a GET operation first until its body meets `until` (what an asynchronous step an earlier request started
 * has to reach before this one can run).
 */
export interface PostmanMapping {
  after?: string[];
  use?: Record<string, string>;
  set?: Record<string, string>;
  auth?: string;
  wait?: PostmanWait;
}

/**
 * Before the request runs, GET `for` (path variables from the collection variables `use` names, else their examples)
 * until every dotted path of `until` in its body holds the value given (a string, one of a list, or `true`: any
 * value but null).
 */
export interface PostmanWait {
  for: string;
  use?: Record<string, string>;
  until: Record<string, string | string[] | true>;
}

export interface AnalysedVariable {
  name: string;
  source: VariableSource;
  type: GraphQLInputType;
  ref: InputTypeRef;
  graphqlType: string;
  required: boolean;
  defaultValue?: unknown;
  description?: string;
  example?: unknown;
}

export interface AnalysedOperation {
  id: string;
  name: string;
  /** Repository-relative path of the .graphql file. */
  file: string;
  operationType: 'query' | 'mutation';
  document: string;
  ast: DocumentNode;
  definition: OperationDefinitionNode;
  method: HttpMethod;
  path: string;
  tag: string;
  summary: string;
  description: string | undefined;
  deprecated: boolean;
  successStatus: number;
  idempotency: 'none' | 'optional' | 'required';
  variables: AnalysedVariable[];
  body: { kind: 'none' } | { kind: 'properties' } | { kind: 'variable'; variable: string };
  response: ResponseSpec & {
    /** The GraphQL type at the end of the path and the selections made on it. */
    type: GraphQLOutputType;
    selectionSets: SelectionSetNode[];
    /** The type whose field the response is (for descriptions). */
    parentType: GraphQLObjectType;
    fieldName: string;
  };
  /** Root fields the operation selects (for the coverage check). */
  rootFields: string[];
  postman?: PostmanMapping;
}

export class OperationError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const MAPPING_KEYS = new Set([
  'method',
  'path',
  'tag',
  'summary',
  'description',
  'response',
  'query',
  'body',
  'status',
  'idempotency',
  'parameters',
  'deprecated',
  'postman',
]);
const NAME = /^[A-Z][A-Za-z0-9]*$/;
const PATH = /^\/v\d+(\/([a-z0-9]+(-[a-z0-9]+)*|\{[A-Za-z_][A-Za-z0-9_]*\}))+$/;

/** Every `*.graphql` file under `dir`, sorted, as [absolute path, repository-relative path]. */
export function operationFiles(dir: string, root: string): [string, string][] {
  const files: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const full = join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.graphql')) files.push(full);
    }
  };
  walk(dir);
  return files.sort().map((file) => [file, relative(root, file).split('\\').join('/')]);
}

/** The leading `#` comment block of a .graphql file, uncommented, and what follows it. */
export function splitMapping(source: string): { mapping: string; body: string } {
  const lines = source.split(/\r?\n/);
  let i = 0;
  while (i < lines.length && lines[i]!.trim() === '') i++;
  const mapping: string[] = [];
  for (; i < lines.length && lines[i]!.startsWith('#'); i++) mapping.push(lines[i]!.replace(/^# ?/, ''));
  return { mapping: mapping.join('\n'), body: lines.slice(i).join('\n') };
}

export function parseMapping(file: string, text: string, operationType: 'query' | 'mutation'): OperationMapping {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new OperationError(file, `the leading comment block is not valid YAML: ${(error as Error).message}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new OperationError(file, 'must open with a comment block holding the REST mapping (YAML: method, path, tag, summary, ...)');
  const m = raw as Record<string, unknown>;
  for (const key of Object.keys(m))
    if (!MAPPING_KEYS.has(key)) throw new OperationError(file, `unknown mapping key "${key}" (known: ${[...MAPPING_KEYS].join(', ')})`);
  const string = (key: string, required: boolean): string | undefined => {
    const value = m[key];
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'string' || value.trim() === '') throw new OperationError(file, `mapping "${key}" must be a non-empty string`);
    return value.trim();
  };
  const stringList = (key: string): string[] | undefined => {
    const value = m[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
      throw new OperationError(file, `mapping "${key}" must be a list of variable names`);
    return value as string[];
  };
  const method = (string('method', false) ?? (operationType === 'query' ? 'GET' : 'POST')).toUpperCase() as HttpMethod;
  if (!METHODS.includes(method)) throw new OperationError(file, `method must be one of ${METHODS.join(', ')}`);
  const body = m.body;
  if (body !== undefined && typeof body !== 'string' && !(Array.isArray(body) && body.every((v) => typeof v === 'string'))) {
    throw new OperationError(file, 'mapping "body" must be a variable name or a list of variable names');
  }
  const status = m.status;
  if (status !== undefined && (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 299 || status === 204)) {
    throw new OperationError(file, 'mapping "status" must be a 2xx status with a body (200, 201, 202)');
  }
  const idempotency = m.idempotency;
  if (idempotency !== undefined && idempotency !== 'optional' && idempotency !== 'required')
    throw new OperationError(file, 'mapping "idempotency" must be optional or required');
  const parameters = m.parameters;
  if (parameters !== undefined) {
    if (!parameters || typeof parameters !== 'object' || Array.isArray(parameters))
      throw new OperationError(file, 'mapping "parameters" must map variable names to { description, example }');
    for (const [name, spec] of Object.entries(parameters)) {
      if (!spec || typeof spec !== 'object' || Array.isArray(spec))
        throw new OperationError(file, `mapping parameters.${name} must be an object with description and/or example`);
      for (const key of Object.keys(spec))
        if (key !== 'description' && key !== 'example') throw new OperationError(file, `mapping parameters.${name}: unknown key "${key}"`);
      const description = (spec as { description?: unknown }).description;
      if (description !== undefined && typeof description !== 'string')
        throw new OperationError(file, `mapping parameters.${name}.description must be a string`);
    }
  }
  if (m.deprecated !== undefined && typeof m.deprecated !== 'boolean') throw new OperationError(file, 'mapping "deprecated" must be true or false');
  const postman = m.postman as Record<string, unknown> | undefined;
  if (postman !== undefined) {
    if (!postman || typeof postman !== 'object' || Array.isArray(postman))
      throw new OperationError(file, 'mapping "postman" must be an object with after, use, set, auth and/or wait');
    for (const key of Object.keys(postman))
      if (!['after', 'use', 'set', 'auth', 'wait'].includes(key)) throw new OperationError(file, `mapping postman: unknown key "${key}"`);
    if (postman.after !== undefined && !(Array.isArray(postman.after) && postman.after.every((a) => typeof a === 'string')))
      throw new OperationError(file, 'mapping postman.after must be a list of operation names');
    for (const key of ['use', 'set'] as const) {
      const value = postman[key];
      if (value !== undefined && !(value && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string'))) {
        throw new OperationError(file, `mapping postman.${key} must map names to names`);
      }
    }
    if (postman.auth !== undefined && !(typeof postman.auth === 'string' && /^[A-Za-z][A-Za-z0-9]*$/.test(postman.auth)))
      throw new OperationError(file, 'mapping postman.auth must name a collection variable (or be none)');
    if (postman.wait !== undefined) checkPostmanWait(file, postman.wait);
  }
  return {
    method,
    path: string('path', true)!,
    tag: string('tag', true)!,
    summary: string('summary', true)!,
    description: string('description', false),
    response: string('response', false),
    query: stringList('query'),
    body: body as string | string[] | undefined,
    status: status as number | undefined,
    idempotency: idempotency as OperationMapping['idempotency'],
    parameters: parameters as OperationMapping['parameters'],
    deprecated: m.deprecated as boolean | undefined,
    postman: postman as PostmanMapping | undefined,
  };
}

function checkPostmanWait(file: string, wait: unknown): void {
  const fail = (message: string): never => {
    throw new OperationError(file, `mapping postman.wait${message}`);
  };
  if (!wait || typeof wait !== 'object' || Array.isArray(wait)) fail(' must be an object with for, until and optionally use');
  const w = wait as Record<string, unknown>;
  for (const key of Object.keys(w)) if (!['for', 'use', 'until'].includes(key)) fail(`: unknown key "${key}"`);
  if (typeof w.for !== 'string' || !w.for) fail('.for must name a GET operation');
  if (w.use !== undefined && !(w.use && typeof w.use === 'object' && !Array.isArray(w.use) && Object.values(w.use).every((v) => typeof v === 'string')))
    fail('.use must map names to names');
  const until = w.until as Record<string, unknown> | undefined;
  if (!until || typeof until !== 'object' || Array.isArray(until) || Object.keys(until).length === 0)
    fail('.until must map dotted response paths to what they must hold');
  for (const [path, expected] of Object.entries(until!)) {
    const valid =
      expected === true || typeof expected === 'string' || (Array.isArray(expected) && expected.length > 0 && expected.every((e) => typeof e === 'string'));
    if (!valid) fail(`.until.${path} must be a string, a list of strings or true`);
  }
}

/** Describes an input type for the manifest, registering the input objects it reaches in `inputObjects`. */
export function inputTypeRef(type: GraphQLInputType, inputObjects: Record<string, InputObjectSpec>): InputTypeRef {
  if (isNonNullType(type)) return { kind: 'NON_NULL', ofType: inputTypeRef(type.ofType, inputObjects) };
  if (isListType(type)) return { kind: 'LIST', ofType: inputTypeRef(type.ofType, inputObjects) };
  if (isEnumType(type)) return { kind: 'ENUM', name: type.name, values: type.getValues().map((v) => v.name) };
  if (isScalarType(type)) return { kind: 'SCALAR', name: type.name };
  if (!inputObjects[type.name]) {
    const spec: InputObjectSpec = { fields: {}, oneOf: Boolean((type as { isOneOf?: boolean }).isOneOf) };
    inputObjects[type.name] = spec; // registered first: input objects may refer to themselves
    for (const field of Object.values(type.getFields())) {
      spec.fields[field.name] = { type: inputTypeRef(field.type, inputObjects), hasDefault: field.defaultValue !== undefined };
    }
  }
  return { kind: 'INPUT_OBJECT', name: type.name };
}

const isScalarOrEnum = (type: GraphQLInputType) => isLeafType(isNonNullType(type) ? type.ofType : type);
const isQueryStringType = (type: GraphQLInputType): boolean => {
  const nullable = isNonNullType(type) ? type.ofType : type;
  return isLeafType(nullable) || (isListType(nullable) && isScalarOrEnum(nullable.ofType as GraphQLInputType));
};

/** Reads, validates and analyses one operation file against the supergraph. */
export function analyseOperation(supergraph: Supergraph, absolutePath: string, file: string, inputObjects: Record<string, InputObjectSpec>): AnalysedOperation {
  const { schema } = supergraph;
  const source = readFileSync(absolutePath, 'utf8');
  let parsed: DocumentNode;
  try {
    parsed = parse(source, { noLocation: false });
  } catch (error) {
    throw new OperationError(file, `is not valid GraphQL: ${(error as GraphQLError).message}`);
  }
  const operations = parsed.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length !== 1) throw new OperationError(file, `must hold exactly one operation, found ${operations.length}`);
  const [op] = operations as [OperationDefinitionNode];
  const name = op.name?.value;
  if (!name) throw new OperationError(file, 'the operation must be named');
  if (!NAME.test(name)) throw new OperationError(file, `operation name "${name}" must be PascalCase`);
  if (basename(file, '.graphql') !== name) throw new OperationError(file, `the file must be named after its operation: ${name}.graphql`);
  if (op.operation === 'subscription') throw new OperationError(file, 'subscriptions have no REST mapping');
  const operationType = op.operation;

  const errors = validate(schema, parsed);
  if (errors.length > 0) throw new OperationError(file, `does not validate against the supergraph: ${errors.map((e) => e.message).join('; ')}`);

  const document = print(parsed);
  const ast = parse(document);
  const definition = ast.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = fragmentsOf(ast);
  const rootType = schema.getRootType(operationType)!;
  refuseInaccessible(file, schema, rootType, [definition.selectionSet], fragments);

  const mapping = parseMapping(file, splitMapping(source).mapping, operationType);
  if (operationType === 'mutation' && mapping.method === 'GET')
    throw new OperationError(file, 'a mutation cannot be mapped to GET (GET must be safe and cacheable)');
  if (!PATH.test(mapping.path)) throw new OperationError(file, `path "${mapping.path}" must look like /v1/lower-case-segments/{variable}`);

  // Which variable comes from where.
  const declared = new Map(definition.variableDefinitions?.map((v) => [v.variable.name.value, v]) ?? []);
  const pathVariables = [...mapping.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!);
  const sources = new Map<string, VariableSource>();
  const assign = (variable: string, where: VariableSource) => {
    if (!declared.has(variable)) throw new OperationError(file, `${where} parameter "${variable}" is not a variable of ${name}`);
    if (sources.has(variable)) throw new OperationError(file, `variable "${variable}" is mapped twice (${sources.get(variable)} and ${where})`);
    sources.set(variable, where);
  };
  for (const variable of pathVariables) assign(variable, 'path');
  const bodyAllowed = mapping.method !== 'GET' && mapping.method !== 'DELETE';
  const rest = () => [...declared.keys()].filter((v) => !sources.has(v));
  for (const variable of mapping.query ?? (bodyAllowed ? [] : rest())) assign(variable, 'query');
  let body: AnalysedOperation['body'] = { kind: 'none' };
  if (mapping.body !== undefined && !bodyAllowed) throw new OperationError(file, `${mapping.method} has no request body`);
  if (typeof mapping.body === 'string') {
    assign(mapping.body, 'body');
    body = { kind: 'variable', variable: mapping.body };
  } else {
    const properties = mapping.body ?? (bodyAllowed ? rest() : []);
    for (const variable of properties) assign(variable, 'body');
    if (bodyAllowed) body = { kind: 'properties' };
  }
  const unmapped = rest();
  if (unmapped.length > 0)
    throw new OperationError(file, `variables ${unmapped.map((v) => `$${v}`).join(', ')} are not mapped to the path, query string or body`);
  for (const key of Object.keys(mapping.parameters ?? {}))
    if (!declared.has(key)) throw new OperationError(file, `parameters.${key}: ${name} has no variable $${key}`);

  const variables: AnalysedVariable[] = [...declared.values()].map((node) => {
    const variable = node.variable.name.value;
    const type = typeFromAST(schema, node.type as never) as GraphQLInputType;
    const where = sources.get(variable)!;
    if (where === 'path' && !isScalarOrEnum(type)) throw new OperationError(file, `path parameter "${variable}" must be a scalar or an enum`);
    if (where === 'query' && !isQueryStringType(type))
      throw new OperationError(file, `query parameter "${variable}" must be a scalar, an enum or a list of them (send input objects in the body)`);
    const defaultValue = node.defaultValue ? valueFromAST(node.defaultValue, type) : undefined;
    const spec = mapping.parameters?.[variable];
    if (spec && 'example' in spec) {
      try {
        coerceInputValue(spec.example, type);
      } catch (error) {
        throw new OperationError(file, `parameters.${variable}.example is not a valid ${String(type)}: ${(error as Error).message}`);
      }
    }
    if (where === 'path' && !(spec && 'example' in spec))
      throw new OperationError(file, `path parameter "${variable}" needs parameters.${variable}.example (the code samples use it)`);
    return {
      name: variable,
      source: where,
      type,
      ref: inputTypeRef(type, inputObjects),
      graphqlType: String(type),
      required: isNonNullType(type) && defaultValue === undefined,
      defaultValue,
      description: spec?.description?.trim() ?? argumentDescription(schema, definition, variable, fragments),
      example: spec && 'example' in spec ? spec.example : undefined,
    };
  });
  if (pathVariables.length !== new Set(pathVariables).size) throw new OperationError(file, 'a path parameter appears twice');

  const rootFields = [...collectFields(schema, rootType, [definition.selectionSet], fragments).values()]
    .map((f) => f.fieldName)
    .filter((f) => f !== '__typename');
  const response = analyseResponse(file, supergraph, rootType, definition, fragments, mapping.response, variables);

  return {
    id: operationId(document),
    name,
    file,
    operationType,
    document,
    ast,
    definition,
    method: mapping.method,
    path: mapping.path,
    tag: mapping.tag,
    summary: mapping.summary,
    description: mapping.description ?? response.parentType.getFields()[response.fieldName]?.description ?? undefined,
    deprecated: mapping.deprecated ?? false,
    successStatus: mapping.status ?? 200,
    idempotency: bodyAllowed ? (mapping.idempotency ?? 'optional') : 'none',
    variables,
    body,
    response,
    rootFields: [...new Set(rootFields)],
    ...(mapping.postman ? { postman: mapping.postman } : {}),
  };
}

function analyseResponse(
  file: string,
  supergraph: Supergraph,
  rootType: GraphQLObjectType,
  definition: OperationDefinitionNode,
  fragments: ReturnType<typeof fragmentsOf>,
  responsePath: string | undefined,
  variables: AnalysedVariable[],
): AnalysedOperation['response'] {
  const { schema } = supergraph;
  const roots = [...collectFields(schema, rootType, [definition.selectionSet], fragments).values()].filter((f) => f.fieldName !== '__typename');
  const keys = responsePath?.split('.') ?? (roots.length === 1 ? [roots[0]!.responseKey] : []);
  if (keys.length === 0) throw new OperationError(file, `selects ${roots.length} root fields: say which one is the response with "response: <field>"`);

  let parentType = rootType;
  let selectionSets: SelectionSetNode[] = [definition.selectionSet];
  const segments: ResponseSpec['segments'] = [];
  let type: GraphQLOutputType | undefined;
  let fieldName = '';
  let nodes: FieldNode[] = [];
  for (const [i, key] of keys.entries()) {
    const field = collectFields(schema, parentType, selectionSets, fragments).get(key);
    if (!field?.definition) throw new OperationError(file, `response "${keys.join('.')}": ${parentType.name} has no selected field "${key}"`);
    if (field.conditional) throw new OperationError(file, `response "${keys.join('.')}": "${key}" is under @include/@skip, so the body could be missing`);
    type = field.definition.type;
    fieldName = field.fieldName;
    nodes = field.nodes;
    const named = getNamedType(type);
    segments.push({ key, typeName: named.name, nullable: !isNonNullType(type) });
    if (i < keys.length - 1) {
      const nullable = isNonNullType(type) ? type.ofType : type;
      if (!isObjectType(nullable)) throw new OperationError(file, `response "${keys.join('.')}": "${key}" must be an object to descend into`);
      parentType = nullable;
      selectionSets = nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
    }
  }

  // Relay connections paged by a cursor variable get Link: rel="next".
  let pagination: ResponseSpec['pagination'] = null;
  const afterArgument = nodes[0]?.arguments?.find((a) => a.name.value === 'after');
  const named = getNamedType(type!);
  if (afterArgument?.value.kind === Kind.VARIABLE && isObjectType(named) && named.getFields().pageInfo) {
    const cursorParameter = afterArgument.value.name.value;
    if (variables.find((v) => v.name === cursorParameter)?.source !== 'query')
      throw new OperationError(file, `the cursor $${cursorParameter} of a paged list must come from the query string`);
    const selected = nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
    const pageInfo = [...collectFields(schema, named, selected, fragments).values()].find((f) => f.fieldName === 'pageInfo' && !f.conditional);
    const pageInfoType = pageInfo?.definition && getNamedType(pageInfo.definition.type);
    const pageInfoFields =
      pageInfo && isObjectType(pageInfoType)
        ? [
            ...collectFields(
              schema,
              pageInfoType,
              pageInfo.nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : [])),
              fragments,
            ).values(),
          ]
        : [];
    const hasNextPage = pageInfoFields.find((f) => f.fieldName === 'hasNextPage' && !f.conditional);
    const endCursor = pageInfoFields.find((f) => f.fieldName === 'endCursor' && !f.conditional);
    if (!pageInfo || !hasNextPage || !endCursor)
      throw new OperationError(file, 'a paged list must select pageInfo { hasNextPage endCursor } so the next page can be linked');
    pagination = { cursorParameter, pageInfoKey: pageInfo.responseKey, hasNextPageKey: hasNextPage.responseKey, endCursorKey: endCursor.responseKey };
  }

  return {
    path: keys,
    segments,
    pagination,
    type: type!,
    selectionSets: nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : [])),
    parentType,
    fieldName,
  };
}

/** The description of the argument a variable is passed to, when the operation passes it straight through. */
function argumentDescription(
  schema: Supergraph['schema'],
  definition: OperationDefinitionNode,
  variable: string,
  fragments: ReturnType<typeof fragmentsOf>,
): string | undefined {
  const rootType = schema.getRootType(definition.operation);
  if (!rootType) return undefined;
  for (const field of collectFields(schema, rootType, [definition.selectionSet], fragments).values()) {
    for (const node of field.nodes) {
      const argument = node.arguments?.find((a) => a.value.kind === Kind.VARIABLE && a.value.name.value === variable);
      const description = argument && field.definition?.args.find((a) => a.name === argument.name.value)?.description;
      if (description) return description;
    }
  }
  return undefined;
}

function refuseInaccessible(
  file: string,
  schema: Supergraph['schema'],
  type: GraphQLObjectType,
  selectionSets: SelectionSetNode[],
  fragments: ReturnType<typeof fragmentsOf>,
) {
  for (const field of collectFields(schema, type, selectionSets, fragments).values()) {
    if (!field.definition) continue;
    if (isInaccessible(field.definition.astNode)) throw new OperationError(file, `selects ${type.name}.${field.fieldName}, which is @inaccessible`);
    const named = getNamedType(field.definition.type);
    const sub = field.nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
    if (sub.length === 0) continue;
    const concrete = isObjectType(named) ? [named] : isAbstractType(named) ? [...schema.getPossibleTypes(named)] : [];
    for (const objectType of concrete) refuseInaccessible(file, schema, objectType, sub, fragments);
  }
}

/** Same method and same path shape (whatever the parameter names) would be ambiguous at runtime. */
export function assertUniqueRoutes(operations: AnalysedOperation[]) {
  const routes = new Map<string, AnalysedOperation>();
  const names = new Map<string, AnalysedOperation>();
  for (const op of operations) {
    const shape = `${op.method} ${op.path.replace(/\{[^}]+\}/g, '{}')}`;
    const clash = routes.get(shape);
    if (clash) throw new OperationError(op.file, `${op.method} ${op.path} clashes with ${clash.file} (${clash.method} ${clash.path})`);
    routes.set(shape, op);
    const twin = names.get(op.name);
    if (twin) throw new OperationError(op.file, `operation name ${op.name} is also used by ${twin.file}`);
    names.set(op.name, op);
  }
}
