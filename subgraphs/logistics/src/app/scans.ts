import { and, eq, inArray } from 'drizzle-orm';
import { HttpError, readBody, sendJson, type Logger, type RouteHandler } from '@ipay/platform';
import { carrierScans, orderProjections, shipmentEventKeys, shipments, type CarrierScanRow, type ShipmentRow } from '../db/schema.ts';
import {
  applyScans,
  CarrierWebhookError,
  isWebhookCarrier,
  parseCarrierWebhook,
  type CarrierScan,
  type InboundWebhookRequest,
  type Scenario,
  type ScanType,
  type CarrierWebhookSecrets,
  type WebhookCarrier,
  type WebhookResponse,
} from '../domain/index.ts';
import type { LogisticsServices } from './services.ts';
import { ingestReturnScans } from './returns.ts';
import { runAsSystem, type Db } from './system.ts';

export const toCarrierScan = (row: CarrierScanRow): CarrierScan => ({
  carrierCode: row.carrierCode,
  trackingNumber: row.trackingNumber,
  carrierEventId: row.carrierEventId,
  type: row.type,
  occurredAt: row.occurredAt,
  carrierStatusCode: row.carrierStatusCode,
  description: row.description,
  location: row.location,
});

/** Nothing new in a delivery (all duplicates): roll back the empty transaction, audit nothing. */
class NothingNew extends Error {}

/**
 * Stores one shipment's incoming scans: under a row lock on the shipment (concurrent deliveries of one parcel
 * serialise), applyScans against what is stored; new scans are inserted (unique carrier event id), the status is
 * the fold, and carrier.out_for_delivery is emitted once per out-for-delivery scan (unique idempotency key).
 */
export async function storeScans(
  db: Db,
  carrier: string,
  shipmentId: string,
  incoming: CarrierScan[],
  requestId: string | null,
): Promise<{ stored: number; duplicates: number }> {
  const [head] = await db.select({ livemode: shipments.livemode }).from(shipments).where(eq(shipments.id, shipmentId));
  if (!head) return { stored: 0, duplicates: incoming.length };
  try {
    return await runAsSystem(
      db,
      `carrier:${carrier}`,
      head.livemode,
      async (uow) => {
        const [shipment] = await uow.tx.select().from(shipments).where(eq(shipments.id, shipmentId)).for('update');
        const known = (await uow.tx.select().from(carrierScans).where(eq(carrierScans.shipmentId, shipmentId))).map(toCarrierScan);
        const published = new Set(
          (await uow.tx.select({ key: shipmentEventKeys.key }).from(shipmentEventKeys).where(eq(shipmentEventKeys.shipmentId, shipmentId))).map((r) => r.key),
        );
        const applied = applyScans(known, incoming, { published });
        if (applied.newScans.length === 0) throw new NothingNew();
        await uow.tx
          .insert(carrierScans)
          .values(applied.newScans.map((s) => ({ shipmentId, ...s })))
          .onConflictDoNothing();
        await uow.tx.update(shipments).set({ status: applied.status, updatedAt: new Date() }).where(eq(shipments.id, shipmentId));
        let slug: string | null = null;
        for (const event of applied.events) {
          const [fresh] = await uow.tx.insert(shipmentEventKeys).values({ key: event.idempotencyKey, shipmentId }).onConflictDoNothing().returning();
          // Only carrier.out_for_delivery is in the event catalogue; the other transitions show in the status and timeline.
          if (!fresh || event.type !== 'carrier.out_for_delivery') continue;
          slug ??= await merchantSlug(uow.tx, shipment!);
          uow.emit({
            type: 'carrier.out_for_delivery',
            subjectId: shipmentId,
            merchantId: shipment!.merchantId,
            livemode: shipment!.livemode,
            carrierCode: shipment!.carrierCode,
            payload: {
              order_id: shipment!.orderId,
              merchant: slug,
              carrier: shipment!.carrierCode,
              shipment: { id: shipmentId, tracking_number: shipment!.trackingNumber, scanned_at: event.occurredAt.toISOString() },
            },
          });
        }
        uow.audit({
          action: 'shipment.scan',
          entityType: 'Shipment',
          entityId: shipmentId,
          merchantId: shipment!.merchantId,
          before: { status: applied.previousStatus },
          after: { status: applied.status, scans: applied.newScans.map((s) => `${s.type}@${s.occurredAt.toISOString()} (${s.carrierEventId})`) },
        });
        return { stored: applied.newScans.length, duplicates: applied.duplicates.length };
      },
      requestId,
    );
  } catch (error) {
    if (error instanceof NothingNew) return { stored: 0, duplicates: incoming.length };
    throw error;
  }
}

async function merchantSlug(tx: Db, shipment: ShipmentRow): Promise<string> {
  const [order] = await tx.select({ slug: orderProjections.merchantSlug }).from(orderProjections).where(eq(orderProjections.orderId, shipment.orderId));
  if (!order) throw new Error(`order ${shipment.orderId} of shipment ${shipment.id} has no projection`);
  return order.slug;
}

export interface WebhookOutcome {
  response: WebhookResponse;
  stored: number;
  duplicates: number;
  unknownTrackingNumbers: string[];
}

/** Authenticates, parses and stores one inbound carrier webhook; nothing of an unauthenticated or malformed request is stored. */
export async function ingestCarrierWebhook(
  db: Db,
  services: LogisticsServices,
  carrier: WebhookCarrier,
  request: InboundWebhookRequest,
  logger: Logger,
  requestId: string | null = null,
  realm: WebhookRealm = liveRealm(services),
): Promise<WebhookOutcome> {
  let parsed;
  try {
    parsed = parseCarrierWebhook(carrier, request, realm.secrets, new Date());
  } catch (error) {
    if (!(error instanceof CarrierWebhookError)) throw error;
    logger.warn({ carrier, code: error.code, reason: error.message }, 'refused a carrier webhook');
    const body = JSON.stringify({ error: error.code, message: error.message });
    return { response: { status: error.httpStatus, contentType: 'application/json', body }, stored: 0, duplicates: 0, unknownTrackingNumbers: [] };
  }
  const byTracking = new Map<string, CarrierScan[]>();
  for (const scan of parsed.scans) byTracking.set(scan.trackingNumber, [...(byTracking.get(scan.trackingNumber) ?? []), scan]);
  const found = byTracking.size
    ? await db
        .select({ id: shipments.id, trackingNumber: shipments.trackingNumber })
        .from(shipments)
        .where(
          and(
            eq(shipments.carrierCode, carrier),
            inArray(shipments.trackingNumber, [...byTracking.keys()]),
            realm.testModeOnly ? eq(shipments.livemode, false) : undefined,
          ),
        )
    : [];
  const idOf = new Map(found.map((s) => [s.trackingNumber, s.id]));
  let stored = 0;
  let duplicates = 0;
  let unknown: string[] = [];
  for (const [trackingNumber, scans] of byTracking) {
    const shipmentId = idOf.get(trackingNumber);
    if (!shipmentId) {
      // Not ours (or not yet): acknowledged so the carrier stops retrying; logged for support.
      unknown.push(trackingNumber);
      continue;
    }
    const result = await storeScans(db, carrier, shipmentId, scans, requestId);
    stored += result.stored;
    duplicates += result.duplicates;
  }
  // Not an outbound shipment: perhaps the return leg of one (src/app/returns.ts).
  const returned = await ingestReturnScans(db, carrier, new Map(unknown.map((t) => [t, byTracking.get(t)!])), requestId, realm.testModeOnly);
  stored += returned.stored;
  duplicates += returned.duplicates;
  unknown = unknown.filter((t) => !returned.known.has(t));
  if (unknown.length) logger.warn({ carrier, trackingNumbers: unknown }, 'carrier scans for unknown tracking numbers ignored');
  if (parsed.ignored.length) logger.info({ carrier, ignored: parsed.ignored }, 'carrier events that are not scans ignored');
  return { response: parsed.response, stored, duplicates, unknownTrackingNumbers: unknown };
}

/**
 * Which secrets a webhook route verifies with and which parcels it may touch. The live route uses the carriers'
 * configured secrets; the sandbox route (only while the sandbox runs) the sandbox's own, for test-mode parcels only,
 * so a simulated scan can never be accepted as a carrier's, nor move a live parcel.
 */
export interface WebhookRealm {
  secrets: CarrierWebhookSecrets;
  testModeOnly: boolean;
}

export const liveRealm = (services: LogisticsServices): WebhookRealm => ({ secrets: services.webhookSecrets, testModeOnly: false });

export const CARRIER_WEBHOOK_PREFIX = '/webhooks/carriers/';
/** Where the sandbox's simulated carriers post (longer than the live prefix, so it is matched first). */
export const SANDBOX_CARRIER_WEBHOOK_PREFIX = '/webhooks/carriers/sandbox/';
export const STORED_HEADER = 'x-ipay-scans-stored';
export const UNKNOWN_HEADER = 'x-ipay-unknown-tracking-numbers';

/** POST (DPD: GET) /webhooks/carriers/<code>: public, authenticated by each carrier's signature or shared secret. */
export function carrierWebhookRoute(
  db: Db,
  services: LogisticsServices,
  realm: WebhookRealm = liveRealm(services),
  prefix = CARRIER_WEBHOOK_PREFIX,
): RouteHandler {
  return async ({ req, res, requestId, logger }) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const carrier = decodeURIComponent(url.pathname.slice(prefix.length));
    if (!isWebhookCarrier(carrier)) throw new HttpError(404, `no webhook for carrier "${carrier}"`);
    if (req.method !== 'POST' && req.method !== 'GET') {
      sendJson(res, 405, { error: 'method not allowed' }, { allow: 'POST, GET' });
      return;
    }
    // The raw body: signatures are over the exact bytes.
    const rawBody = req.method === 'POST' ? await readBody(req) : '';
    const outcome = await ingestCarrierWebhook(
      db,
      services,
      carrier,
      { method: req.method, headers: req.headers, query: url.searchParams, rawBody },
      logger,
      requestId,
      realm,
    );
    res.writeHead(outcome.response.status, {
      'content-type': outcome.response.contentType,
      'content-length': Buffer.byteLength(outcome.response.body),
      // For our own simulator (carriers ignore it): what happened to the delivery.
      [STORED_HEADER]: String(outcome.stored),
      [UNKNOWN_HEADER]: outcome.unknownTrackingNumbers.join(','),
    });
    res.end(outcome.response.body);
  };
}

/** The simulator's target is not this subgraph's webhook route (configuration, not the caller's input). */
export class SimulatorTargetError extends Error {
  override readonly name = 'SimulatorTargetError';
}

export interface SimulatedDelivery {
  type: ScanType;
  occurredAt: Date;
  httpStatus: number;
}

/**
 * Sandbox: the carrier's signed requests for a journey (or one scan), sent to this subgraph's sandbox webhook route
 * (src/sandbox/webhook-simulator.ts). Refused when the sandbox is off.
 */
export async function simulateThroughWebhook(
  services: LogisticsServices,
  shipment: Pick<ShipmentRow, 'carrierCode' | 'trackingNumber'>,
  what: { scenario: Scenario } | { scan: ScanType },
): Promise<SimulatedDelivery[]> {
  if (!services.sandbox) throw new SimulatorTargetError('the carrier sandbox is off (CARRIER_SANDBOX), so there is no scan simulator');
  return services.sandbox.simulateThroughWebhook(services, shipment, what);
}
