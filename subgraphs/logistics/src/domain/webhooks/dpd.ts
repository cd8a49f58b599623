import { zonedTimeToInstant } from '../time.ts';
import type { ScanType } from '../scans.ts';
import {
  checkSharedSecret,
  MalformedPayloadError,
  queryValue,
  requireSecret,
  scan,
  type IgnoredCarrierEvent,
  type InboundWebhookRequest,
  type ParsedWebhook,
} from './common.ts';

/**
 * DPD Tracking Push Service: for each scan DPD calls the URL registered for the customer with query parameters
 * `pushid` (record id, to be echoed), `pnr` (parcel number), `status`, `statusdate` (ddMMyyyyHHmmss, German local
 * time) and optionally `depot`, `ref`, `receiver`, `services`, `pod`, `weight`. It expects
 * `<push><pushid>…</pushid><status>OK</status></push>` back and re-sends until it gets it.
 *
 * DPD neither signs pushes nor sends custom headers, so the shared secret is a `token` parameter we put in the
 * registered URL, compared in constant time.
 */
export interface DpdWebhookConfig {
  token: string;
}

const CARRIER = 'dpd';
export const DPD_TOKEN_PARAMETER = 'token';

const STATUS: Readonly<Record<string, ScanType | { ignore: string }>> = {
  start_order: { ignore: 'order data received; not a scan' },
  pickup_driver: 'PICKED_UP',
  pickup_depot: 'IN_TRANSIT',
  delivery_depot: 'IN_TRANSIT',
  delivery_nab: 'IN_TRANSIT',
  delivery_carload: 'OUT_FOR_DELIVERY',
  // The driver could not deliver and left a notification.
  delivery_notification: 'DELIVERY_ATTEMPT_FAILED',
  delivery_customer: 'DELIVERED',
  // In a DPD Pickup parcelshop, waiting for the consumer.
  delivery_shop: 'OUT_FOR_DELIVERY',
  pickup_by_consignee: 'DELIVERED',
  error_pickup: { ignore: 'pick-up from the sender failed' },
  error_return: 'RETURNED_TO_SENDER',
  no_pickup_by_consignee: 'RETURNED_TO_SENDER',
};

function dpdInstant(value: string): Date | null {
  const m = /^(\d{2})(\d{2})(\d{4})(\d{2})(\d{2})(\d{2})$/.exec(value);
  if (!m) return null;
  return zonedTimeToInstant(
    { day: Number(m[1]), month: Number(m[2]), year: Number(m[3]), hour: Number(m[4]), minute: Number(m[5]), second: Number(m[6]) },
    'Europe/Berlin',
  );
}

export function dpdAcknowledgement(pushId: string): string {
  return `<push><pushid>${pushId}</pushid><status>OK</status></push>`;
}

export function parseDpdWebhook(request: InboundWebhookRequest, config: DpdWebhookConfig): ParsedWebhook {
  const expected = requireSecret(CARRIER, config.token, 'token');
  checkSharedSecret(CARRIER, queryValue(CARRIER, request, DPD_TOKEN_PARAMETER), expected, `parameter "${DPD_TOKEN_PARAMETER}"`);

  const required = (name: string): string => {
    const value = queryValue(CARRIER, request, name)?.trim();
    if (!value) throw new MalformedPayloadError(CARRIER, name, 'is missing');
    return value;
  };
  const pushId = required('pushid');
  // Echoed into XML, so it must be exactly what DPD sends: digits.
  if (!/^\d{1,20}$/.test(pushId)) throw new MalformedPayloadError(CARRIER, 'pushid', `"${pushId}" is not a DPD push id (digits)`);
  const trackingNumber = required('pnr').replace(/\s/g, '').toUpperCase();
  if (!/^[A-Z0-9]{8,28}$/.test(trackingNumber)) throw new MalformedPayloadError(CARRIER, 'pnr', `"${trackingNumber}" is not a DPD parcel number`);
  const status = required('status').toLowerCase();
  const statusDate = required('statusdate');
  const occurredAt = dpdInstant(statusDate);
  if (!occurredAt) throw new MalformedPayloadError(CARRIER, 'statusdate', `"${statusDate}" is not a date and time (ddMMyyyyHHmmss)`);
  const depot = queryValue(CARRIER, request, 'depot')?.trim() || null;

  const mapped = STATUS[status] ?? { ignore: `unknown DPD status ${status}` };
  const ignored: IgnoredCarrierEvent[] = [];
  const scans = [];
  if (typeof mapped === 'string') {
    scans.push(scan({ carrierCode: CARRIER, trackingNumber, type: mapped, occurredAt, carrierStatusCode: status, location: depot ? `depot ${depot}` : null }));
  } else {
    ignored.push({ trackingNumber, carrierStatusCode: status, reason: mapped.ignore });
  }
  return { carrierCode: CARRIER, scans, ignored, response: { status: 200, contentType: 'application/xml', body: dpdAcknowledgement(pushId) } };
}
