import {
  callCarrier,
  expectOk,
  get,
  kilograms,
  requireString,
  splitStreet,
  type BookingRequest,
  type CarrierBooking,
  type CarrierBookingAdapter,
  type ReturnLabelRequest,
} from './adapter.ts';

/** GLS ShipIT REST API: POST /backend/rs/shipments (Basic auth, application/glsVersion1+json). */
export interface GlsConfig {
  username: string;
  password: string;
  /** The GLS contact id of the shipper. */
  contactId: string;
  /** The ShipIT host of the GLS country (live), GLS's test system, or the sandbox carrier. */
  baseUrl: string;
  timeoutMs?: number;
}

const MEDIA = 'application/glsVersion1+json';

export function createGlsAdapter(config: GlsConfig): CarrierBookingAdapter {
  async function shipments(body: unknown): Promise<CarrierBooking> {
    const answer = await callCarrier('gls', `${config.baseUrl}/backend/rs/shipments`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${config.username}:${config.password}`).toString('base64')}`,
        'content-type': MEDIA,
        accept: `${MEDIA}, application/json`,
      },
      body: JSON.stringify(body),
      timeoutMs: config.timeoutMs,
    });
    expectOk('gls', 'the shipment request', answer);
    const created = get(answer.json, 'CreatedShipment');
    const data = get(created, 'PrintData', 0, 'Data');
    return {
      trackingNumber: requireString('gls', get(created, 'ParcelData', 0, 'ParcelNumber'), 'ParcelData[0].ParcelNumber'),
      carrierReference: requireString('gls', get(created, 'ParcelData', 0, 'TrackID'), 'ParcelData[0].TrackID'),
      label: typeof data === 'string' ? { format: 'PDF', base64: data } : null,
    };
  }
  return {
    carrier: 'gls',
    /**
     * GLS ShopReturn: a shipment with the ShopReturn service picked up from (or dropped off by) the consumer, who
     * is the consignee of the service; GLS delivers it back to the shipper of the contact id (our return address).
     */
    async bookReturn(request: ReturnLabelRequest): Promise<CarrierBooking> {
      const { street, number } = splitStreet(request.sender.line1);
      return shipments({
        Shipment: {
          ShipmentReference: [request.returnId],
          Product: 'PARCEL',
          Consignee: {
            Address: {
              Name1: request.sender.name,
              CountryCode: request.sender.country,
              ZIPCode: request.sender.postalCode.replace(/\s+/g, ''),
              City: request.sender.city,
              Street: street,
              StreetNumber: number,
            },
          },
          Shipper: { ContactID: config.contactId },
          Service: [{ ShopReturn: { ServiceName: 'service_shopreturn', NumberOfLabels: 1 } }],
          ShipmentUnit: [{ Weight: kilograms(request.parcel.weightGrams), ShipmentUnitReference: [request.orderReference ?? request.returnId] }],
        },
        PrintingOptions: { ReturnLabels: { TemplateSet: 'NONE', LabelFormat: 'PDF' } },
      });
    },
    async book(request: BookingRequest): Promise<CarrierBooking> {
      const { street, number } = splitStreet(request.recipient.line1);
      const body = {
        Shipment: {
          ShipmentReference: [request.shipmentId],
          Product: 'PARCEL',
          Consignee: {
            Address: {
              Name1: request.recipient.name,
              CountryCode: request.recipient.country,
              ZIPCode: request.recipient.postalCode.replace(/\s+/g, ''),
              City: request.recipient.city,
              Street: street,
              StreetNumber: number,
            },
          },
          Shipper: { ContactID: config.contactId },
          ShipmentUnit: [{ Weight: kilograms(request.parcel.weightGrams), ShipmentUnitReference: [request.orderReference ?? request.shipmentId] }],
        },
        PrintingOptions: { ReturnLabels: { TemplateSet: 'NONE', LabelFormat: 'PDF' } },
      };
      return shipments(body);
    },
  };
}
