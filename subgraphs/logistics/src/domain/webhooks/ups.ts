import type { ScanType } from '../scans.ts';
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
 * UPS Track Alert: UPS POSTs one JSON `TrackingEventRequest` per package event to the URL given at subscription.
 * UPS does not sign it; it sends back, in the `credential` header, the opaque credential we set in the subscription's
 * `destination.credential`, so that header is compared (constant time) with our configured secret.
 *
 * Payload fields used: trackingNumber, gmtActivityDate (YYYYMMDD) + gmtActivityTime (HHMMSS) for the scan time,
 * activityStatus.type / .code / .description, activityLocation, actualDeliveryDate.
 * Status types (UPS): M, MV manifest; I in progress; U update; X exception; D delivery information (loaded on vehicle,
 * out for delivery, delivered); P pickup; RS returned to shipper.
 */
export interface UpsWebhookConfig {
  /** The `destination.credential` of the Track Alert subscription. */
  credential: string;
}

const CARRIER = 'ups';

/** In-progress codes with a more specific meaning than "in transit". */
const UPS_IN_PROGRESS_CODES: Readonly<Record<string, ScanType>> = {
  OR: 'PICKED_UP', // origin scan: UPS has the package
  OT: 'OUT_FOR_DELIVERY',
};

/**
 * Exception codes UPS uses for a delivery attempt that did not succeed (receiver absent, business closed). Other
 * exceptions (address corrections, weather delays) do not change the status and are reported as ignored; extend this
 * table from UPS's status-code appendix as new codes are seen in the ignored log.
 */
export const UPS_FAILED_ATTEMPT_CODES: ReadonlySet<string> = new Set(['48', '4X', 'DA']);

function mapUps(type: string, code: string, delivered: boolean): ScanType | { ignore: string } {
  switch (type) {
    case 'M':
    case 'MV':
      return { ignore: 'manifest (label created); not a scan' };
    case 'P':
      return 'PICKED_UP';
    case 'I':
      return UPS_IN_PROGRESS_CODES[code] ?? 'IN_TRANSIT';
    case 'D':
      // Type D covers "loaded on vehicle" and "out for delivery" too; UPS fills actualDeliveryDate only on delivery.
      return delivered ? 'DELIVERED' : 'OUT_FOR_DELIVERY';
    case 'X':
      return UPS_FAILED_ATTEMPT_CODES.has(code) ? 'DELIVERY_ATTEMPT_FAILED' : { ignore: `exception ${code} does not change the status` };
    case 'RS':
      return 'RETURNED_TO_SENDER';
    case 'U':
      return { ignore: 'update (e.g. new scheduled delivery date); not a scan' };
    default:
      return { ignore: `unknown UPS status type ${type}` };
  }
}

function gmtInstant(date: string, time: string): Date | null {
  const d = /^(\d{4})(\d{2})(\d{2})$/.exec(date);
  const t = /^(\d{2})(\d{2})(\d{2})$/.exec(time);
  if (!d || !t) return null;
  const [y, mo, da, h, mi, s] = [d[1], d[2], d[3], t[1], t[2], t[3]].map(Number) as [number, number, number, number, number, number];
  const instant = new Date(Date.UTC(y, mo - 1, da, h, mi, s));
  if (instant.getUTCMonth() !== mo - 1 || instant.getUTCDate() !== da || h > 23 || mi > 59 || s > 59) return null;
  return instant;
}

export function parseUpsWebhook(request: InboundWebhookRequest, config: UpsWebhookConfig): ParsedWebhook {
  const expected = requireSecret(CARRIER, config.credential, 'credential');
  checkSharedSecret(CARRIER, headerValue(CARRIER, request, 'credential'), expected, 'header "credential"');

  const r: Reader = new Reader(CARRIER);
  const body = r.object(parseJsonBody(CARRIER, request), 'body');
  const trackingNumber = r.trackingNumber(body.trackingNumber, 'trackingNumber');
  const status = r.object(body.activityStatus, 'activityStatus');
  const type = r.string(status.type, 'activityStatus.type').toUpperCase();
  const code = r.optionalString(status.code, 'activityStatus.code')?.toUpperCase() ?? '';
  const gmtDate = r.string(body.gmtActivityDate, 'gmtActivityDate');
  const gmtTime = r.string(body.gmtActivityTime, 'gmtActivityTime');
  const occurredAt = gmtInstant(gmtDate, gmtTime);
  if (!occurredAt) r.fail('gmtActivityDate', `"${gmtDate}" "${gmtTime}" is not a GMT date and time (YYYYMMDD, HHMMSS)`);
  const delivered = r.optionalString(body.actualDeliveryDate, 'actualDeliveryDate') !== null;
  const location = r.optionalObject(body.activityLocation, 'activityLocation');
  const where = location
    ? [location.city, location.stateProvince, location.country].filter((p): p is string => typeof p === 'string' && p.trim() !== '').join(', ')
    : '';

  const carrierStatusCode = code ? `${type}/${code}` : type;
  const mapped = mapUps(type, code, delivered);
  const ignored: IgnoredCarrierEvent[] = [];
  const scans = [];
  if (typeof mapped === 'string') {
    scans.push(
      scan({
        carrierCode: CARRIER,
        trackingNumber,
        type: mapped,
        occurredAt,
        carrierStatusCode,
        description: r.optionalString(status.description, 'activityStatus.description'),
        location: where || null,
      }),
    );
  } else {
    ignored.push({ trackingNumber, carrierStatusCode, reason: mapped.ignore });
  }
  return { carrierCode: CARRIER, scans, ignored, response: ACK_JSON };
}
