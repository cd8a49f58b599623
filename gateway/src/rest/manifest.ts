import { createHash } from 'node:crypto';

/**
 * schema/persisted-operations.json: what `pnpm rest:build` derives from schema/operations/**.graphql and the
 * supergraph, and all the REST facade needs at runtime; it never parses GraphQL or the schema itself.
 */
export interface PersistedOperationsManifest {
  version: 1;
  /** sha256 of the supergraph the operations were validated against. */
  supergraphSha256: string;
  /** Input object types used by any operation's variables, by name (they may refer to each other). */
  inputObjects: Record<string, InputObjectSpec>;
  /** Keyed by operation id: the sha256 (hex) of `document`. */
  operations: Record<string, PersistedOperation>;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface PersistedOperation {
  name: string;
  operationType: 'query' | 'mutation';
  /** The normalised document (graphql-js `print`), exactly what is executed. */
  document: string;
  /** Where it came from, relative to the repository root. */
  source: string;
  http: {
    method: HttpMethod;
    /** OpenAPI path template, e.g. /v1/orders/{id}. */
    path: string;
    tag: string;
    summary: string;
    /** Status of a successful response (200 unless the mapping says e.g. 201). */
    successStatus: number;
    /** Whether POST/PUT/PATCH accept (optional) or demand (required) an Idempotency-Key; `none` otherwise. */
    idempotency: 'none' | 'optional' | 'required';
  };
  variables: VariableSpec[];
  /** How the JSON body maps to variables: none, an object whose properties are variables, or one variable. */
  body: { kind: 'none' } | { kind: 'properties' } | { kind: 'variable'; variable: string };
  response: ResponseSpec;
}

export type VariableSource = 'path' | 'query' | 'body';

export interface VariableSpec {
  /** The GraphQL variable name, which is also the REST parameter (or body property) name. */
  name: string;
  source: VariableSource;
  type: InputTypeRef;
  /** The type as written in GraphQL, for messages (e.g. `[OrderStatus!]`). */
  graphqlType: string;
  /** Non-null and without a default: the request must supply it. */
  required: boolean;
}

/** A GraphQL input type, enough to validate and coerce a value without the schema. */
export type InputTypeRef =
  | { kind: 'NON_NULL'; ofType: InputTypeRef }
  | { kind: 'LIST'; ofType: InputTypeRef }
  | { kind: 'SCALAR'; name: string }
  | { kind: 'ENUM'; name: string; values: string[] }
  | { kind: 'INPUT_OBJECT'; name: string };

export interface InputObjectSpec {
  fields: Record<string, { type: InputTypeRef; hasDefault: boolean }>;
  /** `@oneOf` input objects take exactly one field. */
  oneOf: boolean;
}

export interface ResponseSpec {
  /** Response keys from `data` down to the REST response body, e.g. ["merchant", "settlements"]. */
  path: string[];
  /** Per path segment: the GraphQL type named there and whether it may be null (a null one means 404). */
  segments: { key: string; typeName: string; nullable: boolean }[];
  /** Present for connection responses paged by a cursor query parameter (RFC 8288 `Link: rel="next"`). */
  pagination: { cursorParameter: string; pageInfoKey: string; hasNextPageKey: string; endCursorKey: string } | null;
}

export function operationId(document: string): string {
  return createHash('sha256').update(document).digest('hex');
}

/** Refuses a manifest that is not what `pnpm rest:build` writes, or whose ids do not match their documents. */
export function assertManifest(value: unknown): asserts value is PersistedOperationsManifest {
  const manifest = value as Partial<PersistedOperationsManifest> | null;
  if (!manifest || typeof manifest !== 'object' || manifest.version !== 1 || typeof manifest.operations !== 'object' || !manifest.operations) {
    throw new Error('persisted operations manifest: not a version 1 manifest (regenerate it with `pnpm rest:build`)');
  }
  for (const [id, operation] of Object.entries(manifest.operations)) {
    if (typeof operation?.document !== 'string' || operationId(operation.document) !== id) {
      throw new Error(`persisted operations manifest: operation ${operation?.name ?? id} does not hash to its id ${id}`);
    }
  }
}
