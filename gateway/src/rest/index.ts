import { readFileSync } from 'node:fs';
import { assertManifest, type PersistedOperationsManifest } from './manifest.ts';

export { createRestFacade, type ExecuteOperation, type ExecuteRequest, type ExecuteResult, type RestFacade, type RestFacadeOptions } from './facade.ts';
export type { GraphQLResponseBody, GraphQLResponseError } from './graphql-result.ts';
export {
  defaultIdempotencyScope,
  type IdempotencyClaim,
  type IdempotencyClaimRef,
  type IdempotencyClaimRequest,
  type IdempotencyStore,
  type StoredResponse,
} from './idempotency.ts';
export { operationId, type PersistedOperation, type PersistedOperationsManifest } from './manifest.ts';
export { postmanCollection } from './postman.ts';
export type { FieldError, Problem } from './problems.ts';
export { DrizzleIdempotencyStore, GATEWAY_MIGRATIONS_FOLDER, openGatewayDatabase } from '../db/idempotency-store.ts';

/** Written by `pnpm rest:build`, committed, read at start-up like the supergraph. */
export const PERSISTED_OPERATIONS_FILE = new URL('../../../schema/persisted-operations.json', import.meta.url);
export const OPENAPI_FILE = new URL('../../../schema/openapi.json', import.meta.url);

export function readRestArtifacts(): { manifest: PersistedOperationsManifest; openapi: Record<string, unknown> } {
  const manifest: unknown = JSON.parse(readFileSync(PERSISTED_OPERATIONS_FILE, 'utf8'));
  assertManifest(manifest);
  return { manifest, openapi: JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as Record<string, unknown> };
}
