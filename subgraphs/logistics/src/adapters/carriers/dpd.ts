import {
  callCarrier,
  CarrierBookingError,
  expectOk,
  splitStreet,
  type Address,
  type BookingRequest,
  type CarrierBooking,
  type CarrierBookingAdapter,
  type ReturnLabelRequest,
} from './adapter.ts';

/** DPD Shipper Web Services (SOAP): LoginService getAuth, then ShipmentService storeOrders. */
export interface DpdConfig {
  delisId: string;
  password: string;
  /** The sending depot (4 digits) of the DPD contract. */
  sendingDepot: string;
  /** https://public-ws.dpd.com (live), https://public-ws-stage.dpd.com (DPD's stage), or the sandbox carrier. */
  baseUrl: string;
  shipper: Address;
  timeoutMs?: number;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const tag = (body: string, name: string) => new RegExp(`<(?:\\w+:)?${name}>([^<]*)</(?:\\w+:)?${name}>`).exec(body)?.[1]?.trim() ?? null;

function party(a: Address): string {
  const { street, number } = splitStreet(a.line1);
  return `<name1>${xml(a.name)}</name1><street>${xml(street)}</street><houseNo>${xml(number)}</houseNo><country>${xml(a.country)}</country><zipCode>${xml(a.postalCode.replace(/\s+/g, ''))}</zipCode><city>${xml(a.city)}</city>`;
}

export function createDpdAdapter(config: DpdConfig): CarrierBookingAdapter {
  let token: { value: string; until: number } | null = null;
  const post = (path: string, envelope: string) =>
    callCarrier('dpd', `${config.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '' },
      body: envelope,
      timeoutMs: config.timeoutMs,
    });
  async function authToken(): Promise<string> {
    if (token && token.until > Date.now()) return token.value;
    const answer = await post(
      '/services/LoginService/V2_0/',
      `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="http://dpd.com/common/service/types/LoginService/2.0"><soapenv:Body><ns:getAuth><delisId>${xml(config.delisId)}</delisId><password>${xml(config.password)}</password><messageLanguage>en_EN</messageLanguage></ns:getAuth></soapenv:Body></soapenv:Envelope>`,
    );
    expectOk('dpd', 'getAuth', answer);
    const value = tag(answer.text, 'authToken');
    if (!value) throw new CarrierBookingError('dpd', false, 'getAuth answered without an authToken');
    // DPD tokens live for a day; take a new one well before.
    token = { value, until: Date.now() + 12 * 3600_000 };
    return value;
  }
  async function storeOrders(envelope: string): Promise<CarrierBooking> {
    const answer = await post('/services/ShipmentService/V4_4/', envelope);
    expectOk('dpd', 'storeOrders', answer);
    const fault = tag(answer.text, 'errorMessage');
    const trackingNumber = tag(answer.text, 'parcelLabelNumber');
    if (!trackingNumber) throw new CarrierBookingError('dpd', false, `storeOrders booked nothing${fault ? `: ${fault}` : ''}`);
    const content = tag(answer.text, 'content');
    return { trackingNumber, carrierReference: tag(answer.text, 'mpsId') ?? trackingNumber, label: content ? { format: 'PDF', base64: content } : null };
  }
  return {
    carrier: 'dpd',
    /**
     * DPD return: a storeOrders consignment whose parcel is flagged <returns>true</returns>; the sender is the
     * consumer and the recipient our shipper's return address (DPD Shop Return for a Pickup parcelshop drop-off).
     */
    async bookReturn(request: ReturnLabelRequest): Promise<CarrierBooking> {
      const auth = await authToken();
      const envelope = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="http://dpd.com/common/service/types/Authentication/2.0" xmlns:ns1="http://dpd.com/common/service/types/ShipmentService/4.4"><soapenv:Header><ns:authentication><delisId>${xml(config.delisId)}</delisId><authToken>${xml(auth)}</authToken><messageLanguage>en_EN</messageLanguage></ns:authentication></soapenv:Header><soapenv:Body><ns1:storeOrders><printOptions><printOption><outputFormat>PDF</outputFormat><paperFormat>A6</paperFormat></printOption></printOptions><order><generalShipmentData><identificationNumber>${xml(request.returnId)}</identificationNumber><sendingDepot>${xml(config.sendingDepot)}</sendingDepot><product>CL</product><sender>${party(request.sender)}</sender><recipient>${party(config.shipper)}</recipient></generalShipmentData><parcels><customerReferenceNumber1>${xml(request.orderReference ?? request.returnId)}</customerReferenceNumber1><weight>${Math.max(1, Math.round(request.parcel.weightGrams / 10))}</weight><returns>true</returns></parcels><productAndServiceData><orderType>consignment</orderType></productAndServiceData></order></ns1:storeOrders></soapenv:Body></soapenv:Envelope>`;
      return storeOrders(envelope);
    },
    async book(request: BookingRequest): Promise<CarrierBooking> {
      const auth = await authToken();
      // Weight in decagrams; product CL (DPD Classic); a Pickup parcelshop delivery would add parcelShopDelivery.
      const envelope = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="http://dpd.com/common/service/types/Authentication/2.0" xmlns:ns1="http://dpd.com/common/service/types/ShipmentService/4.4"><soapenv:Header><ns:authentication><delisId>${xml(config.delisId)}</delisId><authToken>${xml(auth)}</authToken><messageLanguage>en_EN</messageLanguage></ns:authentication></soapenv:Header><soapenv:Body><ns1:storeOrders><printOptions><printOption><outputFormat>PDF</outputFormat><paperFormat>A6</paperFormat></printOption></printOptions><order><generalShipmentData><identificationNumber>${xml(request.shipmentId)}</identificationNumber><sendingDepot>${xml(config.sendingDepot)}</sendingDepot><product>CL</product><sender>${party(config.shipper)}</sender><recipient>${party(request.recipient)}</recipient></generalShipmentData><parcels><customerReferenceNumber1>${xml(request.orderReference ?? request.shipmentId)}</customerReferenceNumber1><weight>${Math.max(1, Math.round(request.parcel.weightGrams / 10))}</weight></parcels><productAndServiceData><orderType>consignment</orderType></productAndServiceData></order></ns1:storeOrders></soapenv:Body></soapenv:Envelope>`;
      return storeOrders(envelope);
    },
  };
}
