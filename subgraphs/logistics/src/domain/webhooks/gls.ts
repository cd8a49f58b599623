import { parseInstantWithOffset } from '../time.ts';
import type { CarrierScan, ScanType } from '../scans.ts';
import {
  ACK_JSON,
  checkSharedSecret,
  headerValue,
  parseJsonBody,
  Reader,
  requireSecret,
  scan,
  type IgnoredCarrierEvent,
  type InboundWebhookRequest,
  type ParsedWebhook,
} from './common.ts';

/**
 * GLS parcel status push: `{ parcelNumber, events: [{ eventCode, timestamp, description?, location?, country? }] }`,
 * with the status codes of GLS Track & Trace (PREADVICE, INPICKUP, INTRANSIT, INWAREHOUSE, INDELIVERY, DELIVERED,
 * DELIVEREDPS, NOTDELIVERED, …) and ISO 8601 timestamps with offset.
 *
 * GLS does not sign pushes, so the push carries our shared secret in the `x-ipay-webhook-token` header, compared in
 * constant time.
 */
export interface GlsWebhookConfig {
  token: string;
}

const CARRIER = 'gls';
export const GLS_TOKEN_HEADER = 'x-ipay-webhook-token';

const STATUS: Readonly<Record<string, ScanType | { ignore: string }>> = {
  PREADVICE: { ignore: 'parcel data received; not a scan' },
  PLANNEDPICKUP: { ignore: 'pick-up planned; not a scan' },
  INPICKUP: 'PICKED_UP',
  INTRANSIT: 'IN_TRANSIT',
  INWAREHOUSE: 'IN_TRANSIT',
  INDELIVERY: 'OUT_FOR_DELIVERY',
  // Delivered to a GLS ParcelShop, waiting there for the consumer.
  DELIVEREDPS: 'OUT_FOR_DELIVERY',
  DELIVERED: 'DELIVERED',
  NOTDELIVERED: 'DELIVERY_ATTEMPT_FAILED',
  NOTPICKEDUP: 'RETURNED_TO_SENDER',
  RETURNED: 'RETURNED_TO_SENDER',
  CANCELED: { ignore: 'cancelled by the shipper' },
  FINAL: { ignore: 'final (closing) status; not a scan' },
};

export function parseGlsWebhook(request: InboundWebhookRequest, config: GlsWebhookConfig): ParsedWebhook {
  const expected = requireSecret(CARRIER, config.token, 'token');
  checkSharedSecret(CARRIER, headerValue(CARRIER, request, GLS_TOKEN_HEADER), expected, `header "${GLS_TOKEN_HEADER}"`);

  const r: Reader = new Reader(CARRIER);
  const body = r.object(parseJsonBody(CARRIER, request), 'body');
  const trackingNumber = r.trackingNumber(body.parcelNumber, 'parcelNumber');
  const events = r.array(body.events, 'events');
  if (events.length === 0) r.fail('events', 'must not be empty');
  const scans: CarrierScan[] = [];
  const ignored: IgnoredCarrierEvent[] = [];
  events.forEach((raw, i) => {
    const path = `events[${i}]`;
    const event = r.object(raw, path);
    const code = r.string(event.eventCode, `${path}.eventCode`).toUpperCase();
    const occurredAt = r.instant(event.timestamp, `${path}.timestamp`, parseInstantWithOffset, 'ISO 8601 with offset');
    const mapped = STATUS[code] ?? { ignore: `unknown GLS status ${code}` };
    if (typeof mapped !== 'string') {
      ignored.push({ trackingNumber, carrierStatusCode: code, reason: mapped.ignore });
      return;
    }
    const place = [r.optionalString(event.location, `${path}.location`), r.optionalString(event.country, `${path}.country`)].filter(Boolean);
    scans.push(
      scan({
        carrierCode: CARRIER,
        trackingNumber,
        type: mapped,
        occurredAt,
        carrierStatusCode: code,
        description: r.optionalString(event.description, `${path}.description`),
        location: place.length > 0 ? place.join(', ') : null,
      }),
    );
  });
  return { carrierCode: CARRIER, scans, ignored, response: ACK_JSON };
}
