import { and, desc, eq, gt, isNotNull, isNull, ne, sql } from 'drizzle-orm';
import {
  badUserInput,
  domainError,
  isFullyPaid,
  newId,
  notFound,
  scopeCondition,
  wireMoney,
  type Authorization,
  type OrderPaymentStatePayload,
} from '@ipay/platform';
import {
  orderPaymentStates,
  orderProjections,
  releaseAuthorizations,
  shipments,
  type OrderPaymentStateRow,
  type ReleaseAuthorizationRow,
  type ShipmentRow,
} from '../db/schema.ts';
import {
  decideReissue,
  decideRelease,
  issueReleaseAuthorization,
  LOCATION_TYPES,
  revocationFor,
  type LocationType,
  type ReleaseAuthorization,
  type ReleaseCredential,
  type ReleasePayment,
  type RevocationReason,
} from '../domain/index.ts';
import type { LogisticsServices } from './services.ts';
import type { Db, Uow } from './system.ts';

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

/** Not REVOKED: at most one per shipment (partial unique index release_authorizations_shipment_live_key). */
const live = ne(releaseAuthorizations.status, 'REVOKED');

/** Whole seconds, as the published release.authorized sample (`2026-05-29T09:14:22Z`). */
export const isoSeconds = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');
const wholeSeconds = (date: Date) => new Date(Math.floor(date.getTime() / 1000) * 1000);

/** The order's payment as the release rules see it: payments' order payment state and `isFullyPaid` of the contract. */
export function releasePaymentOf(row: OrderPaymentStateRow | null | undefined): ReleasePayment {
  if (!row) return { state: 'UNKNOWN', fullyPaid: false };
  const money = (minor: number) => wireMoney(minor, row.currency);
  const payload: OrderPaymentStatePayload = {
    order_id: row.orderId,
    merchant: '',
    version: row.version,
    state: row.state,
    amount_due: money(row.amountDueMinor),
    captured: money(row.capturedMinor),
    refunded: money(row.refundedMinor),
    outstanding: money(Math.max(0, row.amountDueMinor - row.capturedMinor)),
    payment_session_id: row.paymentSessionId,
    psp: row.psp,
    paid_at: row.paidAt ? isoSeconds(row.paidAt) : null,
  };
  return { state: row.state, fullyPaid: isFullyPaid(payload) && row.paymentSessionId !== null };
}

async function paymentStateOf(tx: Db, orderId: string): Promise<{ row: OrderPaymentStateRow | null; payment: ReleasePayment }> {
  const [row] = await tx.select().from(orderPaymentStates).where(eq(orderPaymentStates.orderId, orderId));
  return { row: row ?? null, payment: releasePaymentOf(row) };
}

async function orderCancelled(tx: Db, orderId: string): Promise<boolean> {
  const [order] = await tx.select({ status: orderProjections.status }).from(orderProjections).where(eq(orderProjections.orderId, orderId));
  return order?.status === 'CANCELLED';
}

/**
 * Issues the shipment's release authorization in the caller's transaction, unless it has a live one. The code
 * leaves only as an HMAC (to verify) and AES-256-GCM sealed (for the consumer); it is never logged or audited.
 */
export async function issueReleaseInTx(
  uow: Uow,
  services: LogisticsServices,
  shipment: ShipmentRow,
  now = new Date(),
  reissueOf: string | null = null,
): Promise<ReleaseAuthorizationRow | null> {
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
      reissueOf,
      createdAt: a.createdAt,
      expiresAt: a.expiresAt,
    })
    .onConflictDoNothing({ target: releaseAuthorizations.shipmentId, where: sql`${releaseAuthorizations.status} <> 'REVOKED'` })
    .returning();
  if (!row) return null;
  uow.audit({
    action: reissueOf ? 'release.reissue' : 'release.issue',
    entityType: 'ReleaseAuthorization',
    entityId: id,
    merchantId: shipment.merchantId,
    after: {
      shipmentId: shipment.id,
      orderId: shipment.orderId,
      locationType: row.locationType,
      expiresAt: row.expiresAt.toISOString(),
      status: row.status,
      reissueOf,
    },
  });
  return row;
}

/** Revokes a live authorization (compare-and-set on its version); its code and QR token can never verify again. */
async function revokeInTx(
  uow: Uow,
  row: ReleaseAuthorizationRow,
  reason: RevocationReason,
  cause: string | null,
  now = new Date(),
): Promise<ReleaseAuthorizationRow | null> {
  const [changed] = await uow.tx
    .update(releaseAuthorizations)
    .set({ status: 'REVOKED', revokedAt: now, revokedReason: reason, version: row.version + 1 })
    .where(and(eq(releaseAuthorizations.id, row.id), eq(releaseAuthorizations.version, row.version), isNull(releaseAuthorizations.handedOverAt)))
    .returning();
  if (!changed) return null;
  uow.audit({
    action: 'release.revoke',
    entityType: 'ReleaseAuthorization',
    entityId: row.id,
    merchantId: row.merchantId,
    before: { status: row.status, version: row.version },
    after: { status: 'REVOKED', version: changed.version, reason, cause },
  });
  return changed;
}

/**
 * Serialises everything that decides an order's release (shipment created, payment state applied, order cancelled,
 * verification, reissue) per order with a transaction-scoped advisory lock, so each sees the others' outcome.
 */
export async function lockOrder(tx: Db, orderId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`ipay-logistics-order:${orderId}`}))`);
}

/**
 * Brings an order's release authorizations in line with what logistics knows (the caller holds `lockOrder`):
 * revoked when the order is cancelled or no longer fully paid; issued for the newest shipment when fully paid and it
 * has none. Idempotent, so every event of the order may simply call it.
 */
export async function reconcileReleases(uow: Uow, services: LogisticsServices, orderId: string, cause: string | null): Promise<void> {
  const cancelled = await orderCancelled(uow.tx, orderId);
  const { payment } = await paymentStateOf(uow.tx, orderId);
  const liveRows = await uow.tx
    .select()
    .from(releaseAuthorizations)
    .where(and(eq(releaseAuthorizations.orderId, orderId), live));
  let revoked = false;
  for (const row of liveRows) {
    const reason = revocationFor({ status: row.status, handedOver: row.handedOverAt !== null, orderCancelled: cancelled, fullyPaid: payment.fullyPaid });
    if (reason && (await revokeInTx(uow, row, reason, cause))) revoked = true;
  }
  if (revoked || cancelled || !payment.fullyPaid) return;
  const [shipment] = await uow.tx
    .select()
    .from(shipments)
    .where(eq(shipments.orderId, orderId))
    .orderBy(desc(shipments.createdAt), desc(shipments.id))
    .limit(1);
  if (!shipment || liveRows.some((r) => r.shipmentId === shipment.id)) return;
  await issueReleaseInTx(uow, services, shipment);
}

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
        // Serialised with payment state changes, cancellations and reissues of the order.
        await lockOrder(uow.tx, shipment.orderId);
        const now = new Date();
        const [liveRow] = await uow.tx
          .select()
          .from(releaseAuthorizations)
          .where(and(eq(releaseAuthorizations.shipmentId, shipment.id), live));
        // No live authorization: the newest revoked one (if any) answers, so a revoked code is refused as REVOKED.
        const [row] = liveRow
          ? [liveRow]
          : await uow.tx
              .select()
              .from(releaseAuthorizations)
              .where(eq(releaseAuthorizations.shipmentId, shipment.id))
              .orderBy(desc(releaseAuthorizations.createdAt))
              .limit(1);
        const { row: paid, payment } = await paymentStateOf(uow.tx, shipment.orderId);
        const cancelled = await orderCancelled(uow.tx, shipment.orderId);
        if (!row) {
          // No authorization exists before the order is fully paid: nothing to guess against, nothing to count.
          const reason = cancelled ? 'ORDER_CANCELLED' : payment.fullyPaid ? 'NO_AUTHORIZATION' : 'PAYMENT_NOT_CONFIRMED';
          const message =
            reason === 'ORDER_CANCELLED'
              ? 'the order was cancelled; the parcel goes back to the sender'
              : reason === 'PAYMENT_NOT_CONFIRMED'
                ? `the order's payment is ${payment.state}; a parcel is released only once the order is fully paid`
                : 'the shipment has no release authorization yet';
          uow.audit({
            action: 'release.refused',
            entityType: 'Shipment',
            entityId: shipment.id,
            merchantId: shipment.merchantId,
            after: { reason, paymentState: payment.state, attemptedLocationType: args.locationType, credentialKind: credential.kind, actor, by: principal.id },
          });
          return { authorized: false, reason, message, attemptsRemaining: 0, release: null };
        }
        const decision = decideRelease({
          authorization: toDomainAuthorization(row),
          attempt: { shipmentId: shipment.id, locationType: args.locationType, credential, actor },
          payment,
          orderCancelled: cancelled,
          // Whole seconds: authorizedAt is published with second precision.
          now: wholeSeconds(now),
          keyring: services.releaseKeyring,
        });
        let updated = row;
        if (decision.update) {
          const { set, expectedVersion } = decision.update;
          const verified = set.status === 'RELEASED';
          const [changed] = await uow.tx
            .update(releaseAuthorizations)
            .set({
              status: set.status,
              failedAttempts: set.failedAttempts,
              version: set.version,
              authorizedAt: set.releasedAt,
              releaseMethod: set.releaseMethod,
              // The confirmed payment it is released on; the database checks it against the order's payment state.
              ...(verified
                ? { paymentSessionId: paid!.paymentSessionId, paidPsp: paid!.psp, paidAmountMinor: paid!.capturedMinor, paidCurrency: paid!.currency }
                : {}),
            })
            .where(and(eq(releaseAuthorizations.id, row.id), eq(releaseAuthorizations.version, expectedVersion)))
            .returning();
          if (!changed) throw new VersionConflict();
          updated = changed;
        }
        const fact = decision.audit;
        uow.audit({
          action: decision.outcome === 'AUTHORIZED' ? 'release.authorize' : 'release.refused',
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
            paymentState: fact.paymentState,
            paymentSessionId: decision.outcome === 'AUTHORIZED' ? updated.paymentSessionId : undefined,
            attemptedLocationType: fact.attemptedLocationType,
            credentialKind: fact.credentialKind,
            actor: fact.actor,
          },
        });
        if (decision.outcome === 'REFUSED') {
          return { authorized: false, reason: decision.reason, message: decision.message, attemptsRemaining: decision.attemptsRemaining, release: updated };
        }
        uow.emit({
          type: 'release.authorized',
          subjectId: row.id,
          merchantId: row.merchantId,
          livemode: row.livemode,
          carrierCode: row.carrierCode,
          // The published sample, money as every money object on the wire (amount + amount_minor), plus the ids.
          payload: {
            event: 'release.authorized',
            order_id: row.orderId,
            merchant: await merchantSlugOf(uow.tx, row.orderId),
            carrier: row.carrierCode,
            payment: { psp: updated.paidPsp, status: 'confirmed', ...wireMoney(updated.paidAmountMinor!, updated.paidCurrency!) },
            release: { authorized_at: isoSeconds(updated.authorizedAt!), method: decision.method },
            release_id: row.id,
            shipment_id: row.shipmentId,
            payment_session_id: updated.paymentSessionId,
          },
        });
        return { authorized: true, reason: null, message: `release authorized (${decision.method})`, attemptsRemaining: 0, release: updated };
      });
    } catch (error) {
      if (!(error instanceof VersionConflict)) throw error;
    }
  }
  throw domainError('CONFLICT', 'the release is being changed concurrently; try again');
}

function releaseScope(auth: Authorization) {
  const scope = auth.require('releases:verify');
  return scopeCondition(scope, auth.livemode, {
    merchantId: releaseAuthorizations.merchantId,
    livemode: releaseAuthorizations.livemode,
    carrierCode: releaseAuthorizations.carrierCode,
  });
}

/** The hand-over after an authorized verification; compare-and-set makes a second confirmation fail, never double-release. */
export async function confirmParcelRelease(
  auth: Authorization,
  mutate: <T>(work: (uow: Uow) => Promise<T>) => Promise<T>,
  releaseId: string,
): Promise<ReleaseAuthorizationRow> {
  const inScope = releaseScope(auth);
  return mutate(async (uow) => {
    const [found] = await uow.tx
      .select({ orderId: releaseAuthorizations.orderId })
      .from(releaseAuthorizations)
      .where(and(eq(releaseAuthorizations.id, releaseId), inScope));
    if (!found) throw notFound('ReleaseAuthorization', releaseId);
    // Serialised with revocations (cancellation, refund) of the order; then read what holds now.
    await lockOrder(uow.tx, found.orderId);
    const [row] = await uow.tx.select().from(releaseAuthorizations).where(eq(releaseAuthorizations.id, releaseId));
    if (!row) throw notFound('ReleaseAuthorization', releaseId);
    if (row.handedOverAt) throw badUserInput('releaseId', `the parcel was already handed over at ${row.handedOverAt.toISOString()}`);
    if (row.status === 'REVOKED')
      throw domainError('RELEASE_REVOKED', `the release was revoked (${row.revokedReason ?? 'revoked'}); the parcel may not be handed over`);
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
  if (!order || order.livemode !== auth.livemode || !auth.coversOrder('orders:read', { id: order.orderId, merchantId: order.merchantId }))
    throw notFound('Order', orderId);
  const [row] = await db
    .select()
    .from(releaseAuthorizations)
    .where(and(eq(releaseAuthorizations.orderId, orderId), eq(releaseAuthorizations.livemode, auth.livemode)))
    // The live one first (at most one per shipment); else the newest revoked one, to say why there is no code.
    .orderBy(sql`${releaseAuthorizations.status} = 'REVOKED'`, desc(releaseAuthorizations.createdAt))
    .limit(1);
  if (!row) throw notFound('ReleaseAuthorization', orderId);
  if (row.status !== 'ACTIVE')
    throw badUserInput('orderId', `the release is ${row.status === 'RELEASED' ? 'already authorized' : row.status}; its code is no longer usable`);
  return { release: row, ...(await revealCredentials(services, mutate, row)), expiresAt: row.expiresAt };
}

/** Opens the consumer's copy of an authorization's code and QR token; the reveal is audited (`release.code_revealed`). */
export async function revealCredentials(
  services: LogisticsServices,
  mutate: <T>(work: (uow: Uow) => Promise<T>) => Promise<T>,
  row: ReleaseAuthorizationRow,
  via: string | null = null,
): Promise<{ code: string; qrToken: string }> {
  const code = services.sealer.open(row.codeCiphertext, row.id);
  const qrToken = services.sealer.open(row.qrTokenCiphertext, row.id);
  await mutate(async (uow) => {
    uow.audit({
      action: 'release.code_revealed',
      entityType: 'ReleaseAuthorization',
      entityId: row.id,
      merchantId: row.merchantId,
      after: { orderId: row.orderId, shipmentId: row.shipmentId, ...(via ? { via } : {}) },
    });
  });
  return { code, qrToken };
}

/** A shipment's current authorization: the live one, else the newest revoked one (to say why there is no code). */
export async function currentReleaseOf(db: Db, shipmentId: string): Promise<ReleaseAuthorizationRow | null> {
  const [row] = await db
    .select()
    .from(releaseAuthorizations)
    .where(eq(releaseAuthorizations.shipmentId, shipmentId))
    .orderBy(sql`${releaseAuthorizations.status} = 'REVOKED'`, desc(releaseAuthorizations.createdAt))
    .limit(1);
  return row ?? null;
}

/** Whether the order is fully paid and not cancelled now, as the release rules decide it. */
export async function releasableNow(db: Db, orderId: string): Promise<{ fullyPaid: boolean; cancelled: boolean }> {
  const { payment } = await paymentStateOf(db, orderId);
  return { fullyPaid: payment.fullyPaid, cancelled: await orderCancelled(db, orderId) };
}

/**
 * A new release code for a shipment whose code is locked, expired or lost: the live authorization is revoked
 * (its code and QR token are dead) and a new one issued, in one audited transaction under the order's lock. Only
 * while the order is not cancelled and stays fully paid, never after the code was verified, at most 3 times per
 * shipment per hour. The merchant reads the new code with `releaseCode`.
 */
export async function reissueReleaseCode(
  db: Db,
  auth: Authorization,
  services: LogisticsServices,
  mutate: <T>(work: (uow: Uow) => Promise<T>) => Promise<T>,
  shipmentId: string,
): Promise<ReleaseAuthorizationRow> {
  const scope = auth.require('shipments:create');
  const inScope = scopeCondition(scope, auth.livemode, { merchantId: shipments.merchantId, livemode: shipments.livemode, carrierCode: shipments.carrierCode });
  const [shipment] = await db
    .select()
    .from(shipments)
    .where(and(eq(shipments.id, shipmentId), inScope));
  if (!shipment) throw notFound('Shipment', shipmentId);
  return mutate(async (uow) => {
    await lockOrder(uow.tx, shipment.orderId);
    const now = new Date();
    const [current] = await uow.tx
      .select()
      .from(releaseAuthorizations)
      .where(and(eq(releaseAuthorizations.shipmentId, shipment.id), live));
    const { payment } = await paymentStateOf(uow.tx, shipment.orderId);
    const policy = services.reissuePolicy;
    const recent = await uow.tx
      .select({ createdAt: releaseAuthorizations.createdAt })
      .from(releaseAuthorizations)
      .where(
        and(
          eq(releaseAuthorizations.shipmentId, shipment.id),
          isNotNull(releaseAuthorizations.reissueOf),
          gt(releaseAuthorizations.createdAt, new Date(now.getTime() - policy.windowSeconds * 1000)),
        ),
      );
    const decision = decideReissue({
      current: current ? { status: current.status, handedOver: current.handedOverAt !== null } : null,
      orderCancelled: await orderCancelled(uow.tx, shipment.orderId),
      payment,
      recentReissues: recent.map((r) => r.createdAt),
      now,
      policy,
    });
    if (!decision.ok) {
      throw domainError(decision.code, decision.message, decision.code === 'REISSUE_RATE_LIMITED' ? { retryAfterSeconds: decision.retryAfterSeconds } : {});
    }
    let previous: string | null;
    if (current) {
      if (!(await revokeInTx(uow, current, 'REISSUED', null, now))) throw domainError('CONFLICT', 'the release is being changed concurrently; try again');
      previous = current.id;
    } else {
      const [newest] = await uow.tx
        .select({ id: releaseAuthorizations.id })
        .from(releaseAuthorizations)
        .where(eq(releaseAuthorizations.shipmentId, shipment.id))
        .orderBy(desc(releaseAuthorizations.createdAt))
        .limit(1);
      previous = newest?.id ?? null;
    }
    const issued = await issueReleaseInTx(uow, services, shipment, now, previous);
    if (!issued) throw domainError('CONFLICT', 'the release is being changed concurrently; try again');
    return issued;
  });
}
