import { createHash } from 'node:crypto';
import type { CarrierWebhookSecrets, WebhookCarrier } from '../domain/carrier-webhooks.ts';
import { SCENARIOS, type Scenario, type ScanType } from '../domain/scans.ts';
import { pad2, toZonedParts } from '../domain/time.ts';
import type { InboundWebhookRequest } from '../domain/webhooks/common.ts';
import { DPD_TOKEN_PARAMETER } from '../domain/webhooks/dpd.ts';
import { GLS_TOKEN_HEADER } from '../domain/webhooks/gls.ts';
import { INPOST_SIGNATURE_HEADER, INPOST_TIMESTAMP_HEADER, inpostSignature } from '../domain/webhooks/inpost.ts';
import { POSTNL_TOKEN_HEADER } from '../domain/webhooks/postnl.ts';

/**
 * Sandbox scan simulator: the webhook requests a carrier would send for a parcel's journey, in that carrier's payload
 * shape and authenticated the way the carrier authenticates, so that sandbox runs and tests go through the real
 * parsers. Times are realistic (pick-up, line haul, a morning delivery round, a second attempt the next day, a return
 * after the holding period) and deterministic for a given start.
 */

export { SCENARIOS, type Scenario };

interface Step {
  type: ScanType;
  /** Minutes after the start. */
  at: number;
  /** Which of the carrier's codes for this scan type (hub arrival vs departure). */
  variant?: number;
}

const H = 60;
const JOURNEYS: Record<Scenario, Step[]> = {
  HAPPY_PATH: [
    { type: 'PICKED_UP', at: 0 },
    { type: 'IN_TRANSIT', at: 4 * H + 12 },
    { type: 'IN_TRANSIT', at: 10 * H + 41, variant: 1 },
    { type: 'OUT_FOR_DELIVERY', at: 21 * H + 5 },
    { type: 'DELIVERED', at: 24 * H + 37 },
  ],
  FAILED_ATTEMPT_THEN_DELIVERED: [
    { type: 'PICKED_UP', at: 0 },
    { type: 'IN_TRANSIT', at: 4 * H + 12 },
    { type: 'OUT_FOR_DELIVERY', at: 21 * H + 5 },
    { type: 'DELIVERY_ATTEMPT_FAILED', at: 23 * H + 48 },
    { type: 'IN_TRANSIT', at: 27 * H + 30, variant: 1 },
    { type: 'OUT_FOR_DELIVERY', at: 45 * H + 2 },
    { type: 'DELIVERED', at: 47 * H + 19 },
  ],
  RETURNED_TO_SENDER: [
    { type: 'PICKED_UP', at: 0 },
    { type: 'IN_TRANSIT', at: 4 * H + 12 },
    { type: 'OUT_FOR_DELIVERY', at: 21 * H + 5 },
    { type: 'DELIVERY_ATTEMPT_FAILED', at: 23 * H + 48 },
    { type: 'OUT_FOR_DELIVERY', at: 45 * H + 2 },
    { type: 'DELIVERY_ATTEMPT_FAILED', at: 46 * H + 33 },
    { type: 'RETURNED_TO_SENDER', at: 7 * 24 * H + 15 },
  ],
};

export interface SimulatedWebhook {
  carrier: WebhookCarrier;
  /** What the parser should read from the request. */
  expected: { type: ScanType; occurredAt: Date };
  /** When the carrier sends it (pass as `now` to the parser). */
  sentAt: Date;
  request: InboundWebhookRequest;
}

export interface SimulationOptions {
  carrier: WebhookCarrier;
  trackingNumber: string;
  scenario: Scenario;
  /** Time of the pick-up scan; truncated to whole seconds (carrier formats carry no milliseconds). */
  start: Date;
  secrets: CarrierWebhookSecrets;
  /** Seconds between the scan and its push; default 45. */
  pushDelaySeconds?: number;
}

const json = (value: unknown): string => JSON.stringify(value);

function isoWithOffset(at: Date, timeZone: string): string {
  const p = toZonedParts(at, timeZone);
  const offsetMin = Math.round((Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - at.getTime()) / 60_000);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${p.year}-${pad2(p.month)}-${pad2(p.day)}T${pad2(p.hour)}:${pad2(p.minute)}:${pad2(p.second)}${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

type Encoder = (o: SimulationOptions, step: Step, at: Date, sentAt: Date, seq: number) => InboundWebhookRequest;

const post = (headers: Record<string, string>, body: string): InboundWebhookRequest => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  query: {},
  rawBody: body,
});

const UPS_CODES: Record<ScanType, [type: string, code: string, description: string][]> = {
  PICKED_UP: [['I', 'OR', 'Origin Scan']],
  IN_TRANSIT: [
    ['I', 'DP', 'Departed from Facility'],
    ['I', 'AR', 'Arrived at Facility'],
  ],
  OUT_FOR_DELIVERY: [['I', 'OT', 'Out For Delivery Today']],
  DELIVERY_ATTEMPT_FAILED: [['X', '48', 'The receiver was not available for delivery. We will make a second attempt.']],
  DELIVERED: [['D', 'FS', 'Delivered']],
  RETURNED_TO_SENDER: [['RS', 'RS', 'Returned to Shipper']],
};

const ups: Encoder = (o, step, at) => {
  const [type, code, description] = UPS_CODES[step.type][step.variant ?? 0] ?? UPS_CODES[step.type][0]!;
  const gmt = at.toISOString();
  const local = toZonedParts(at, 'Europe/Amsterdam');
  const delivered = step.type === 'DELIVERED';
  const body = {
    trackingNumber: o.trackingNumber,
    localActivityDate: `${local.year}${pad2(local.month)}${pad2(local.day)}`,
    localActivityTime: `${pad2(local.hour)}${pad2(local.minute)}${pad2(local.second)}`,
    activityLocation: { city: 'AMSTERDAM', stateProvince: '', postalCode: delivered ? '1011AB' : '', country: 'NL' },
    activityStatus: { type, code, description, descriptionCode: '' },
    scheduledDeliveryDate: '',
    actualDeliveryDate: delivered ? gmt.slice(0, 10).replaceAll('-', '') : '',
    actualDeliveryTime: delivered ? gmt.slice(11, 19).replaceAll(':', '') : '',
    gmtActivityDate: gmt.slice(0, 10).replaceAll('-', ''),
    gmtActivityTime: gmt.slice(11, 19).replaceAll(':', ''),
    deliveryStartTime: '',
    deliveryEndTime: '',
    deliveryTimeDescription: '',
  };
  return post({ credential: o.secrets.ups.credential, 'user-agent': 'UPSPubSubTrackingService' }, json(body));
};

const DHL_CODES: Record<ScanType, [statusCode: string, detail: string | null, description: string][]> = {
  PICKED_UP: [['transit', 'picked-up', 'The shipment has been picked up']],
  IN_TRANSIT: [
    ['transit', null, 'The shipment has been processed in the parcel center'],
    ['transit', null, 'The shipment has arrived at the delivery base'],
  ],
  OUT_FOR_DELIVERY: [['transit', 'out-for-delivery', 'The shipment has been loaded onto the delivery vehicle']],
  DELIVERY_ATTEMPT_FAILED: [['failure', 'delivery-attempt-failed', 'The recipient was not present; a notification card was left']],
  DELIVERED: [['delivered', null, 'The shipment has been successfully delivered']],
  RETURNED_TO_SENDER: [['failure', 'returned', 'The shipment has been returned to the sender']],
};

const dhl: Encoder = (o, step, at) => {
  const [statusCode, statusDetail, description] = DHL_CODES[step.type][step.variant ?? 0] ?? DHL_CODES[step.type][0]!;
  const event = {
    timestamp: isoWithOffset(at, 'Europe/Berlin'),
    location: { address: { addressLocality: 'Bonn', countryCode: 'DE' } },
    statusCode,
    ...(statusDetail ? { statusDetail } : {}),
    status: description,
    description,
  };
  const body = { shipments: [{ id: o.trackingNumber, service: 'parcel-de', status: event, events: [event] }] };
  return post({ [o.secrets.dhl.headerName]: o.secrets.dhl.token }, json(body));
};

const POSTNL_CODES: Record<ScanType, [status: string, phase: [string, string], event: string, description: string][]> = {
  PICKED_UP: [['3', ['1', 'Collectie'], 'B04', 'Zending is afgehaald door PostNL']],
  IN_TRANSIT: [
    ['5', ['2', 'Sortering'], 'J01', 'Zending is gesorteerd'],
    ['5', ['2', 'Sortering'], 'J06', 'Zending gesorteerd in sorteercentrum'],
  ],
  OUT_FOR_DELIVERY: [['7', ['3', 'Distributie'], 'J05', 'Bezorger is onderweg']],
  DELIVERY_ATTEMPT_FAILED: [['8', ['3', 'Distributie'], 'H01', 'Geadresseerde niet thuis']],
  DELIVERED: [['11', ['4', 'Afgeleverd'], 'I01', 'Zending is bezorgd']],
  RETURNED_TO_SENDER: [['11', ['4', 'Afgeleverd'], 'J63', 'Retourzending afgeleverd']],
};

const postnl: Encoder = (o, step, at) => {
  const [StatusCode, [PhaseCode, PhaseDescription], Code, Description] = POSTNL_CODES[step.type][step.variant ?? 0] ?? POSTNL_CODES[step.type][0]!;
  const p = toZonedParts(at, 'Europe/Amsterdam');
  const TimeStamp = `${pad2(p.day)}-${pad2(p.month)}-${p.year} ${pad2(p.hour)}:${pad2(p.minute)}:${pad2(p.second)}`;
  const body = {
    Shipments: [
      {
        Barcode: o.trackingNumber,
        Status: { TimeStamp, StatusCode, StatusDescription: Description, PhaseCode, PhaseDescription },
        Event: { Code, Description },
      },
    ],
  };
  return post({ [POSTNL_TOKEN_HEADER]: o.secrets.postnl.token }, json(body));
};

const DPD_CODES: Record<ScanType, string[]> = {
  PICKED_UP: ['pickup_driver'],
  IN_TRANSIT: ['pickup_depot', 'delivery_depot'],
  OUT_FOR_DELIVERY: ['delivery_carload'],
  DELIVERY_ATTEMPT_FAILED: ['delivery_notification'],
  DELIVERED: ['delivery_customer'],
  RETURNED_TO_SENDER: ['error_return'],
};

const dpd: Encoder = (o, step, at, _sentAt, seq) => {
  const status = DPD_CODES[step.type][step.variant ?? 0] ?? DPD_CODES[step.type][0]!;
  const p = toZonedParts(at, 'Europe/Berlin');
  // Push ids are DPD's record numbers: distinct per push, derived here so that runs are reproducible.
  const pushid = String((parseInt(createHash('sha256').update(o.trackingNumber).digest('hex').slice(0, 8), 16) % 900_000) * 100 + 100_000 + seq);
  const query = new URLSearchParams({
    [DPD_TOKEN_PARAMETER]: o.secrets.dpd.token,
    pushid,
    pnr: o.trackingNumber,
    status,
    statusdate: `${pad2(p.day)}${pad2(p.month)}${p.year}${pad2(p.hour)}${pad2(p.minute)}${pad2(p.second)}`,
    depot: '0163',
  });
  return { method: 'GET', headers: {}, query, rawBody: '' };
};

const GLS_CODES: Record<ScanType, [code: string, description: string][]> = {
  PICKED_UP: [['INPICKUP', 'The parcel was handed over to GLS.']],
  IN_TRANSIT: [
    ['INTRANSIT', 'The parcel has left the parcel center.'],
    ['INWAREHOUSE', 'The parcel has reached the parcel center.'],
  ],
  OUT_FOR_DELIVERY: [['INDELIVERY', 'The parcel is expected to be delivered during the day.']],
  DELIVERY_ATTEMPT_FAILED: [['NOTDELIVERED', 'The parcel could not be delivered as the consignee was absent.']],
  DELIVERED: [['DELIVERED', 'The parcel has been delivered.']],
  RETURNED_TO_SENDER: [['RETURNED', 'The parcel has been returned to the shipper.']],
};

const gls: Encoder = (o, step, at) => {
  const [eventCode, description] = GLS_CODES[step.type][step.variant ?? 0] ?? GLS_CODES[step.type][0]!;
  const body = {
    parcelNumber: o.trackingNumber,
    events: [{ eventCode, timestamp: isoWithOffset(at, 'Europe/Berlin'), description, location: 'Neuenstein', country: 'DE' }],
  };
  return post({ [GLS_TOKEN_HEADER]: o.secrets.gls.token }, json(body));
};

const INPOST_CODES: Record<ScanType, string[]> = {
  PICKED_UP: ['taken_by_courier'],
  IN_TRANSIT: ['adopted_at_sorting_center', 'sent_from_sorting_center'],
  OUT_FOR_DELIVERY: ['out_for_delivery'],
  DELIVERY_ATTEMPT_FAILED: ['avizo'],
  DELIVERED: ['delivered'],
  RETURNED_TO_SENDER: ['returned_to_sender'],
};

const inpost: Encoder = (o, step, at, sentAt, seq) => {
  const status = INPOST_CODES[step.type][step.variant ?? 0] ?? INPOST_CODES[step.type][0]!;
  const p = toZonedParts(at, 'Europe/Warsaw');
  const offset = isoWithOffset(at, 'Europe/Warsaw').slice(-6).replace(':', '');
  const body = json({
    event_ts: `${p.year}-${pad2(p.month)}-${pad2(p.day)} ${pad2(p.hour)}:${pad2(p.minute)}:${pad2(p.second)} ${offset}`,
    event: 'shipment_status_changed',
    organization_id: 4211,
    payload: { shipment_id: 880_000 + seq, status, tracking_number: o.trackingNumber },
  });
  const timestamp = sentAt.toISOString();
  return post({ [INPOST_TIMESTAMP_HEADER]: timestamp, [INPOST_SIGNATURE_HEADER]: inpostSignature(body, timestamp, o.secrets.inpost) }, body);
};

const ENCODERS: Record<WebhookCarrier, Encoder> = { ups, dhl, postnl, dpd, gls, inpost };

export function simulateScans(options: SimulationOptions): SimulatedWebhook[] {
  if (Number.isNaN(options.start.getTime())) throw new RangeError('start: invalid Date');
  if (!SCENARIOS.includes(options.scenario)) throw new RangeError(`scenario must be one of ${SCENARIOS.join(', ')}`);
  const start = Math.floor(options.start.getTime() / 1000) * 1000;
  const delay = (options.pushDelaySeconds ?? 45) * 1000;
  const encode = ENCODERS[options.carrier];
  return JOURNEYS[options.scenario].map((step, seq) => {
    const occurredAt = new Date(start + step.at * 60_000);
    const sentAt = new Date(occurredAt.getTime() + delay);
    return {
      carrier: options.carrier,
      expected: { type: step.type, occurredAt },
      sentAt,
      request: encode(options, step, occurredAt, sentAt, seq),
    };
  });
}
