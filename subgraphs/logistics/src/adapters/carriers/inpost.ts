import {
  callCarrier,
  CarrierBookingError,
  expectOk,
  get,
  kilograms,
  splitStreet,
  type BookingRequest,
  type CarrierBooking,
  type CarrierBookingAdapter,
  type ReturnLabelRequest,
} from './adapter.ts';

/** InPost ShipX API: POST /v1/organizations/{id}/shipments, then GET /v1/shipments/{id} until the tracking number is assigned. */
export interface InpostConfig {
  token: string;
  organizationId: string;
  /** https://api-shipx-pl.easypack24.net (live), https://sandbox-api-shipx-pl.easypack24.net (InPost's sandbox), or the sandbox carrier. */
  baseUrl: string;
  timeoutMs?: number;
  /** How often to read the shipment back for its tracking number (ShipX assigns it asynchronously). */
  pollAttempts?: number;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createInpostAdapter(config: InpostConfig): CarrierBookingAdapter {
  const headers = { authorization: `Bearer ${config.token}`, 'content-type': 'application/json', accept: 'application/json' };
  async function create(body: unknown): Promise<CarrierBooking> {
    const answer = await callCarrier('inpost', `${config.baseUrl}/v1/organizations/${encodeURIComponent(config.organizationId)}/shipments`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      timeoutMs: config.timeoutMs,
    });
    expectOk('inpost', 'the shipment request', answer);
    const id = get(answer.json, 'id');
    if (typeof id !== 'number' && typeof id !== 'string') throw new CarrierBookingError('inpost', false, 'the shipment answer has no id');
    let tracking = get(answer.json, 'tracking_number');
    for (let attempt = 0; typeof tracking !== 'string' && attempt < (config.pollAttempts ?? 10); attempt += 1) {
      await pause(200 * (attempt + 1));
      const read = await callCarrier('inpost', `${config.baseUrl}/v1/shipments/${encodeURIComponent(String(id))}`, {
        method: 'GET',
        headers,
        timeoutMs: config.timeoutMs,
      });
      expectOk('inpost', 'reading the shipment', read);
      tracking = get(read.json, 'tracking_number');
    }
    // Booked but not numbered yet: retryable (the same external_customer_id finds it again).
    if (typeof tracking !== 'string' || !tracking) throw new CarrierBookingError('inpost', true, `shipment ${id} has no tracking number yet`);
    return { trackingNumber: tracking, carrierReference: String(id), label: null };
  }
  return {
    carrier: 'inpost',
    /**
     * InPost return: a ShipX shipment with is_return, sent by the consumer (from a Paczkomat locker or by courier
     * pickup) to the organization's address (the receiver ShipX fills in for a return).
     */
    async bookReturn(request: ReturnLabelRequest): Promise<CarrierBooking> {
      const { street, number } = splitStreet(request.sender.line1);
      const { dimensions } = request.parcel;
      return create({
        is_return: true,
        sender: {
          name: request.sender.name,
          address: { street, building_number: number, city: request.sender.city, post_code: request.sender.postalCode, country_code: request.sender.country },
        },
        parcels: [
          {
            dimensions: { length: dimensions.lengthMm, width: dimensions.widthMm, height: dimensions.heightMm, unit: 'mm' },
            weight: { amount: kilograms(request.parcel.weightGrams), unit: 'kg' },
          },
        ],
        service: request.handover === 'PICKUP' ? 'inpost_courier_standard' : 'inpost_locker_standard',
        reference: `Return ${request.orderReference ?? request.returnId}`,
        external_customer_id: request.returnId,
      });
    },
    async book(request: BookingRequest): Promise<CarrierBooking> {
      const { street, number } = splitStreet(request.recipient.line1);
      const { dimensions } = request.parcel;
      const body = {
        receiver: {
          name: request.recipient.name,
          address: {
            street,
            building_number: number,
            city: request.recipient.city,
            post_code: request.recipient.postalCode,
            country_code: request.recipient.country,
          },
        },
        parcels: [
          {
            dimensions: { length: dimensions.lengthMm, width: dimensions.widthMm, height: dimensions.heightMm, unit: 'mm' },
            weight: { amount: kilograms(request.parcel.weightGrams), unit: 'kg' },
          },
        ],
        service: request.deliveryMethod === 'DOOR' ? 'inpost_courier_standard' : 'inpost_locker_standard',
        reference: request.orderReference ?? request.shipmentId,
        external_customer_id: request.shipmentId,
        custom_attributes: { sending_method: 'dispatch_order' },
      };
      return create(body);
    },
  };
}
