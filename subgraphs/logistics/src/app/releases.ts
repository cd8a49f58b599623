import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { GraphQLError } from 'graphql';
import { badUserInput, majorUnits, newId, notFound, scopeCondition, type Authorization } from '@ipay/platform';
import { orderProjections, paymentProjections, releaseAuthorizations, shipments, type ReleaseAuthorizationRow, type ShipmentRow } from '../db/schema.ts';
import {
  decideRelease,
  issueReleaseAuthorization,
  LOCATION_TYPES,
  type LocationType,
  type PaymentStatus,
  type ReleaseAuthorization,
  type ReleaseCredential,
} from '../domain/index.ts';
import type { LogisticsServices } from '../services.ts';
import { runAsSystem, type Db, type Uow } from './system.ts';

/** The domain's view of a stored row. */
export function toDomainAuthorization(row: ReleaseAuthorizationRow): ReleaseAuthorization {
  return {
    id: row.id,
    shipmentId: row.shipmentId,
    orderId: row.orderId,
    locationType: row.locationType,
    codeHash: row.codeHash,
    keyId: row.keyId,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    status: row.status,
    failedAttempts: row.failedAttempts,
    version: row.version,
    releasedAt: row.authorizedAt,
    releaseMethod: row.releaseMethod as ReleaseAuthorization['releaseMethod'],
  };
}

const locationOf = (shipment: ShipmentRow): LocationType =>
  (LOCATION_TYPES as readonly string[]).includes(shipment.deliveryMethod) ? (shipment.deliveryMethod as LocationType) : 'DOOR';

/**
 * Issues the shipment's release authorization in the caller's transaction, unless it has one. The code leaves
 * only as an HMAC (to verify) and AES-256-GCM sealed (for the consumer); it is never logged or audited.
 */
export async function issueReleaseInTx(uow: Uow, services: LogisticsServices, shipment: ShipmentRow, now = new Date()): Promise<ReleaseAuthorizationRow | null> {
  const id = newId('rel');
  const issued = issueReleaseAuthorization({
    authorizationId: id,
    shipmentId: shipment.id,
    orderId: shipment.orderId,
    locationType: locationOf(shipment),
    now,
    ttlSeconds: services.releaseTtlSeconds,
    keyring: services.releaseKeyring,
  });
  const a = issued.authorization;
  const [row] = await uow.tx
    .insert(releaseAuthorizations)
    .values({
      id,
      shipmentId: shipment.id,
      orderId: shipment.orderId,
      merchantId: shipment.merchantId,
      livemode: shipment.livemode,
      carrierCode: shipment.carrierCode,
      locationType: a.locationType,
      codeHash: a.codeHash,
      keyId: a.keyId,
      codeCiphertext: services.sealer.seal(issued.code, id),
      qrTokenCiphertext: services.sealer.seal(issued.qrToken, id),
      status: a.status,
      failedAttempts: 0,
      version: 0,
      createdAt: a.createdAt,
      expiresAt: a.expiresAt,
    })
    .onConflictDoNothing({ target: releaseAuthorizations.shipmentId })
    .returning();
  if (!row) return null;
  uow.audit({
    action: 'release.issue',
    entityType: 'ReleaseAuthorization',
    entityId: id,
    merchantId: shipment.merchantId,
    after: { shipmentId: shipment.id, orderId: shipment.orderId, locationType: row.locationType, expiresAt: row.expiresAt.toISOString(), status: row.status },
  });
  return row;
}

/**
 * Serialises "a shipment is created" with "the payment is confirmed" per order (transaction-scoped advisory lock),
 * so whichever commits second sees the other and the release is issued exactly once.
 */
export async function lockOrder(tx: Db, orderId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`ipay-logistics-order:${orderId}`}))`);
}

/** payment.confirmed for an order: issue the release of its newest shipment if it has none yet. Idempotent. */
export async function issueReleaseForOrder(db: Db, services: LogisticsServices, orderId: string, livemode: boolean): Promise<void> {
  try {
    await runAsSystem(db, 'release-issuer', livemode, async (uow) => {
      await lockOrder(uow.tx, orderId);
      const [shipment] = await uow.tx
        .select()
        .from(shipments)
        .where(and(eq(shipments.orderId, orderId), eq(shipments.livemode, livemode)))
        .orderBy(desc(shipments.createdAt), desc(shipments.id))
        .limit(1);
      // No shipment yet: createShipment issues it.
      if (!shipment) throw new AlreadyIssued();
      const { status } = await paymentStatusOf(uow.tx, orderId);
      if (status !== 'CONFIRMED') throw new AlreadyIssued();
      if (!(await issueReleaseInTx(uow, services, shipment))) throw new AlreadyIssued();
    });
  } catch (error) {
    if (!(error instanceof AlreadyIssued)) throw error;
  }
}

/** Nothing to issue (no shipment, not confirmed, already issued): the empty transaction rolls back. */
class AlreadyIssued extends Error {}
/** Someone else changed the row between our read and our compare-and-set; decide again on fresh data. */
class VersionConflict extends Error {}

export interface VerifyReleaseArgs {
  shipmentId?: string | null;
  trackingNumber?: string | null;
  code?: string | null;
  qrToken?: string | null;
  locationType: LocationType;
  agentId?: string | null;
  locationId?: string | null;
}

export interface VerificationResult {
  authorized: boolean;
  reason: string | null;
  message: string;
  attemptsRemaining: number;
  release: ReleaseAuthorizationRow | null;
}

const trimmed = (v: string | null | undefined) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);

/** The shipment a release verifier may act on: carrier partners reach only their own carrier's (NOT_FOUND otherwise). */
async function verifiableShipment(db: Db, auth: Authorization, args: VerifyReleaseArgs): Promise<ShipmentRow> {
  const scope = auth.require('releases:verify');
  const shipmentId = trimmed(args.shipmentId);
  const trackingNumber = trimmed(args.trackingNumber);
  if (!!shipmentId === !!trackingNumber) throw badUserInput('shipmentId', 'give exactly one of shipmentId and trackingNumber');
  const inScope = scopeCondition(scope, auth.livemode, { merchantId: shipments.merchantId, livemode: shipments.livemode, carrierCode: shipments.carrierCode });
  const [shipment] = await db
    .select()
    .from(shipments)
    .where(and(shipmentId ? eq(shipments.id, shipmentId) : eq(shipments.trackingNumber, trackingNumber!), inScope))
    .limit(1);
  if (!shipment) throw notFound('Shipment', shipmentId ?? trackingNumber!);
  return shipment;
}

async function paymentStatusOf(tx: Db, orderId: string): Promise<{ status: PaymentStatus; row: typeof paymentProjections.$inferSelect | null }> {
  const [row] = await tx.select().from(paymentProjections).where(eq(paymentProjections.orderId, orderId));
  return { status: (row?.status as PaymentStatus | undefined) ?? 'CREATED', row: row ?? null };
}

async function merchantSlugOf(tx: Db, orderId: string): Promise<string> {
  const [order] = await tx.select({ slug: orderProjections.merchantSlug }).from(orderProjections).where(eq(orderProjections.orderId, orderId));
  // Shipments are only created for projected orders; a miss is an inconsistency, not a user error.
  if (!order) throw new Error(`order ${orderId} has no projection`);
  return order.slug;
}

/**
 * One verification attempt = one transaction: read the authorization and the payment, decide, compare-and-set,
 * audit (refusals too: they commit on their own), emit release.authorized on success. A lost compare-and-set
 * rolls back and decides again, so two concurrent attempts with the right code release once.
 */
export async function verifyRelease(
  db: Db,
  auth: Authorization,
  services: LogisticsServices,
  mutate: <T>(work: (uow: Uow) => Promise<T>) => Promise<T>,
  args: VerifyReleaseArgs,
): Promise<VerificationResult> {
  if (!LOCATION_TYPES.includes(args.locationType)) throw badUserInput('locationType', `must be one of ${LOCATION_TYPES.join(', ')}`);
  const code = trimmed(args.code);
  const qrToken = trimmed(args.qrToken);
  if (!!code === !!qrToken) throw badUserInput('code', 'give exactly one of code and qrToken');
  const shipment = await verifiableShipment(db, auth, args);
  const credential: ReleaseCredential = code ? { kind: 'CODE', code } : { kind: 'QR', token: qrToken! };
  const principal = auth.requirePrincipal();
  const actor = { carrierCode: shipment.carrierCode, agentId: trimmed(args.agentId), locationId: trimmed(args.locationId) };

  for (let attempt = 0; attempt < 10; attempt += 1) {
    try {
      return await mutate(async (uow) => {
        const now = new Date();
        const [row] = await uow.tx.select().from(releaseAuthorizations).where(eq(releaseAuthorizations.shipmentId, shipment.id));
        const payment = await paymentStatusOf(uow.tx, shipment.orderId);
        if (!row) {
          // No authorization exists before the payment is confirmed: nothing to guess against, nothing to count.
          const reason = payment.status === 'CONFIRMED' ? 'NO_AUTHORIZATION' : 'PAYMENT_NOT_CONFIRMED';
          const message =
            reason === 'PAYMENT_NOT_CONFIRMED'
              ? `payment is ${payment.status}; a parcel is released only once payment is CONFIRMED`
              : 'the shipment has no release authorization yet';
          uow.audit({
            action: 'release.refused',
            entityType: 'Shipment',
            entityId: shipment.id,
            merchantId: shipment.merchantId,
            after: { reason, paymentStatus: payment.status, attemptedLocationType: args.locationType, credentialKind: credential.kind, actor, by: principal.id },
          });
          return { authorized: false, reason, message, attemptsRemaining: 0, release: null };
        }
        const decision = decideRelease({ authorization: toDomainAuthorization(row), attempt: { shipmentId: shipment.id, locationType: args.locationType, credential, actor }, paymentStatus: payment.status, now, keyring: services.releaseKeyring });
        let updated = row;
        if (decision.update) {
          const { set, expectedVersion } = decision.update;
          const [changed] = await uow.tx
            .update(releaseAuthorizations)
            .set({ status: set.status, failedAttempts: set.failedAttempts, version: set.version, authorizedAt: set.releasedAt, releaseMethod: set.releaseMethod })
            .where(and(eq(releaseAuthorizations.id, row.id), eq(releaseAuthorizations.version, expectedVersion)))
            .returning();
          if (!changed) throw new VersionConflict();
          updated = changed;
        }
        const fact = decision.audit;
        uow.audit({
          action: decision.outcome === 'AUTHORISED' ? 'release.authorize' : 'release.refused',
          entityType: 'ReleaseAuthorization',
          entityId: row.id,
          merchantId: row.merchantId,
          before: { status: row.status, failedAttempts: row.failedAttempts, version: row.version },
          after: {
            status: updated.status,
            failedAttempts: updated.failedAttempts,
            version: updated.version,
            outcome: fact.outcome,
            reason: fact.reason,
            lockedOut: fact.lockedOut,
            paymentStatus: fact.paymentStatus,
            attemptedLocationType: fact.attemptedLocationType,
            credentialKind: fact.credentialKind,
            actor: fact.actor,
          },
        });
        if (decision.outcome === 'REFUSED') {
          return { authorized: false, reason: decision.reason, message: decision.message, attemptsRemaining: decision.attemptsRemaining, release: updated };
        }
        const paid = payment.row!;
        uow.emit({
          type: 'release.authorized',
          subjectId: row.id,
          merchantId: row.merchantId,
          livemode: row.livemode,
          carrierCode: row.carrierCode,
          // Exactly the published sample, plus the ids.
          payload: {
            event: 'release.authorized',
            order_id: row.orderId,
            merchant: await merchantSlugOf(uow.tx, row.orderId),
            carrier: row.carrierCode,
            payment: { psp: paid.psp, status: 'confirmed', amount: majorUnits(paid.amountMinor, paid.currency), currency: paid.currency },
            release: { authorized_at: updated.authorizedAt!.toISOString(), method: decision.method },
            release_id: row.id,
            shipment_id: row.shipmentId,
          },
        });
        return { authorized: true, reason: null, message: `release authorized (${decision.method})`, attemptsRemaining: 0, release: updated };
      });
    } catch (error) {
      if (!(error instanceof VersionConflict)) throw error;
    }
  }
  throw new GraphQLError('the release is being changed concurrently; try again', { extensions: { code: 'CONFLICT' } });
}

function releaseScope(auth: Authorization) {
  const scope = auth.require('releases:verify');
  return scopeCondition(scope, auth.livemode, { merchantId: releaseAuthorizations.merchantId, livemode: releaseAuthorizations.livemode, carrierCode: releaseAuthorizations.carrierCode });
}

/** The hand-over after an authorized verification; compare-and-set makes a second confirmation fail, never double-release. */
export async function confirmParcelRelease(
  auth: Authorization,
  mutate: <T>(work: (uow: Uow) => Promise<T>) => Promise<T>,
  releaseId: string,
): Promise<ReleaseAuthorizationRow> {
  const inScope = releaseScope(auth);
  return mutate(async (uow) => {
    const [row] = await uow.tx.select().from(releaseAuthorizations).where(and(eq(releaseAuthorizations.id, releaseId), inScope));
    if (!row) throw notFound('ReleaseAuthorization', releaseId);
    if (row.handedOverAt) throw badUserInput('releaseId', `the parcel was already handed over at ${row.handedOverAt.toISOString()}`);
    if (row.status !== 'RELEASED') throw badUserInput('releaseId', `the release is ${row.status}; verify the consumer's code first`);
    const now = new Date();
    const [changed] = await uow.tx
      .update(releaseAuthorizations)
      .set({ handedOverAt: now, version: sql`${releaseAuthorizations.version} + 1` })
      .where(and(eq(releaseAuthorizations.id, row.id), eq(releaseAuthorizations.version, row.version), isNull(releaseAuthorizations.handedOverAt)))
      .returning();
    // Lost the race: the other confirmation handed it over.
    if (!changed) throw badUserInput('releaseId', 'the parcel was already handed over');
    uow.audit({
      action: 'release.hand_over',
      entityType: 'ReleaseAuthorization',
      entityId: row.id,
      merchantId: row.merchantId,
      before: { handedOverAt: null, version: row.version },
      after: { handedOverAt: now.toISOString(), version: changed.version, method: row.releaseMethod },
    });
    uow.emit({
      type: 'parcel.released',
      subjectId: row.id,
      merchantId: row.merchantId,
      livemode: row.livemode,
      carrierCode: row.carrierCode,
      payload: {
        order_id: row.orderId,
        merchant: await merchantSlugOf(uow.tx, row.orderId),
        carrier: row.carrierCode,
        release: { id: row.id, released_at: now.toISOString(), method: row.releaseMethod },
      },
    });
    return changed;
  });
}

/** The consumer's code and QR token of an order, for the merchant (orders:read); every reveal is audited. */
export async function revealReleaseCode(
  db: Db,
  auth: Authorization,
  services: LogisticsServices,
  mutate: <T>(work: (uow: Uow) => Promise<T>) => Promise<T>,
  orderId: string,
): Promise<{ release: ReleaseAuthorizationRow; code: string; qrToken: string; expiresAt: Date }> {
  auth.require('orders:read');
  const [order] = await db.select().from(orderProjections).where(eq(orderProjections.orderId, orderId));
  // A consumer token reaches its own order's code (coversOrder); a merchant's key every order of its merchant.
  if (!order || order.livemode !== auth.livemode || !auth.coversOrder('orders:read', { id: order.orderId, merchantId: order.merchantId })) throw notFound('Order', orderId);
  const [row] = await db
    .select()
    .from(releaseAuthorizations)
    .where(and(eq(releaseAuthorizations.orderId, orderId), eq(releaseAuthorizations.livemode, auth.livemode)))
    .orderBy(desc(releaseAuthorizations.createdAt))
    .limit(1);
  if (!row) throw notFound('ReleaseAuthorization', orderId);
  if (row.status !== 'ACTIVE') throw badUserInput('orderId', `the release is ${row.status === 'RELEASED' ? 'already authorized' : row.status}; its code is no longer usable`);
  const code = services.sealer.open(row.codeCiphertext, row.id);
  const qrToken = services.sealer.open(row.qrTokenCiphertext, row.id);
  await mutate(async (uow) => {
    uow.audit({ action: 'release.code_revealed', entityType: 'ReleaseAuthorization', entityId: row.id, merchantId: row.merchantId, after: { orderId, shipmentId: row.shipmentId } });
  });
  return { release: row, code, qrToken, expiresAt: row.expiresAt };
}
