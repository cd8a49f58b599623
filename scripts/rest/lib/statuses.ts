import { getNamedType, isInputObjectType, isListType, isNonNullType, isScalarType, type GraphQLInputType, type GraphQLSchema } from 'graphql';
import { ERROR_CATALOGUE, type ErrorCode } from '../../../subgraphs/platform/src/errors.ts';
import type { AnalysedOperation } from './operations.ts';

/**
 * Which error statuses an operation documents, derived mechanically (schema/operations/README.md, "Error statuses"):
 *
 * - every operation: 401 (UNAUTHENTICATED), 403 (FORBIDDEN, MERCHANT_NOT_ACTIVE), 429 (RATE_LIMITED) and the
 *   platform's 500, 502, 503, 504;
 * - with parameters or a body: 400 (the facade's own checks of path, query, headers and body);
 * - with a body: 413 and 415;
 * - 404 (NOT_FOUND) when the response path has a nullable field (an entity looked up) or a variable carries an
 *   `ID` (directly or inside an input object: the entity it names may not exist or be out of scope);
 * - 422 (BAD_USER_INPUT, GRAPHQL_VALIDATION_FAILED) when it has variables or is a mutation;
 * - Idempotency-Key: 409 (IDEMPOTENCY_KEY_IN_USE) and 422 (the key reused with another request);
 * - every domain code of the catalogue whose `raisedBy` names a root field the operation selects, at its status.
 */
export interface DocumentedStatus {
  status: number;
  /** The catalogue codes that answer with this status here (empty for the facade's own problems, e.g. 400). */
  codes: ErrorCode[];
  /** The facade's own problems of this status that have no code (400 invalid-parameter, 415, ...). */
  restKinds: string[];
}

const ALWAYS: ErrorCode[] = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'MERCHANT_NOT_ACTIVE',
  'RATE_LIMITED',
  'INTERNAL_SERVER_ERROR',
  'BAD_GATEWAY',
  'DOWNSTREAM_SERVICE_ERROR',
  'SERVICE_UNAVAILABLE',
  'SUBGRAPH_UNAVAILABLE',
  'GATEWAY_TIMEOUT',
  'SUBGRAPH_TIMEOUT',
];

export function operationStatuses(schema: GraphQLSchema, op: AnalysedOperation): DocumentedStatus[] {
  const byStatus = new Map<number, DocumentedStatus>();
  const add = (status: number, code?: ErrorCode, restKind?: string) => {
    const entry = byStatus.get(status) ?? { status, codes: [], restKinds: [] };
    if (code && !entry.codes.includes(code)) entry.codes.push(code);
    if (restKind && !entry.restKinds.includes(restKind)) entry.restKinds.push(restKind);
    byStatus.set(status, entry);
  };
  const addCode = (code: ErrorCode) => add(ERROR_CATALOGUE[code].status, code);

  for (const code of ALWAYS) addCode(code);
  if (op.variables.length > 0 || op.body.kind !== 'none') add(400, undefined, 'invalid-parameter');
  if (op.body.kind !== 'none') {
    add(400, undefined, 'invalid-body');
    add(413, undefined, 'content-too-large');
    add(415, undefined, 'unsupported-media-type');
  }
  const looksUp = op.response.segments.some((s) => s.nullable) || op.variables.some((v) => carriesId(v.type));
  if (looksUp) addCode('NOT_FOUND');
  if (op.variables.length > 0 || op.operationType === 'mutation') {
    addCode('BAD_USER_INPUT');
    addCode('GRAPHQL_VALIDATION_FAILED');
  }
  if (op.idempotency !== 'none') {
    addCode('IDEMPOTENCY_KEY_IN_USE');
    add(422, undefined, 'idempotency-key-reused');
  }
  const rootType = (op.operationType === 'query' ? schema.getQueryType() : schema.getMutationType())!.name;
  const coordinates = new Set(op.rootFields.map((field) => `${rootType}.${field}`));
  for (const [code, spec] of Object.entries(ERROR_CATALOGUE) as [ErrorCode, (typeof ERROR_CATALOGUE)[ErrorCode]][]) {
    const raisedBy: readonly string[] | undefined = 'raisedBy' in spec ? spec.raisedBy : undefined;
    if (raisedBy?.some((coordinate) => coordinates.has(coordinate))) addCode(code);
  }
  return [...byStatus.values()].sort((a, b) => a.status - b.status);
}

/** Whether an input type holds an `ID` anywhere (a referenced entity). */
function carriesId(type: GraphQLInputType, seen = new Set<string>()): boolean {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return carriesId(inner.ofType as GraphQLInputType, seen);
  const named = getNamedType(inner);
  if (isScalarType(named)) return named.name === 'ID';
  if (isInputObjectType(named)) {
    if (seen.has(named.name)) return false;
    seen.add(named.name);
    return Object.values(named.getFields()).some((field) => carriesId(field.type, seen));
  }
  return false;
}
