import { randomUUID } from 'node:crypto';
import {
  callCarrier,
  expectOk,
  get,
  kilograms,
  requireString,
  splitStreet,
  type Address,
  type BookingRequest,
  type CarrierBooking,
  type CarrierBookingAdapter,
  type ReturnLabelRequest,
} from './adapter.ts';

/** DHL Parcel (Benelux) API: POST /authenticate/api-key, then POST /labels. */
export interface DhlConfig {
  userId: string;
  key: string;
  accountId: string;
  /** https://api-gw.dhlparcel.nl (live) or the sandbox carrier. */
  baseUrl: string;
  shipper: Address;
  timeoutMs?: number;
}

const parcelType = (grams: number) => (grams <= 2000 ? 'SMALL' : grams <= 10000 ? 'MEDIUM' : grams <= 20000 ? 'LARGE' : 'XLARGE');

function dhlParty(a: Address) {
  const { street, number } = splitStreet(a.line1);
  const [firstName, ...rest] = a.name.trim().split(/\s+/);
  return {
    name: { firstName: firstName ?? a.name, lastName: rest.join(' ') || firstName || a.name },
    address: {
      countryCode: a.country,
      postalCode: a.postalCode.replace(/\s+/g, ''),
      city: a.city,
      street,
      number,
      addition: a.line2 ?? undefined,
      isBusiness: false,
    },
  };
}

export function createDhlAdapter(config: DhlConfig): CarrierBookingAdapter {
  let token: { value: string; until: number } | null = null;
  async function accessToken(): Promise<string> {
    if (token && token.until > Date.now()) return token.value;
    const answer = await callCarrier('dhl', `${config.baseUrl}/authenticate/api-key`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ userId: config.userId, key: config.key }),
      timeoutMs: config.timeoutMs,
    });
    expectOk('dhl', 'the authentication', answer);
    const value = requireString('dhl', get(answer.json, 'accessToken'), 'accessToken');
    const expires = Number(get(answer.json, 'accessTokenExpiration'));
    token = { value, until: Number.isFinite(expires) && expires > 0 ? expires * 1000 - 60_000 : Date.now() + 10 * 60_000 };
    return value;
  }
  async function label(body: unknown): Promise<CarrierBooking> {
    const answer = await callCarrier('dhl', `${config.baseUrl}/labels`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await accessToken()}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: config.timeoutMs,
    });
    expectOk('dhl', 'the label request', answer);
    const pdf = get(answer.json, 'pdf');
    return {
      trackingNumber: requireString('dhl', get(answer.json, 'trackerCode'), 'trackerCode'),
      carrierReference: requireString('dhl', get(answer.json, 'labelId'), 'labelId'),
      label: typeof pdf === 'string' ? { format: 'PDF', base64: pdf } : null,
    };
  }
  return {
    carrier: 'dhl',
    /**
     * DHL Parcel return label: the same /labels request with returnLabel true; the consumer is the shipper party
     * and the receiver is our shipper's return address. The consumer drops it at a DHL ServicePoint / locker, or
     * DHL collects it (option HANDT, pickup at the door).
     */
    async bookReturn(request: ReturnLabelRequest): Promise<CarrierBooking> {
      const type = parcelType(request.parcel.weightGrams);
      return label({
        labelId: randomUUID(),
        labelFormat: 'pdf',
        orderReference: request.orderReference ?? request.returnId,
        parcelTypeKey: type,
        receiver: dhlParty(config.shipper),
        shipper: dhlParty(request.sender),
        accountId: config.accountId,
        options: [...(request.handover === 'PICKUP' ? [{ key: 'HANDT' }] : []), { key: 'REFERENCE', input: request.returnId }],
        returnLabel: true,
        pieces: [{ parcelType: type, quantity: 1, weight: kilograms(request.parcel.weightGrams) }],
      });
    },
    async book(request: BookingRequest): Promise<CarrierBooking> {
      const type = parcelType(request.parcel.weightGrams);
      const body = {
        labelId: randomUUID(),
        labelFormat: 'pdf',
        orderReference: request.orderReference ?? request.shipmentId,
        parcelTypeKey: type,
        receiver: dhlParty(request.recipient),
        shipper: dhlParty(config.shipper),
        accountId: config.accountId,
        // DOOR: home delivery; PS: delivery to a DHL ServicePoint.
        options: [{ key: request.deliveryMethod === 'DOOR' ? 'DOOR' : 'PS' }, { key: 'REFERENCE', input: request.shipmentId }],
        returnLabel: false,
        pieces: [{ parcelType: type, quantity: 1, weight: kilograms(request.parcel.weightGrams) }],
      };
      return label(body);
    },
  };
}
