import {
  callCarrier,
  centimetres,
  expectOk,
  get,
  kilograms,
  requireString,
  type Address,
  type BookingRequest,
  type CarrierBooking,
  type CarrierBookingAdapter,
  type ReturnLabelRequest,
} from './adapter.ts';

/** UPS Shipping API (OAuth client credentials + POST /api/shipments/{version}/ship). */
export interface UpsConfig {
  clientId: string;
  clientSecret: string;
  /** The UPS shipper (account) number that is billed. */
  accountNumber: string;
  /** https://onlinetools.ups.com (live), https://wwwcie.ups.com (UPS's test), or the sandbox carrier. */
  baseUrl: string;
  shipper: Address;
  timeoutMs?: number;
}

const SERVICE: Record<BookingRequest['serviceLevel'], string> = { STANDARD: '11', EXPRESS: '07', SAME_DAY: '14', PICKUP_POINT: '11', LOCKER: '11' };

const upsAddress = (a: Address) => ({ AddressLine: [a.line1, ...(a.line2 ? [a.line2] : [])], City: a.city, PostalCode: a.postalCode, CountryCode: a.country });

export function createUpsAdapter(config: UpsConfig): CarrierBookingAdapter {
  let token: { value: string; until: number } | null = null;
  async function accessToken(): Promise<string> {
    if (token && token.until > Date.now()) return token.value;
    const answer = await callCarrier('ups', `${config.baseUrl}/security/v1/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${config.clientId}:${config.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        'x-merchant-id': config.accountNumber,
      },
      body: 'grant_type=client_credentials',
      timeoutMs: config.timeoutMs,
    });
    expectOk('ups', 'the OAuth token request', answer);
    const value = requireString('ups', get(answer.json, 'access_token'), 'access_token');
    const seconds = Number(get(answer.json, 'expires_in')) || 3600;
    token = { value, until: Date.now() + (seconds - 60) * 1000 };
    return value;
  }
  async function ship(body: unknown, reference: string): Promise<CarrierBooking> {
    const answer = await callCarrier('ups', `${config.baseUrl}/api/shipments/v2409/ship`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await accessToken()}`, 'content-type': 'application/json', transId: reference.slice(-32), transactionSrc: 'ipay' },
      body: JSON.stringify(body),
      timeoutMs: config.timeoutMs,
    });
    expectOk('ups', 'the ship request', answer);
    const results = get(answer.json, 'ShipmentResponse', 'ShipmentResults');
    const packages = get(results, 'PackageResults');
    const first = Array.isArray(packages) ? packages[0] : packages;
    const image = get(first, 'ShippingLabel', 'GraphicImage');
    return {
      trackingNumber: requireString('ups', get(first, 'TrackingNumber'), 'PackageResults.TrackingNumber'),
      carrierReference: requireString('ups', get(results, 'ShipmentIdentificationNumber'), 'ShipmentIdentificationNumber'),
      label: typeof image === 'string' ? { format: String(get(first, 'ShippingLabel', 'ImageFormat', 'Code') ?? 'PDF'), base64: image } : null,
    };
  }
  const packageOf = (parcel: ReturnLabelRequest['parcel']) => ({
    Packaging: { Code: '02' },
    Dimensions: {
      UnitOfMeasurement: { Code: 'CM' },
      Length: String(centimetres(parcel.dimensions.lengthMm)),
      Width: String(centimetres(parcel.dimensions.widthMm)),
      Height: String(centimetres(parcel.dimensions.heightMm)),
    },
    PackageWeight: { UnitOfMeasurement: { Code: 'KGS' }, Weight: String(kilograms(parcel.weightGrams)) },
  });
  return {
    carrier: 'ups',
    /**
     * UPS Returns: the same ship request with Shipment.ReturnService (9 = UPS Print Return Label for a drop-off at
     * an Access Point or locker; 5 = Return Service 3-Attempt, UPS collects at the door). ShipFrom is the consumer,
     * ShipTo the shipper's return address; the shipper's account pays.
     */
    async bookReturn(request: ReturnLabelRequest): Promise<CarrierBooking> {
      const body = {
        ShipmentRequest: {
          Request: { RequestOption: 'nonvalidate', TransactionReference: { CustomerContext: request.returnId } },
          Shipment: {
            Description: `Return ${request.orderReference ?? request.returnId}`,
            ReturnService: { Code: request.handover === 'PICKUP' ? '5' : '9' },
            Shipper: { Name: config.shipper.name, ShipperNumber: config.accountNumber, Address: upsAddress(config.shipper) },
            ShipFrom: { Name: request.sender.name, Address: upsAddress(request.sender) },
            ShipTo: { Name: config.shipper.name, Address: upsAddress(config.shipper) },
            PaymentInformation: { ShipmentCharge: { Type: '01', BillShipper: { AccountNumber: config.accountNumber } } },
            Service: { Code: '11' },
            ReferenceNumber: { Value: request.returnId },
            Package: { ...packageOf(request.parcel), Description: 'Returned goods' },
          },
          LabelSpecification: { LabelImageFormat: { Code: 'PDF' } },
        },
      };
      return ship(body, request.returnId);
    },
    async book(request: BookingRequest): Promise<CarrierBooking> {
      const { parcel, recipient } = request;
      const body = {
        ShipmentRequest: {
          Request: { RequestOption: 'nonvalidate', TransactionReference: { CustomerContext: request.shipmentId } },
          Shipment: {
            Description: request.orderReference ?? request.shipmentId,
            Shipper: { Name: config.shipper.name, ShipperNumber: config.accountNumber, Address: upsAddress(config.shipper) },
            ShipTo: { Name: recipient.name, Address: upsAddress(recipient) },
            ShipFrom: { Name: config.shipper.name, Address: upsAddress(config.shipper) },
            PaymentInformation: { ShipmentCharge: { Type: '01', BillShipper: { AccountNumber: config.accountNumber } } },
            Service: { Code: SERVICE[request.serviceLevel] },
            // Hold for pickup at a UPS Access Point.
            ...(request.deliveryMethod === 'DOOR' ? {} : { ShipmentIndicationType: { Code: '01' } }),
            ReferenceNumber: { Value: request.shipmentId },
            Package: {
              Packaging: { Code: '02' },
              Dimensions: {
                UnitOfMeasurement: { Code: 'CM' },
                Length: String(centimetres(parcel.dimensions.lengthMm)),
                Width: String(centimetres(parcel.dimensions.widthMm)),
                Height: String(centimetres(parcel.dimensions.heightMm)),
              },
              PackageWeight: { UnitOfMeasurement: { Code: 'KGS' }, Weight: String(kilograms(parcel.weightGrams)) },
            },
          },
          LabelSpecification: { LabelImageFormat: { Code: 'PDF' } },
        },
      };
      return ship(body, request.shipmentId);
    },
  };
}
