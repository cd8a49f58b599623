import {
  callCarrier,
  expectOk,
  get,
  requireString,
  splitStreet,
  type Address,
  type BookingRequest,
  type CarrierBooking,
  type CarrierBookingAdapter,
  type ReturnLabelRequest,
} from './adapter.ts';

/** PostNL Barcode API (GET /shipment/v1_1/barcode) + Labelling API with confirm (POST /shipment/v2_2/label?confirm=true). */
export interface PostnlConfig {
  apiKey: string;
  customerCode: string;
  customerNumber: string;
  /** https://api.postnl.nl (live), https://api-sandbox.postnl.nl (PostNL's sandbox), or the sandbox carrier. */
  baseUrl: string;
  shipper: Address;
  timeoutMs?: number;
}

/** 3085 standard home delivery; 3533 delivery at a PostNL point. */
const PRODUCT = (request: BookingRequest) => (request.deliveryMethod === 'DOOR' ? '3085' : '3533');

const postnlAddress = (type: '01' | '02', a: Address) => {
  const { street, number } = splitStreet(a.line1);
  return { AddressType: type, Name: a.name, Street: street, HouseNr: number, Zipcode: a.postalCode.replace(/\s+/g, ''), City: a.city, Countrycode: a.country };
};

const timestamp = (d: Date) => {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}-${p(d.getUTCMonth() + 1)}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
};

export function createPostnlAdapter(config: PostnlConfig): CarrierBookingAdapter {
  const headers = { apikey: config.apiKey, accept: 'application/json' };
  async function newBarcode(): Promise<string> {
    const query = new URLSearchParams({ CustomerCode: config.customerCode, CustomerNumber: config.customerNumber, Type: '3S', Serie: '000000000-999999999' });
    const barcodeAnswer = await callCarrier('postnl', `${config.baseUrl}/shipment/v1_1/barcode?${query}`, {
      method: 'GET',
      headers,
      timeoutMs: config.timeoutMs,
    });
    expectOk('postnl', 'the barcode request', barcodeAnswer);
    return requireString('postnl', get(barcodeAnswer.json, 'Barcode'), 'Barcode');
  }
  async function label(body: unknown): Promise<CarrierBooking> {
    const answer = await callCarrier('postnl', `${config.baseUrl}/shipment/v2_2/label?confirm=true`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: config.timeoutMs,
    });
    expectOk('postnl', 'the label request', answer);
    const shipment = get(answer.json, 'ResponseShipments', 0);
    const confirmed = requireString('postnl', get(shipment, 'Barcode'), 'ResponseShipments[0].Barcode');
    const content = get(shipment, 'Labels', 0, 'Content');
    return {
      trackingNumber: confirmed,
      carrierReference: confirmed,
      label: typeof content === 'string' ? { format: String(get(shipment, 'Labels', 0, 'OutputType') ?? 'PDF'), base64: content } : null,
    };
  }
  return {
    carrier: 'postnl',
    /**
     * PostNL return label: product 2285 (retour), the receiver (AddressType 01) is the shipper's return address and
     * the sender (02) the consumer. A drop-off or locker handover is a Smart Return (ProductOption characteristic
     * 152 / option 025): the consumer shows a code at the PostNL point, which prints the label.
     */
    async bookReturn(request: ReturnLabelRequest): Promise<CarrierBooking> {
      const barcode = await newBarcode();
      const { parcel } = request;
      return label({
        Customer: { Address: postnlAddress('02', config.shipper), CustomerCode: config.customerCode, CustomerNumber: config.customerNumber },
        Message: { MessageID: request.returnId, MessageTimeStamp: timestamp(new Date()), Printertype: 'GraphicFile|PDF' },
        Shipments: [
          {
            Addresses: [postnlAddress('01', config.shipper), postnlAddress('02', request.sender)],
            Barcode: barcode,
            Dimension: {
              Weight: String(parcel.weightGrams),
              Length: String(parcel.dimensions.lengthMm),
              Width: String(parcel.dimensions.widthMm),
              Height: String(parcel.dimensions.heightMm),
            },
            ProductCodeDelivery: '2285',
            ...(request.handover === 'PICKUP' ? {} : { ProductOptions: [{ Characteristic: '152', Option: '025' }] }),
            Reference: `Return ${request.orderReference ?? request.returnId}`,
          },
        ],
      });
    },
    async book(request: BookingRequest): Promise<CarrierBooking> {
      const barcode = await newBarcode();
      const { parcel } = request;
      const body = {
        Customer: { Address: postnlAddress('02', config.shipper), CustomerCode: config.customerCode, CustomerNumber: config.customerNumber },
        Message: { MessageID: request.shipmentId, MessageTimeStamp: timestamp(new Date()), Printertype: 'GraphicFile|PDF' },
        Shipments: [
          {
            Addresses: [postnlAddress('01', request.recipient)],
            Barcode: barcode,
            Dimension: {
              Weight: String(parcel.weightGrams),
              Length: String(parcel.dimensions.lengthMm),
              Width: String(parcel.dimensions.widthMm),
              Height: String(parcel.dimensions.heightMm),
            },
            ProductCodeDelivery: PRODUCT(request),
            Reference: request.orderReference ?? request.shipmentId,
          },
        ],
      };
      return label(body);
    },
  };
}
