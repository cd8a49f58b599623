import { parseInstantWithOffset } from '../time.ts';
import type { ScanType } from '../scans.ts';
import {
  ACK_JSON,
  constantTimeEqual,
  headerValue,
  hmacSha256,
  parseJsonBody,
  rawBodyBuffer,
  Reader,
  requireSecret,
  scan,
  WebhookAuthenticationError,
  type IgnoredCarrierEvent,
  type InboundWebhookRequest,
  type ParsedWebhook,
} from './common.ts';

/**
 * InPost ShipX status webhook: `{ event_ts: "2024-05-02 10:11:12 +0200", event: "shipment_status_changed",
 * organization_id, payload: { shipment_id, status, tracking_number } }`.
 *
 * InPost signs: `x-inpost-signature` is Base64(HMAC-SHA256(secret, content)) where the content is, as configured for
 * the client, `${x-inpost-timestamp}.${raw body}` or the raw body alone. The HMAC is computed over the raw bytes
 * (re-serialised JSON would not match), compared in constant time, and a timestamp outside the tolerance is refused so
 * that a captured request cannot be replayed later.
 */
export interface InpostWebhookConfig {
  secret: string;
  signedContent?: 'TIMESTAMP_AND_BODY' | 'BODY';
  /** How far x-inpost-timestamp may be from now; default 300 s. */
  toleranceSeconds?: number;
}

const CARRIER = 'inpost';
export const INPOST_SIGNATURE_HEADER = 'x-inpost-signature';
export const INPOST_TIMESTAMP_HEADER = 'x-inpost-timestamp';

const STATUS: Readonly<Record<string, ScanType | { ignore: string }>> = {
  created: { ignore: 'shipment created; not a scan' },
  offers_prepared: { ignore: 'offers prepared; not a scan' },
  offer_selected: { ignore: 'offer selected; not a scan' },
  confirmed: { ignore: 'label created; not a scan' },
  dispatched_by_sender: 'PICKED_UP',
  dispatched_by_sender_to_pok: 'PICKED_UP',
  collected_from_sender: 'PICKED_UP',
  taken_by_courier: 'PICKED_UP',
  taken_by_courier_from_pok: 'PICKED_UP',
  adopted_at_source_branch: 'IN_TRANSIT',
  sent_from_source_branch: 'IN_TRANSIT',
  adopted_at_sorting_center: 'IN_TRANSIT',
  sent_from_sorting_center: 'IN_TRANSIT',
  adopted_at_target_branch: 'IN_TRANSIT',
  readdressed: 'IN_TRANSIT',
  redirect_to_box: 'IN_TRANSIT',
  delay_in_delivery: { ignore: 'delay notice; not a scan' },
  out_for_delivery: 'OUT_FOR_DELIVERY',
  out_for_delivery_to_address: 'OUT_FOR_DELIVERY',
  // In the locker or at the point, waiting for the consumer.
  ready_to_pickup: 'OUT_FOR_DELIVERY',
  ready_to_pickup_from_pok: 'OUT_FOR_DELIVERY',
  ready_to_pickup_from_branch: 'OUT_FOR_DELIVERY',
  pickup_reminder_sent: { ignore: 'pick-up reminder sent to the consumer' },
  avizo: 'DELIVERY_ATTEMPT_FAILED',
  undelivered: 'DELIVERY_ATTEMPT_FAILED',
  undelivered_wrong_address: 'DELIVERY_ATTEMPT_FAILED',
  undelivered_incomplete_address: 'DELIVERY_ATTEMPT_FAILED',
  undelivered_unknown_receiver: 'DELIVERY_ATTEMPT_FAILED',
  undelivered_no_mailbox: 'DELIVERY_ATTEMPT_FAILED',
  undelivered_not_live_address: 'DELIVERY_ATTEMPT_FAILED',
  undelivered_lack_of_access_letterbox: 'DELIVERY_ATTEMPT_FAILED',
  rejected_by_receiver: 'DELIVERY_ATTEMPT_FAILED',
  pickup_time_expired: 'DELIVERY_ATTEMPT_FAILED',
  delivered: 'DELIVERED',
  returned_to_sender: 'RETURNED_TO_SENDER',
  canceled: { ignore: 'shipment cancelled' },
  missing: { ignore: 'parcel reported missing' },
  other: { ignore: 'other status' },
};

function signedContent(timestamp: string, rawBody: Buffer, mode: InpostWebhookConfig['signedContent']): Buffer {
  return mode === 'BODY' ? rawBody : Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), rawBody]);
}

/** The signature InPost would send for a body and timestamp (the sandbox simulator signs with it). */
export function inpostSignature(rawBody: string | Buffer, timestamp: string, config: InpostWebhookConfig): string {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  return hmacSha256(requireSecret(CARRIER, config.secret, 'secret'), signedContent(timestamp, body, config.signedContent)).toString('base64');
}

export function parseInpostWebhook(request: InboundWebhookRequest, config: InpostWebhookConfig, now: Date): ParsedWebhook {
  const secret = requireSecret(CARRIER, config.secret, 'secret');
  const signature = headerValue(CARRIER, request, INPOST_SIGNATURE_HEADER);
  if (!signature) throw new WebhookAuthenticationError(CARRIER, 'MISSING_SIGNATURE', `header "${INPOST_SIGNATURE_HEADER}" is missing`);
  const timestampSigned = config.signedContent !== 'BODY';
  const timestamp = headerValue(CARRIER, request, INPOST_TIMESTAMP_HEADER) ?? '';
  if (timestampSigned && !timestamp) throw new WebhookAuthenticationError(CARRIER, 'MISSING_SIGNATURE', `header "${INPOST_TIMESTAMP_HEADER}" is missing`);

  const rawBody = rawBodyBuffer(request);
  const expected = hmacSha256(secret, signedContent(timestamp, rawBody, config.signedContent));
  const presented = Buffer.from(signature.trim(), 'base64');
  if (!constantTimeEqual(presented, expected)) throw new WebhookAuthenticationError(CARRIER, 'BAD_SIGNATURE', 'signature does not match the body');
  // Only a signed timestamp proves freshness; when the body alone is signed, a replay is caught by de-duplication.
  if (timestampSigned) {
    const sentAt = Date.parse(timestamp);
    const tolerance = (config.toleranceSeconds ?? 300) * 1000;
    if (Number.isNaN(sentAt) || Math.abs(now.getTime() - sentAt) > tolerance) {
      throw new WebhookAuthenticationError(CARRIER, 'STALE_TIMESTAMP', `timestamp "${timestamp}" is not within ${tolerance / 1000} s of now`);
    }
  }

  const r: Reader = new Reader(CARRIER);
  const body = r.object(parseJsonBody(CARRIER, request), 'body');
  const event = r.string(body.event, 'event');
  if (event !== 'shipment_status_changed') {
    return {
      carrierCode: CARRIER,
      scans: [],
      ignored: [{ trackingNumber: null, carrierStatusCode: event, reason: `event ${event} is not a status change` }],
      response: ACK_JSON,
    };
  }
  const occurredAt = r.instant(body.event_ts, 'event_ts', parseInstantWithOffset, 'YYYY-MM-DD HH:mm:ss +HHMM');
  const payload = r.object(body.payload, 'payload');
  const trackingNumber = r.trackingNumber(payload.tracking_number, 'payload.tracking_number');
  const status = r.string(payload.status, 'payload.status').toLowerCase();
  const mapped = STATUS[status] ?? { ignore: `unknown InPost status ${status}` };
  const ignored: IgnoredCarrierEvent[] = [];
  const scans = [];
  if (typeof mapped === 'string') scans.push(scan({ carrierCode: CARRIER, trackingNumber, type: mapped, occurredAt, carrierStatusCode: status }));
  else ignored.push({ trackingNumber, carrierStatusCode: status, reason: mapped.ignore });
  return { carrierCode: CARRIER, scans, ignored, response: ACK_JSON };
}
