import { parseInstant } from '../time.ts';
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
 * DHL Shipment Tracking – Unified – Push: DHL POSTs the shape of the Unified Tracking API response,
 * `{ shipments: [{ id, service, status, events: [{ timestamp, statusCode, status, description, location }] }] }`.
 * DHL does not sign pushes; the subscription's `hook.authentication` (type ApiKeyAuthentication) names a header and a
 * token DHL sends with every push, and that header is compared (constant time) with our configured token.
 *
 * Unified status codes are coarse (pre-transit, transit, delivered, failure, unknown); the finer `statusDetail`
 * (when DHL provides one) tells pick-up, out for delivery, a failed attempt and a return apart. Timestamps without an
 * offset are local time of the DHL division (Europe/Berlin unless configured).
 */
export interface DhlWebhookConfig {
  /** The header named in the subscription's ApiKeyAuthentication. */
  headerName: string;
  token: string;
  /** Zone of timestamps that carry no offset. */
  defaultTimeZone?: string;
}

const CARRIER = 'dhl';

const DETAIL: Readonly<Record<string, ScanType>> = {
  'picked-up': 'PICKED_UP',
  pickup: 'PICKED_UP',
  'out-for-delivery': 'OUT_FOR_DELIVERY',
  'ready-for-pickup': 'OUT_FOR_DELIVERY',
  'delivery-attempt-failed': 'DELIVERY_ATTEMPT_FAILED',
  'failed-attempt': 'DELIVERY_ATTEMPT_FAILED',
  returned: 'RETURNED_TO_SENDER',
  'returned-to-sender': 'RETURNED_TO_SENDER',
};

function mapDhl(statusCode: string, detail: string | null): ScanType | { ignore: string } {
  const fromDetail = detail ? DETAIL[detail] : undefined;
  switch (statusCode) {
    case 'pre-transit':
      return { ignore: 'pre-transit (shipment data received); not a scan' };
    case 'transit':
      return fromDetail ?? 'IN_TRANSIT';
    case 'delivered':
      return 'DELIVERED';
    case 'failure':
      return fromDetail ?? { ignore: `failure without a known detail (${detail ?? 'none'}) does not change the status` };
    case 'unknown':
      return { ignore: 'status unknown to DHL' };
    default:
      return { ignore: `unknown DHL status code ${statusCode}` };
  }
}

export function parseDhlWebhook(request: InboundWebhookRequest, config: DhlWebhookConfig): ParsedWebhook {
  const expected = requireSecret(CARRIER, config.token, 'token');
  if (!config.headerName) throw new Error('dhl webhook headerName is not configured');
  checkSharedSecret(CARRIER, headerValue(CARRIER, request, config.headerName), expected, `header "${config.headerName}"`);
  const zone = config.defaultTimeZone ?? 'Europe/Berlin';

  const r: Reader = new Reader(CARRIER);
  const body = r.object(parseJsonBody(CARRIER, request), 'body');
  const shipments = r.array(body.shipments, 'shipments');
  if (shipments.length === 0) r.fail('shipments', 'must not be empty');
  const scans: CarrierScan[] = [];
  const ignored: IgnoredCarrierEvent[] = [];
  shipments.forEach((raw, i) => {
    const path = `shipments[${i}]`;
    const shipment = r.object(raw, path);
    const trackingNumber = r.trackingNumber(shipment.id, `${path}.id`);
    // Older pushes carry only the latest status.
    const events = shipment.events === undefined ? [shipment.status] : r.array(shipment.events, `${path}.events`);
    events.forEach((rawEvent, j) => {
      const epath = shipment.events === undefined ? `${path}.status` : `${path}.events[${j}]`;
      const event = r.object(rawEvent, epath);
      const statusCode = r.string(event.statusCode, `${epath}.statusCode`).toLowerCase();
      const detail = r.optionalString(event.statusDetail, `${epath}.statusDetail`)?.toLowerCase() ?? null;
      const occurredAt = r.instant(event.timestamp, `${epath}.timestamp`, (s) => parseInstant(s, zone), 'ISO 8601');
      const carrierStatusCode = detail ? `${statusCode}/${detail}` : statusCode;
      const mapped = mapDhl(statusCode, detail);
      if (typeof mapped !== 'string') {
        ignored.push({ trackingNumber, carrierStatusCode, reason: mapped.ignore });
        return;
      }
      const address = r.optionalObject(r.optionalObject(event.location, `${epath}.location`)?.address, `${epath}.location.address`);
      const location = address
        ? [address.addressLocality, address.countryCode].filter((p): p is string => typeof p === 'string' && p.trim() !== '').join(', ')
        : '';
      scans.push(
        scan({
          carrierCode: CARRIER,
          trackingNumber,
          type: mapped,
          occurredAt,
          carrierStatusCode,
          description: r.optionalString(event.description, `${epath}.description`) ?? r.optionalString(event.status, `${epath}.status`),
          location: location || null,
        }),
      );
    });
  });
  return { carrierCode: CARRIER, scans, ignored, response: ACK_JSON };
}
