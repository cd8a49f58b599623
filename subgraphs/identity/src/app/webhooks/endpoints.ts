import { and, asc, eq, gte, isNull, lt, sql } from 'drizzle-orm';
import { badUserInput, newId, notFound, scopeCondition, type Authorization, type Permission, type UnitOfWork } from '@ipay/platform';
import { merchants, webhookDeliveries, webhookEndpoints, type WebhookDeliveryRow, type WebhookEndpointRow } from '../../db/schema.ts';
import type * as schema from '../../db/schema.ts';
import { encryptSecret, generateWebhookSecret } from '../../adapters/webhooks/signing.ts';
import { UnsafeUrlError, parseWebhookUrl, resolveAllowed, type HostResolver } from '../../adapters/webhooks/ssrf.ts';
import { MAX_ENDPOINTS_PER_MERCHANT, MAX_GRACE_SECONDS, MAX_REPLAY_EVENTS, normalizeDescription, normalizeEventTypes } from '../../domain/webhooks.ts';

export {
  ALL_EVENTS,
  MAX_DESCRIPTION_LENGTH,
  MAX_ENDPOINTS_PER_MERCHANT,
  MAX_GRACE_SECONDS,
  MAX_REPLAY_EVENTS,
  normalizeEventTypes,
} from '../../domain/webhooks.ts';

type Uow = UnitOfWork<typeof schema>;
type Db = Uow['tx'];

/** What the audit trail records of an endpoint: never a secret. */
const auditView = (e: WebhookEndpointRow) => ({
  url: e.url,
  description: e.description,
  eventTypes: e.eventTypes,
  status: e.status,
  livemode: e.livemode,
  previousSecretExpiresAt: e.previousSecretExpiresAt?.toISOString() ?? null,
  deletedAt: e.deletedAt?.toISOString() ?? null,
});

/**
 * Checks a URL for the caller's mode: shape, scheme (https in live mode) and every address it resolves to.
 * Runs before the mutation's transaction: DNS is a network call.
 */
export async function checkEndpointUrl(raw: string, livemode: boolean, resolve: HostResolver, field: string): Promise<string> {
  try {
    const url = parseWebhookUrl(raw, livemode);
    await resolveAllowed(url, livemode, resolve);
    return url.toString();
  } catch (error) {
    if (error instanceof UnsafeUrlError) throw badUserInput(field, error.message);
    throw error;
  }
}

/** An endpoint inside the caller's scope and mode; anything else does not exist for the caller. */
export async function endpointInScope(db: Db, auth: Authorization, permission: Permission, id: string, lock = false): Promise<WebhookEndpointRow> {
  const scope = auth.require(permission);
  const query = db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), isNull(webhookEndpoints.deletedAt), scopeCondition(scope, auth.livemode, webhookEndpoints)));
  const [endpoint] = lock ? await query.for('update') : await query;
  if (!endpoint) throw notFound('WebhookEndpoint', id);
  return endpoint;
}

export interface NewEndpoint {
  merchantId: string;
  /** Already checked by `checkEndpointUrl`. */
  url: string;
  eventTypes: readonly string[];
  description?: string | null;
}

export async function createEndpoint(
  uow: Uow,
  auth: Authorization,
  input: NewEndpoint,
  key: Buffer,
  now: Date,
): Promise<{ endpoint: WebhookEndpointRow; secret: string }> {
  auth.requireMerchant('webhooks:manage', input.merchantId);
  const livemode = auth.livemode;
  const eventTypes = normalizeEventTypes(input.eventTypes, 'input.eventTypes');
  const description = normalizeDescription(input.description, 'input.description');
  // Locks the merchant row so concurrent creations cannot both pass the per-merchant limit.
  const [merchant] = await uow.tx.select({ id: merchants.id }).from(merchants).where(eq(merchants.id, input.merchantId)).for('update');
  if (!merchant) throw notFound('Merchant', input.merchantId);
  const [count] = await uow.tx
    .select({ n: sql<number>`count(*)::int` })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.merchantId, input.merchantId), eq(webhookEndpoints.livemode, livemode), isNull(webhookEndpoints.deletedAt)));
  if ((count?.n ?? 0) >= MAX_ENDPOINTS_PER_MERCHANT)
    throw badUserInput('input.merchantId', `a merchant may have at most ${MAX_ENDPOINTS_PER_MERCHANT} webhook endpoints per mode`);
  const id = newId('whe');
  const secret = generateWebhookSecret();
  const [endpoint] = await uow.tx
    .insert(webhookEndpoints)
    .values({
      id,
      merchantId: input.merchantId,
      livemode,
      url: input.url,
      description,
      eventTypes,
      secretCiphertext: encryptSecret(key, secret, id),
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  uow.audit({ action: 'webhook_endpoint.create', entityType: 'WebhookEndpoint', entityId: id, merchantId: input.merchantId, after: auditView(endpoint!) });
  return { endpoint: endpoint!, secret };
}

export interface EndpointChanges {
  /** Already checked by `checkEndpointUrl`. */
  url?: string | null;
  eventTypes?: readonly string[] | null;
  description?: string | null;
  status?: 'ENABLED' | 'DISABLED' | null;
}

export async function updateEndpoint(uow: Uow, auth: Authorization, id: string, changes: EndpointChanges, now: Date): Promise<WebhookEndpointRow> {
  const current = await endpointInScope(uow.tx, auth, 'webhooks:manage', id, true);
  const set: Partial<typeof webhookEndpoints.$inferInsert> = { updatedAt: now };
  if (changes.url != null) set.url = changes.url;
  if (changes.eventTypes != null) set.eventTypes = normalizeEventTypes(changes.eventTypes, 'input.eventTypes');
  if (changes.description !== undefined) set.description = normalizeDescription(changes.description, 'input.description');
  if (changes.status && changes.status !== current.status) {
    set.status = changes.status;
    // Enabling starts the failure clock afresh; pending deliveries resume at once.
    if (changes.status === 'ENABLED') Object.assign(set, { disabledAt: null, disabledReason: null, failingSince: null });
    else Object.assign(set, { disabledAt: now, disabledReason: 'disabled by the merchant' });
  }
  const [updated] = await uow.tx.update(webhookEndpoints).set(set).where(eq(webhookEndpoints.id, id)).returning();
  if (changes.status === 'ENABLED' && current.status === 'DISABLED') {
    await uow.tx
      .update(webhookDeliveries)
      .set({ nextAttemptAt: now })
      .where(and(eq(webhookDeliveries.endpointId, id), eq(webhookDeliveries.status, 'PENDING')));
  }
  uow.audit({
    action: 'webhook_endpoint.update',
    entityType: 'WebhookEndpoint',
    entityId: id,
    merchantId: current.merchantId,
    before: auditView(current),
    after: auditView(updated!),
  });
  return updated!;
}

/** Deletes an endpoint: its history stays readable to the audit trail, pending deliveries are canceled. */
export async function deleteEndpoint(uow: Uow, auth: Authorization, id: string, now: Date): Promise<WebhookEndpointRow> {
  const current = await endpointInScope(uow.tx, auth, 'webhooks:manage', id, true);
  const [deleted] = await uow.tx.update(webhookEndpoints).set({ deletedAt: now, updatedAt: now }).where(eq(webhookEndpoints.id, id)).returning();
  await uow.tx
    .update(webhookDeliveries)
    .set({ status: 'CANCELED', completedAt: now, lastError: 'endpoint deleted' })
    .where(and(eq(webhookDeliveries.endpointId, id), eq(webhookDeliveries.status, 'PENDING')));
  uow.audit({
    action: 'webhook_endpoint.delete',
    entityType: 'WebhookEndpoint',
    entityId: id,
    merchantId: current.merchantId,
    before: auditView(current),
    after: auditView(deleted!),
  });
  return deleted!;
}

/**
 * A new signing secret; the old one keeps signing alongside it (two `v1,` signatures) until the grace period
 * ends, so receivers can switch without dropping a delivery. 0 ends the old secret at once.
 */
export async function rotateSecret(
  uow: Uow,
  auth: Authorization,
  id: string,
  graceSeconds: number,
  key: Buffer,
  now: Date,
): Promise<{ endpoint: WebhookEndpointRow; secret: string }> {
  if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_GRACE_SECONDS)
    throw badUserInput('gracePeriodSeconds', `must be 0 to ${MAX_GRACE_SECONDS} (7 days)`);
  const current = await endpointInScope(uow.tx, auth, 'webhooks:manage', id, true);
  const secret = generateWebhookSecret();
  const [rotated] = await uow.tx
    .update(webhookEndpoints)
    .set({
      secretCiphertext: encryptSecret(key, secret, id),
      previousSecretCiphertext: graceSeconds > 0 ? current.secretCiphertext : null,
      previousSecretExpiresAt: graceSeconds > 0 ? new Date(now.getTime() + graceSeconds * 1000) : null,
      updatedAt: now,
    })
    .where(eq(webhookEndpoints.id, id))
    .returning();
  uow.audit({
    action: 'webhook_endpoint.rotate_secret',
    entityType: 'WebhookEndpoint',
    entityId: id,
    merchantId: current.merchantId,
    before: auditView(current),
    after: auditView(rotated!),
  });
  return { endpoint: rotated!, secret };
}

async function replayable(uow: Uow, auth: Authorization, endpointId: string): Promise<WebhookEndpointRow> {
  const endpoint = await endpointInScope(uow.tx, auth, 'webhooks:manage', endpointId);
  if (endpoint.status !== 'ENABLED') throw badUserInput('endpointId', 'the endpoint is disabled: enable it before replaying');
  return endpoint;
}

const replayRow = (original: WebhookDeliveryRow, now: Date) => ({
  id: newId('whd'),
  endpointId: original.endpointId,
  merchantId: original.merchantId,
  livemode: original.livemode,
  // Same event id, so receivers that already processed it recognise the replay.
  eventId: original.eventId,
  eventType: original.eventType,
  occurredAt: original.occurredAt,
  body: original.body,
  replay: true,
  nextAttemptAt: now,
  createdAt: now,
});

/** Re-sends one event the endpoint received (or was due to receive), with the same `webhook-id`. */
export async function replayEvent(uow: Uow, auth: Authorization, endpointId: string, eventId: string, now: Date): Promise<WebhookDeliveryRow> {
  const endpoint = await replayable(uow, auth, endpointId);
  const [original] = await uow.tx
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.eventId, eventId), eq(webhookDeliveries.replay, false)));
  if (!original) throw notFound('WebhookEvent', eventId);
  const [delivery] = await uow.tx.insert(webhookDeliveries).values(replayRow(original, now)).returning();
  uow.audit({
    action: 'webhook_endpoint.replay',
    entityType: 'WebhookEndpoint',
    entityId: endpointId,
    merchantId: endpoint.merchantId,
    after: { eventIds: [eventId] },
  });
  return delivery!;
}

/** Re-sends every event of the endpoint that occurred in [from, to), oldest first. */
export async function replayRange(uow: Uow, auth: Authorization, endpointId: string, from: Date, to: Date, now: Date): Promise<WebhookDeliveryRow[]> {
  if (!(from < to)) throw badUserInput('to', 'must be after from');
  const endpoint = await replayable(uow, auth, endpointId);
  const originals = await uow.tx
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.endpointId, endpointId),
        eq(webhookDeliveries.replay, false),
        gte(webhookDeliveries.occurredAt, from),
        lt(webhookDeliveries.occurredAt, to),
      ),
    )
    .orderBy(asc(webhookDeliveries.occurredAt), asc(webhookDeliveries.eventId))
    .limit(MAX_REPLAY_EVENTS + 1);
  if (originals.length > MAX_REPLAY_EVENTS) throw badUserInput('to', `more than ${MAX_REPLAY_EVENTS} events in the range: narrow it`);
  // An empty range is still a request someone made: audited (a mutation always is), nothing re-sent.
  const rows = originals.length
    ? await uow.tx
        .insert(webhookDeliveries)
        .values(originals.map((o) => replayRow(o, now)))
        .returning()
    : [];
  uow.audit({
    action: 'webhook_endpoint.replay',
    entityType: 'WebhookEndpoint',
    entityId: endpointId,
    merchantId: endpoint.merchantId,
    after: { from: from.toISOString(), to: to.toISOString(), eventIds: originals.map((o) => o.eventId) },
  });
  return rows.sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || a.eventId.localeCompare(b.eventId));
}

/** A merchant's endpoints (not deleted) in the caller's mode, oldest first. */
export async function listEndpoints(db: Db, auth: Authorization, merchantId: string): Promise<WebhookEndpointRow[]> {
  auth.requireMerchant('webhooks:read', merchantId);
  return db
    .select()
    .from(webhookEndpoints)
    .where(
      and(
        eq(webhookEndpoints.merchantId, merchantId),
        isNull(webhookEndpoints.deletedAt),
        scopeCondition(auth.require('webhooks:read'), auth.livemode, webhookEndpoints),
      ),
    )
    .orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id));
}
