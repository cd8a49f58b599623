import { zonedTimeToInstant } from '../time.ts';
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
 * PostNL status updates, in the record shape of PostNL's Shippingstatus API:
 * `{ Shipments: [{ Barcode, Status: { TimeStamp, StatusCode, StatusDescription, PhaseCode, PhaseDescription },
 * Event?: { Code, Description } }] }`. TimeStamp is "dd-MM-yyyy HH:mm:ss", Dutch local time.
 *
 * PostNL publishes no signing scheme for status pushes, so the push carries our shared secret in the
 * `x-ipay-webhook-token` header, compared in constant time.
 *
 * Status codes (PostNL T&T): 1, 13, 14 pre-alerted; 2 accepted, 3 collected; 4 not collected; 5 sorted,
 * 6 not sorted, 9 at customs, 20 in clearance, 21 in storage; 7 out for delivery; 8 not delivered;
 * 11 delivered (event J63/I07: a return delivered back to the sender); 12 at pick-up location; 22 picked up from post
 * office, 23 collected; 15–19 missing or rejected; 99 not applicable.
 */
export interface PostnlWebhookConfig {
  token: string;
}

const CARRIER = 'postnl';
export const POSTNL_TOKEN_HEADER = 'x-ipay-webhook-token';

const STATUS: Readonly<Record<string, ScanType | { ignore: string }>> = {
  '1': { ignore: 'pre-alerted; not a scan' },
  '13': { ignore: 'pre-alerted, not yet accepted; not a scan' },
  '14': { ignore: 'pre-alerted, never accepted' },
  '2': 'PICKED_UP',
  '3': 'PICKED_UP',
  '4': { ignore: 'not collected from the sender' },
  '5': 'IN_TRANSIT',
  '6': 'IN_TRANSIT',
  '9': 'IN_TRANSIT',
  '20': 'IN_TRANSIT',
  '21': 'IN_TRANSIT',
  '7': 'OUT_FOR_DELIVERY',
  '8': 'DELIVERY_ATTEMPT_FAILED',
  '11': 'DELIVERED',
  // At a pick-up location the parcel waits for the consumer: the last mile, like a van on its round.
  '12': 'OUT_FOR_DELIVERY',
  '22': 'DELIVERED',
  '23': 'DELIVERED',
  '15': { ignore: 'missing in collection' },
  '16': { ignore: 'missing in sorting' },
  '17': { ignore: 'missing in distribution' },
  '18': { ignore: 'definitely missing' },
  '19': { ignore: 'rejected' },
  '99': { ignore: 'not applicable' },
};

/** Status 11 events that are a return arriving back at the sender, not a delivery to the consumer. */
export const POSTNL_RETURN_DELIVERED_EVENTS: ReadonlySet<string> = new Set(['J63', 'I07']);

function postnlInstant(value: string): Date | null {
  const m = /^(\d{2})-(\d{2})-(\d{4}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  return zonedTimeToInstant(
    { day: Number(m[1]), month: Number(m[2]), year: Number(m[3]), hour: Number(m[4]), minute: Number(m[5]), second: Number(m[6]) },
    'Europe/Amsterdam',
  );
}

export function parsePostnlWebhook(request: InboundWebhookRequest, config: PostnlWebhookConfig): ParsedWebhook {
  const expected = requireSecret(CARRIER, config.token, 'token');
  checkSharedSecret(CARRIER, headerValue(CARRIER, request, POSTNL_TOKEN_HEADER), expected, `header "${POSTNL_TOKEN_HEADER}"`);

  const r: Reader = new Reader(CARRIER);
  const body = r.object(parseJsonBody(CARRIER, request), 'body');
  const shipments = r.array(body.Shipments, 'Shipments');
  if (shipments.length === 0) r.fail('Shipments', 'must not be empty');
  const scans: CarrierScan[] = [];
  const ignored: IgnoredCarrierEvent[] = [];
  shipments.forEach((raw, i) => {
    const path = `Shipments[${i}]`;
    const shipment = r.object(raw, path);
    const trackingNumber = r.trackingNumber(shipment.Barcode, `${path}.Barcode`);
    const status = r.object(shipment.Status, `${path}.Status`);
    const statusCode = r.string(status.StatusCode, `${path}.Status.StatusCode`);
    const occurredAt = r.instant(status.TimeStamp, `${path}.Status.TimeStamp`, postnlInstant, 'dd-MM-yyyy HH:mm:ss');
    const event = r.optionalObject(shipment.Event, `${path}.Event`);
    const eventCode = event ? r.string(event.Code, `${path}.Event.Code`).toUpperCase() : null;
    const carrierStatusCode = eventCode ? `${statusCode}/${eventCode}` : statusCode;
    let mapped = STATUS[statusCode] ?? { ignore: `unknown PostNL status code ${statusCode}` };
    if (statusCode === '11' && eventCode && POSTNL_RETURN_DELIVERED_EVENTS.has(eventCode)) mapped = 'RETURNED_TO_SENDER';
    if (typeof mapped !== 'string') {
      ignored.push({ trackingNumber, carrierStatusCode, reason: mapped.ignore });
      return;
    }
    scans.push(
      scan({
        carrierCode: CARRIER,
        trackingNumber,
        type: mapped,
        occurredAt,
        carrierStatusCode,
        description:
          (event ? r.optionalString(event.Description, `${path}.Event.Description`) : null) ??
          r.optionalString(status.StatusDescription, `${path}.Status.StatusDescription`),
        location: r.optionalString(status.PhaseDescription, `${path}.Status.PhaseDescription`),
      }),
    );
  });
  return { carrierCode: CARRIER, scans, ignored, response: ACK_JSON };
}
