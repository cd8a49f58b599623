import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { openDatabase, type Database, type DatabaseHandle, type DatabaseTarget } from '@ipay/platform';
import type { IdempotencyClaim, IdempotencyClaimRef, IdempotencyClaimRequest, IdempotencyStore, StoredResponse } from '../rest/idempotency.ts';
import { and, eq, lt, or } from './orm.ts';
import * as schema from './schema.ts';

const { idempotencyKeys } = schema;

export type GatewayDatabase = Database<typeof schema>;

/** The gateway's drizzle-kit migrations (gateway/drizzle), applied under the journal `drizzle.gateway_migrations`. */
export const GATEWAY_MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** Opens the gateway's own database (its `gateway` schema) and brings it up to date. */
export async function openGatewayDatabase(target: DatabaseTarget): Promise<DatabaseHandle<typeof schema>> {
  const handle = openDatabase(target, { schema });
  await handle.migrate('gateway', GATEWAY_MIGRATIONS_FOLDER);
  return handle;
}

/** Idempotency-Keys in PostgreSQL (or PGlite): one row per (scope, key), claimed with one atomic upsert. */
export class DrizzleIdempotencyStore implements IdempotencyStore {
  constructor(private readonly db: GatewayDatabase) {}

  async claim(request: IdempotencyClaimRequest): Promise<IdempotencyClaim> {
    const { scope, key, fingerprint, now } = request;
    // A row that exists but expired, or whose in-flight claim on this same request was abandoned, is taken over.
    for (let attempt = 0; attempt < 3; attempt++) {
      const lockToken = randomUUID();
      const fresh = {
        scope,
        key,
        fingerprint,
        operationId: request.operationId,
        state: 'in_flight' as const,
        lockToken,
        lockedUntil: request.lockedUntil,
        responseStatus: null,
        responseHeaders: null,
        responseBody: null,
        createdAt: now,
        expiresAt: request.expiresAt,
      };
      const [claimed] = await this.db
        .insert(idempotencyKeys)
        .values(fresh)
        .onConflictDoUpdate({
          target: [idempotencyKeys.scope, idempotencyKeys.key],
          set: {
            fingerprint,
            operationId: request.operationId,
            state: 'in_flight',
            lockToken,
            lockedUntil: request.lockedUntil,
            responseStatus: null,
            responseHeaders: null,
            responseBody: null,
            createdAt: now,
            expiresAt: request.expiresAt,
          },
          setWhere: or(
            lt(idempotencyKeys.expiresAt, now),
            and(eq(idempotencyKeys.state, 'in_flight'), lt(idempotencyKeys.lockedUntil, now), eq(idempotencyKeys.fingerprint, fingerprint)),
          ),
        })
        .returning({ lockToken: idempotencyKeys.lockToken });
      if (claimed?.lockToken === lockToken) return { outcome: 'claimed', lockToken };

      const [existing] = await this.db
        .select()
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
      if (!existing) continue; // purged between the two statements: claim again
      if (existing.fingerprint !== fingerprint) return { outcome: 'mismatch' };
      if (existing.state === 'completed' && existing.responseStatus !== null && existing.responseBody !== null) {
        return { outcome: 'replay', response: { status: existing.responseStatus, headers: existing.responseHeaders ?? {}, body: existing.responseBody } };
      }
      return { outcome: 'in-flight' };
    }
    throw new Error(`idempotency key ${key} could not be claimed`);
  }

  async complete(ref: IdempotencyClaimRef, response: StoredResponse): Promise<boolean> {
    const updated = await this.db
      .update(idempotencyKeys)
      .set({ state: 'completed', responseStatus: response.status, responseHeaders: response.headers, responseBody: response.body })
      .where(and(eq(idempotencyKeys.scope, ref.scope), eq(idempotencyKeys.key, ref.key), eq(idempotencyKeys.lockToken, ref.lockToken)))
      .returning({ key: idempotencyKeys.key });
    return updated.length > 0;
  }

  async release(ref: IdempotencyClaimRef): Promise<void> {
    await this.db
      .delete(idempotencyKeys)
      .where(
        and(
          eq(idempotencyKeys.scope, ref.scope),
          eq(idempotencyKeys.key, ref.key),
          eq(idempotencyKeys.lockToken, ref.lockToken),
          eq(idempotencyKeys.state, 'in_flight'),
        ),
      );
  }

  async purgeExpired(now: Date): Promise<number> {
    const deleted = await this.db.delete(idempotencyKeys).where(lt(idempotencyKeys.expiresAt, now)).returning({ key: idempotencyKeys.key });
    return deleted.length;
  }
}
