import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Address, BookableCarrier } from '../adapters/carriers/adapter.ts';
import type { CarrierSandbox, SandboxBooking } from '../app/services.ts';

export type { CarrierSandbox, SandboxBooking };

/**
 * Sandbox carriers on loopback: one local HTTP server that answers each carrier's booking API the way the carrier
 * does (paths, authentication, request and response shapes), as the payments subgraph's sandbox PSPs do. The live
 * adapters talk to it unchanged; only the base URL and credentials differ. The carrier, not IPAY, assigns the
 * tracking number, in the carrier's format. A retried booking with the same reference gets the same parcel.
 */
const SHIPPER: Address = { name: 'IPAY Sandbox Fulfilment', line1: 'Kabelweg 37', city: 'Amsterdam', postalCode: '1014 BA', country: 'NL' };

const digits = (n: number) => Array.from({ length: n }, () => randomInt(0, 10)).join('');
const alnum = (n: number) => Array.from({ length: n }, () => 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789'[randomInt(0, 34)]).join('');

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startCarrierSandbox(): Promise<CarrierSandbox> {
  const secret = () => randomBytes(12).toString('hex');
  const creds = {
    ups: { clientId: `ups-${secret()}`, clientSecret: secret(), accountNumber: alnum(6) },
    dhl: { userId: `dhl-${secret()}`, key: secret(), accountId: digits(8) },
    postnl: { apiKey: secret(), customerCode: 'DEVC', customerNumber: digits(8) },
    dpd: { delisId: `sandbox${digits(4)}`, password: secret(), sendingDepot: '0530' },
    gls: { username: `gls-${secret()}`, password: secret(), contactId: digits(10) },
    inpost: { token: secret(), organizationId: digits(5) },
  };
  const tokens = new Set<string>();
  const issue = () => {
    const token = secret();
    tokens.add(token);
    return token;
  };
  const booked: SandboxBooking[] = [];
  const byReference = new Map<string, SandboxBooking>();
  const failures = new Map<BookableCarrier, number>();
  const inpostById = new Map<string, SandboxBooking>();

  /** Books once per carrier + reference (a retried request finds its parcel again). */
  const book = (
    carrier: BookableCarrier,
    reference: string,
    request: unknown,
    make: () => { trackingNumber: string; carrierReference: string },
    kind: SandboxBooking['kind'] = 'OUTBOUND',
  ) => {
    const key = `${carrier}\u0000${reference}`;
    const existing = byReference.get(key);
    if (existing) return existing;
    const booking = { carrier, reference, request, kind, ...make() };
    byReference.set(key, booking);
    booked.push(booking);
    return booking;
  };

  const json = (res: ServerResponse, status: number, body: unknown, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type });
    res.end(JSON.stringify(body));
  };
  const soap = (res: ServerResponse, status: number, inner: string) => {
    res.writeHead(status, { 'content-type': 'text/xml; charset=utf-8' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>${inner}</soap:Body></soap:Envelope>`,
    );
  };
  const bearer = (req: IncomingMessage) => /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? null;
  const basic = (req: IncomingMessage) => Buffer.from(/^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '', 'base64').toString('utf8');
  const failing = (carrier: BookableCarrier, res: ServerResponse) => {
    const status = failures.get(carrier);
    if (status === undefined) return false;
    failures.delete(carrier);
    json(res, status, { error: `sandbox ${carrier} answered ${status} as asked` });
    return true;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const path = url.pathname;
    const text = req.method === 'POST' ? await readBody(req) : '';
    const body = (() => {
      try {
        return text ? (JSON.parse(text) as Record<string, any>) : {};
      } catch {
        return {};
      }
    })();

    // UPS: OAuth client credentials, then Shipping API.
    if (path === '/security/v1/oauth/token' && req.method === 'POST') {
      if (basic(req) !== `${creds.ups.clientId}:${creds.ups.clientSecret}` || !text.includes('grant_type=client_credentials'))
        return json(res, 401, { response: { errors: [{ code: '250003', message: 'Invalid Access License number' }] } });
      return json(res, 200, { token_type: 'Bearer', access_token: issue(), expires_in: '14399', status: 'approved' });
    }
    if (/^\/api\/shipments\/v\d+\/ship$/.test(path) && req.method === 'POST') {
      if (!tokens.has(bearer(req) ?? '')) return json(res, 401, { response: { errors: [{ code: '250002', message: 'Invalid Authentication Information.' }] } });
      if (failing('ups', res)) return;
      const shipment = body.ShipmentRequest?.Shipment;
      if (!shipment?.ShipTo?.Address?.PostalCode || !shipment?.Package?.PackageWeight?.Weight)
        return json(res, 400, { response: { errors: [{ code: '120100', message: 'Missing or invalid ship to postal code / package weight' }] } });
      const returnService = shipment.ReturnService?.Code as string | undefined;
      // A return shipment needs a ShipFrom (the consumer) and a package description, as UPS requires.
      if (
        returnService !== undefined &&
        (!['2', '3', '5', '8', '9'].includes(returnService) || !shipment.ShipFrom?.Address?.PostalCode || !shipment.Package?.Description)
      )
        return json(res, 400, {
          response: { errors: [{ code: '120541', message: 'Return shipments require a valid ReturnService code, ShipFrom and a package description' }] },
        });
      const b = book(
        'ups',
        String(shipment.ReferenceNumber?.Value ?? req.headers.transid),
        body,
        () => {
          const tracking = `1Z${creds.ups.accountNumber}${shipment.Service?.Code === '07' ? '01' : returnService ? '90' : '68'}${digits(8)}`;
          return { trackingNumber: tracking, carrierReference: tracking.slice(0, 18) };
        },
        returnService ? 'RETURN' : 'OUTBOUND',
      );
      return json(res, 200, {
        ShipmentResponse: {
          Response: { ResponseStatus: { Code: '1', Description: 'Success' } },
          ShipmentResults: { ShipmentIdentificationNumber: b.carrierReference, PackageResults: [{ TrackingNumber: b.trackingNumber }] },
        },
      });
    }

    // PostNL: Barcode, then Labelling with confirm.
    if (path === '/shipment/v1_1/barcode' && req.method === 'GET') {
      if (req.headers.apikey !== creds.postnl.apiKey) return json(res, 401, { fault: { faultstring: 'Invalid ApiKey' } });
      if (url.searchParams.get('CustomerCode') !== creds.postnl.customerCode) return json(res, 400, { Errors: [{ ErrorMsg: 'CustomerCode unknown' }] });
      return json(res, 200, { Barcode: `3S${creds.postnl.customerCode}${digits(9)}` });
    }
    if (path === '/shipment/v2_2/label' && req.method === 'POST') {
      if (req.headers.apikey !== creds.postnl.apiKey) return json(res, 401, { fault: { faultstring: 'Invalid ApiKey' } });
      if (failing('postnl', res)) return;
      const shipment = body.Shipments?.[0];
      if (!shipment?.Barcode || !shipment.Addresses?.[0]?.Zipcode)
        return json(res, 400, { Errors: [{ Code: '12', Description: 'Barcode and receiver address are required' }] });
      const isReturn = shipment.ProductCodeDelivery === '2285';
      // A return label names its sender (AddressType 02): where PostNL collects it or who drops it off.
      if (isReturn && !shipment.Addresses?.some((a: { AddressType?: string; Zipcode?: string }) => a.AddressType === '02' && a.Zipcode))
        return json(res, 400, { Errors: [{ Code: '13', Description: 'A return label (2285) needs the sender address (AddressType 02)' }] });
      const b = book(
        'postnl',
        String(body.Message?.MessageID ?? shipment.Barcode),
        body,
        () => ({ trackingNumber: shipment.Barcode, carrierReference: shipment.Barcode }),
        isReturn ? 'RETURN' : 'OUTBOUND',
      );
      return json(res, 200, {
        MergedLabels: [],
        ResponseShipments: [{ Barcode: b.trackingNumber, ProductCodeDelivery: shipment.ProductCodeDelivery, Labels: [], Warnings: [] }],
      });
    }

    // DHL Parcel: API key authentication, then labels.
    if (path === '/authenticate/api-key' && req.method === 'POST') {
      if (body.userId !== creds.dhl.userId || body.key !== creds.dhl.key) return json(res, 401, { key: 'UNAUTHORIZED', message: 'invalid userId or key' });
      return json(res, 200, {
        accessToken: issue(),
        accessTokenExpiration: Math.floor(Date.now() / 1000) + 900,
        refreshToken: secret(),
        accountNumbers: [creds.dhl.accountId],
      });
    }
    if (path === '/labels' && req.method === 'POST') {
      if (!tokens.has(bearer(req) ?? '')) return json(res, 401, { key: 'UNAUTHORIZED' });
      if (failing('dhl', res)) return;
      if (body.accountId !== creds.dhl.accountId || !body.receiver?.address?.postalCode || !Array.isArray(body.pieces))
        return json(res, 400, { key: 'INVALID_REQUEST', message: 'accountId, receiver.address and pieces are required' });
      if (body.returnLabel === true && !body.shipper?.address?.postalCode)
        return json(res, 400, { key: 'INVALID_REQUEST', message: 'a return label needs the shipper (the consumer) address' });
      const b = book(
        'dhl',
        String(body.options?.find((o: { key: string }) => o.key === 'REFERENCE')?.input ?? body.labelId),
        body,
        () => ({ trackingNumber: `JVGL${digits(20)}`, carrierReference: String(body.labelId) }),
        body.returnLabel === true ? 'RETURN' : 'OUTBOUND',
      );
      return json(res, 200, {
        labelId: b.carrierReference,
        trackerCode: b.trackingNumber,
        parcelType: body.parcelTypeKey,
        pieceNumber: 1,
        routingCode: 'NL-1014-BA',
      });
    }

    // DPD: SOAP login and storeOrders.
    if (path === '/services/LoginService/V2_0/' && req.method === 'POST') {
      const tag = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1];
      if (tag('delisId') !== creds.dpd.delisId || tag('password') !== creds.dpd.password)
        return soap(res, 500, '<soap:Fault><faultcode>soap:Server</faultcode><faultstring>LOGIN_5</faultstring></soap:Fault>');
      return soap(
        res,
        200,
        `<ns2:getAuthResponse xmlns:ns2="http://dpd.com/common/service/types/LoginService/2.0"><return><delisId>${creds.dpd.delisId}</delisId><customerUid>${creds.dpd.delisId}</customerUid><authToken>${issue()}</authToken><depot>${creds.dpd.sendingDepot}</depot></return></ns2:getAuthResponse>`,
      );
    }
    if (path === '/services/ShipmentService/V4_4/' && req.method === 'POST') {
      const token = new RegExp('<authToken>([^<]*)</authToken>').exec(text)?.[1];
      if (!tokens.has(token ?? ''))
        return soap(res, 500, '<soap:Fault><faultcode>soap:Server</faultcode><faultstring>Authentication failed</faultstring></soap:Fault>');
      if (failing('dpd', res)) return;
      const reference = new RegExp('<identificationNumber>([^<]*)</identificationNumber>').exec(text)?.[1];
      if (!reference || !text.includes('<recipient>'))
        return soap(
          res,
          200,
          '<ns2:storeOrdersResponse><orderResult><shipmentResponses><faults><faultCode>COMMON_7</faultCode><message>recipient missing</message></faults></shipmentResponses></orderResult></ns2:storeOrdersResponse>',
        );
      const b = book(
        'dpd',
        reference,
        text,
        () => {
          const parcel = `0${digits(13)}`;
          return { trackingNumber: parcel, carrierReference: `MPS${parcel}${new Date().toISOString().slice(0, 10).replace(/-/g, '')}` };
        },
        text.includes('<returns>true</returns>') ? 'RETURN' : 'OUTBOUND',
      );
      return soap(
        res,
        200,
        `<ns2:storeOrdersResponse xmlns:ns2="http://dpd.com/common/service/types/ShipmentService/4.4"><orderResult><shipmentResponses><identificationNumber>${reference}</identificationNumber><mpsId>${b.carrierReference}</mpsId><parcelInformation><parcelLabelNumber>${b.trackingNumber}</parcelLabelNumber></parcelInformation></shipmentResponses></orderResult></ns2:storeOrdersResponse>`,
      );
    }

    // GLS ShipIT.
    if (path === '/backend/rs/shipments' && req.method === 'POST') {
      if (basic(req) !== `${creds.gls.username}:${creds.gls.password}`) return json(res, 401, { error: 'unauthorized' });
      if (failing('gls', res)) return;
      const shipment = body.Shipment;
      if (shipment?.Shipper?.ContactID !== creds.gls.contactId || !shipment?.Consignee?.Address?.ZIPCode)
        return json(res, 400, { errors: [{ exitCode: -1, exitMessage: 'Shipper.ContactID and Consignee.Address are required' }] });
      const shopReturn =
        Array.isArray(shipment.Service) && shipment.Service.some((service: Record<string, any>) => service.ShopReturn?.ServiceName === 'service_shopreturn');
      const b = book(
        'gls',
        String(shipment.ShipmentReference?.[0]),
        body,
        () => ({ trackingNumber: digits(11), carrierReference: alnum(8) }),
        shopReturn ? 'RETURN' : 'OUTBOUND',
      );
      return json(
        res,
        201,
        {
          CreatedShipment: {
            ShipmentReference: shipment.ShipmentReference,
            ParcelData: [{ TrackID: b.carrierReference, ParcelNumber: b.trackingNumber }],
            PrintData: [],
          },
        },
        'application/glsVersion1+json',
      );
    }

    // InPost ShipX: the tracking number comes with the next read, as it does at InPost.
    const inpostCreate = /^\/v1\/organizations\/([^/]+)\/shipments$/.exec(path);
    if (inpostCreate && req.method === 'POST') {
      if (bearer(req) !== creds.inpost.token) return json(res, 401, { status: 401, error: 'token_invalid' });
      if (failing('inpost', res)) return;
      // A return (is_return) names its sender, the consumer; ShipX sends it to the organization's address.
      const party = body.is_return === true ? body.sender : body.receiver;
      if (inpostCreate[1] !== creds.inpost.organizationId || !party?.address?.post_code || !Array.isArray(body.parcels))
        return json(res, 400, { status: 400, error: 'validation_failed' });
      const b = book(
        'inpost',
        String(body.external_customer_id ?? body.reference),
        body,
        () => ({ trackingNumber: digits(24), carrierReference: String(randomInt(1_000_000, 9_999_999)) }),
        body.is_return === true ? 'RETURN' : 'OUTBOUND',
      );
      inpostById.set(b.carrierReference, b);
      return json(res, 201, { id: Number(b.carrierReference), status: 'created', tracking_number: null, service: body.service, reference: body.reference });
    }
    const inpostRead = /^\/v1\/shipments\/([^/]+)$/.exec(path);
    if (inpostRead && req.method === 'GET') {
      if (bearer(req) !== creds.inpost.token) return json(res, 401, { status: 401, error: 'token_invalid' });
      const b = inpostById.get(inpostRead[1]!);
      if (!b) return json(res, 404, { status: 404, error: 'resource_not_found' });
      return json(res, 200, { id: Number(b.carrierReference), status: 'confirmed', tracking_number: b.trackingNumber });
    }
    json(res, 404, { error: `the sandbox carriers do not serve ${req.method} ${path}` });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { error: (error as Error).message });
      else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    credentials: {
      ups: { ...creds.ups, baseUrl: url, shipper: SHIPPER },
      dhl: { ...creds.dhl, baseUrl: url, shipper: SHIPPER },
      postnl: { ...creds.postnl, baseUrl: url, shipper: SHIPPER },
      dpd: { ...creds.dpd, baseUrl: url, shipper: SHIPPER },
      gls: { ...creds.gls, baseUrl: url },
      inpost: { ...creds.inpost, baseUrl: url },
    },
    bookings: (carrier) => booked.filter((b) => !carrier || b.carrier === carrier),
    failNext: (carrier, status) => failures.set(carrier, status),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
