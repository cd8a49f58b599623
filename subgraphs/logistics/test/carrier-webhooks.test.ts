import { describe, expect, it } from 'vitest';
import {
  applyScans,
  CARRIER_DEFAULT_MAX_EVENT_AGE_SECONDS,
  foldScans,
  inpostSignature,
  MalformedPayloadError,
  parseCarrierWebhook,
  SCENARIOS,
  WEBHOOK_CARRIERS,
  WebhookAuthenticationError,
  type CarrierWebhookSecrets,
  type InboundWebhookRequest,
  type WebhookCarrier,
} from '../src/domain/index.ts';
import { simulateScans } from '../src/sandbox/scan-simulator.ts';

const secrets: CarrierWebhookSecrets = {
  ups: { credential: 'ups-subscription-credential-3f9a' },
  dhl: { headerName: 'x-dhl-push-token', token: 'dhl-push-token-0c1d2e3f4a5b' },
  postnl: { token: 'postnl-relay-token-7b8c9d0e' },
  dpd: { token: 'dpd-url-token-5e6f7a8b9c0d' },
  gls: { token: 'gls-push-token-1a2b3c4d5e6f' },
  inpost: { secret: 'inpost-webhook-hmac-secret-9f8e7d6c' },
};

const TRACKING: Record<WebhookCarrier, string> = {
  ups: '1Z999AA10123456784',
  dhl: '00340434161094022115',
  postnl: '3SDEVC1234567',
  dpd: '01476810375209',
  gls: '91234567890',
  inpost: '520000011395200025754311',
};

const start = new Date('2026-03-02T07:30:00Z');
const simulate = (carrier: WebhookCarrier, scenario: (typeof SCENARIOS)[number] = 'HAPPY_PATH') =>
  simulateScans({ carrier, trackingNumber: TRACKING[carrier], scenario, start, secrets });

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

/** The request with one header replaced (or removed with undefined). */
function withHeader(request: InboundWebhookRequest, name: string, value: string | undefined): InboundWebhookRequest {
  const headers = Object.fromEntries(Object.entries(request.headers).filter(([k]) => k.toLowerCase() !== name.toLowerCase()));
  return { ...request, headers: value === undefined ? headers : { ...headers, [name]: value } };
}

function withQuery(request: InboundWebhookRequest, name: string, value: string | undefined): InboundWebhookRequest {
  const query = new URLSearchParams(request.query as URLSearchParams);
  if (value === undefined) query.delete(name);
  else query.set(name, value);
  return { ...request, query };
}

/** Tampers with the credential the way each carrier carries it. */
function withWrongCredential(carrier: WebhookCarrier, request: InboundWebhookRequest): InboundWebhookRequest {
  switch (carrier) {
    case 'ups':
      return withHeader(request, 'credential', 'ups-subscription-credential-3f9b');
    case 'dhl':
      return withHeader(request, 'x-dhl-push-token', 'dhl-push-token-0c1d2e3f4a5c');
    case 'postnl':
    case 'gls':
      return withHeader(request, 'x-ipay-webhook-token', 'guessed-token-000000000');
    case 'dpd':
      return withQuery(request, 'token', 'dpd-url-token-5e6f7a8b9c0e');
    case 'inpost':
      return withHeader(
        request,
        'x-inpost-signature',
        inpostSignature(String(request.rawBody), String(request.headers['x-inpost-timestamp']), { secret: 'another-secret-of-sufficient-length' }),
      );
  }
}

function withoutCredential(carrier: WebhookCarrier, request: InboundWebhookRequest): InboundWebhookRequest {
  const name = {
    ups: 'credential',
    dhl: 'x-dhl-push-token',
    postnl: 'x-ipay-webhook-token',
    gls: 'x-ipay-webhook-token',
    inpost: 'x-inpost-signature',
    dpd: '',
  }[carrier];
  return carrier === 'dpd' ? withQuery(request, 'token', undefined) : withHeader(request, name, undefined);
}

describe.each(WEBHOOK_CARRIERS)('%s webhook', (carrier) => {
  it('parses every simulated scenario into the scans the carrier sent, ending in the right status', () => {
    const finals: Record<string, string> = { HAPPY_PATH: 'DELIVERED', FAILED_ATTEMPT_THEN_DELIVERED: 'DELIVERED', RETURNED_TO_SENDER: 'RETURNED_TO_SENDER' };
    for (const scenario of SCENARIOS) {
      const pushes = simulate(carrier, scenario);
      const scans = pushes.flatMap((p) => {
        const parsed = parseCarrierWebhook(carrier, p.request, secrets, p.sentAt);
        expect(parsed.ignored).toEqual([]);
        expect(parsed.scans).toHaveLength(1);
        expect(parsed.scans[0]).toMatchObject({
          carrierCode: carrier,
          trackingNumber: TRACKING[carrier],
          type: p.expected.type,
          occurredAt: p.expected.occurredAt,
        });
        return parsed.scans;
      });
      expect(foldScans(scans).status).toBe(finals[scenario]);
    }
  });

  it('gives a re-delivered push the same event id, so it de-duplicates', () => {
    const [pickup, transit] = simulate(carrier);
    const once = parseCarrierWebhook(carrier, transit!.request, secrets, transit!.sentAt).scans;
    const again = parseCarrierWebhook(carrier, transit!.request, secrets, transit!.sentAt).scans;
    expect(again[0]!.carrierEventId).toBe(once[0]!.carrierEventId);
    const first = parseCarrierWebhook(carrier, pickup!.request, secrets, pickup!.sentAt).scans;
    expect(applyScans([...first, ...once], again).newScans).toEqual([]);
  });

  it('refuses a wrong or missing credential or signature, before reading the payload', () => {
    const push = simulate(carrier)[0]!;
    const wrong = thrown(() => parseCarrierWebhook(carrier, withWrongCredential(carrier, push.request), secrets, push.sentAt));
    expect(wrong).toBeInstanceOf(WebhookAuthenticationError);
    expect(wrong).toMatchObject({ carrierCode: carrier, code: carrier === 'inpost' ? 'BAD_SIGNATURE' : 'BAD_CREDENTIAL', httpStatus: 401 });
    const missing = thrown(() => parseCarrierWebhook(carrier, withoutCredential(carrier, push.request), secrets, push.sentAt));
    expect(missing).toMatchObject({ code: carrier === 'inpost' ? 'MISSING_SIGNATURE' : 'MISSING_CREDENTIAL', httpStatus: 401 });
  });

  it('refuses an authentic but malformed payload, naming the field', () => {
    const push = simulate(carrier)[1]!;
    let request: InboundWebhookRequest;
    let field: string;
    if (carrier === 'dpd') {
      request = withQuery(push.request, 'statusdate', '31022026101500');
      field = 'statusdate';
    } else {
      const body = JSON.parse(String(push.request.rawBody));
      switch (carrier) {
        case 'ups':
          delete body.activityStatus;
          field = 'activityStatus';
          break;
        case 'dhl':
          body.shipments[0].events[0].timestamp = 'yesterday';
          field = 'shipments[0].events[0].timestamp';
          break;
        case 'postnl':
          body.Shipments[0].Barcode = 'not a barcode!';
          field = 'Shipments[0].Barcode';
          break;
        case 'gls':
          body.events = {};
          field = 'events';
          break;
        default:
          body.payload.tracking_number = 42;
          field = 'payload.tracking_number';
      }
      const rawBody = JSON.stringify(body);
      request = { ...push.request, rawBody };
      if (carrier === 'inpost') {
        const ts = String(push.request.headers['x-inpost-timestamp']);
        request = withHeader(request, 'x-inpost-signature', inpostSignature(rawBody, ts, secrets.inpost));
      }
    }
    const error = thrown(() => parseCarrierWebhook(carrier, request, secrets, push.sentAt));
    expect(error).toBeInstanceOf(MalformedPayloadError);
    expect(error).toMatchObject({ field, httpStatus: 400, code: 'MALFORMED_PAYLOAD' });
  });
});

const UNSIGNED_TIMESTAMP_CARRIERS = WEBHOOK_CARRIERS.filter((c) => c !== 'inpost');

describe.each(UNSIGNED_TIMESTAMP_CARRIERS)('%s freshness (no signed timestamp: the scan time decides)', (carrier) => {
  it('deduplicates a push replayed inside the window and refuses it after the window (401 STALE_TIMESTAMP), also when configured tighter', () => {
    const [pickup, transit] = simulate(carrier);
    const first = parseCarrierWebhook(carrier, transit!.request, secrets, transit!.sentAt).scans;
    // Replayed six minutes and thirteen days later: inside the 14-day default, same event ids, nothing new.
    for (const later of [6 * 60_000, 13 * 86_400_000]) {
      const replay = parseCarrierWebhook(carrier, transit!.request, secrets, new Date(transit!.sentAt.getTime() + later)).scans;
      expect(replay.map((s) => s.carrierEventId)).toEqual(first.map((s) => s.carrierEventId));
      expect(applyScans([...parseCarrierWebhook(carrier, pickup!.request, secrets, pickup!.sentAt).scans, ...first], replay).newScans).toEqual([]);
    }
    const occurredAt = transit!.expected.occurredAt.getTime();
    const stale = thrown(() =>
      parseCarrierWebhook(carrier, transit!.request, secrets, new Date(occurredAt + CARRIER_DEFAULT_MAX_EVENT_AGE_SECONDS * 1000 + 1000)),
    );
    expect(stale).toBeInstanceOf(WebhookAuthenticationError);
    expect(stale).toMatchObject({ carrierCode: carrier, code: 'STALE_TIMESTAMP', httpStatus: 401 });
    const tight = { ...secrets, [carrier]: { ...secrets[carrier], maxEventAgeSeconds: 300 } } as CarrierWebhookSecrets;
    expect(thrown(() => parseCarrierWebhook(carrier, transit!.request, tight, new Date(occurredAt + 301_000)))).toMatchObject({
      code: 'STALE_TIMESTAMP',
      httpStatus: 401,
    });
    expect(parseCarrierWebhook(carrier, transit!.request, tight, new Date(occurredAt + 299_000)).scans).toHaveLength(1);
    // A scan dated beyond the clock-skew allowance is refused as well.
    expect(thrown(() => parseCarrierWebhook(carrier, transit!.request, secrets, new Date(occurredAt - 901_000)))).toMatchObject({
      code: 'STALE_TIMESTAMP',
      httpStatus: 401,
    });
  });
});

describe('carrier specifics', () => {
  it('UPS: a manifest event is not a scan; type D is out for delivery until UPS fills the delivery date', () => {
    const body = {
      trackingNumber: ' 1Z999AA10123456784',
      gmtActivityDate: '20260302',
      gmtActivityTime: '041230',
      activityLocation: { city: '', stateProvince: '', postalCode: '', country: 'NL' },
      activityStatus: { type: 'M', code: 'MP', description: 'Shipment Ready for UPS', descriptionCode: '003' },
      actualDeliveryDate: '',
    };
    const request = (b: object): InboundWebhookRequest => ({
      method: 'POST',
      headers: { Credential: secrets.ups.credential },
      query: {},
      rawBody: JSON.stringify(b),
    });
    const at = new Date('2026-03-02T04:13:00Z');
    const manifest = parseCarrierWebhook('ups', request(body), secrets, at);
    expect(manifest.scans).toEqual([]);
    expect(manifest.ignored).toEqual([{ trackingNumber: '1Z999AA10123456784', carrierStatusCode: 'M/MP', reason: 'manifest (label created); not a scan' }]);
    const loaded = parseCarrierWebhook('ups', request({ ...body, activityStatus: { type: 'D', code: 'YP' } }), secrets, at);
    expect(loaded.scans[0]).toMatchObject({ type: 'OUT_FOR_DELIVERY', occurredAt: new Date('2026-03-02T04:12:30Z') });
    const delivered = parseCarrierWebhook('ups', request({ ...body, activityStatus: { type: 'D', code: 'FS' }, actualDeliveryDate: '20260302' }), secrets, at);
    expect(delivered.scans[0]?.type).toBe('DELIVERED');
    const exception = parseCarrierWebhook(
      'ups',
      request({ ...body, activityStatus: { type: 'X', code: 'AD', description: 'Address corrected' } }),
      secrets,
      at,
    );
    expect(exception.ignored[0]?.reason).toBe('exception AD does not change the status');
  });

  it('DPD: answers with its push id echoed in XML, and reads German local time', () => {
    const push = simulate('dpd')[0]!;
    const parsed = parseCarrierWebhook('dpd', push.request, secrets, push.sentAt);
    const pushid = (push.request.query as URLSearchParams).get('pushid');
    expect(parsed.response).toEqual({ status: 200, contentType: 'application/xml', body: `<push><pushid>${pushid}</pushid><status>OK</status></push>` });
    // 07:30 UTC on 2 March is 08:30 in Germany (CET).
    expect((push.request.query as URLSearchParams).get('statusdate')).toBe('02032026083000');
    const injected = thrown(() => parseCarrierWebhook('dpd', withQuery(push.request, 'pushid', '1</pushid><x>'), secrets, push.sentAt));
    expect(injected).toMatchObject({ field: 'pushid' });
  });

  it('PostNL: status 11 with a return event is a return to the sender, and times are Dutch local time', () => {
    const request = (statusCode: string, event: string, timeStamp = '30-03-2026 10:15:00'): InboundWebhookRequest => ({
      method: 'POST',
      headers: { 'x-ipay-webhook-token': secrets.postnl.token },
      query: {},
      rawBody: JSON.stringify({ Shipments: [{ Barcode: '3SDEVC1234567', Status: { TimeStamp: timeStamp, StatusCode: statusCode }, Event: { Code: event } }] }),
    });
    const at = new Date('2026-03-30T08:16:00Z');
    expect(parseCarrierWebhook('postnl', request('11', 'J63'), secrets, at).scans[0]).toMatchObject({
      type: 'RETURNED_TO_SENDER',
      carrierStatusCode: '11/J63',
    });
    // 30 March 2026 is summer time (UTC+2).
    expect(parseCarrierWebhook('postnl', request('11', 'I01'), secrets, at).scans[0]).toMatchObject({
      type: 'DELIVERED',
      occurredAt: new Date('2026-03-30T08:15:00Z'),
    });
    expect(parseCarrierWebhook('postnl', request('1', 'A01'), secrets, at).ignored[0]?.reason).toBe('pre-alerted; not a scan');
  });

  it('InPost: a tampered body, a replayed old request and an unsigned request are refused', () => {
    const push = simulate('inpost')[3]!;
    const tampered = { ...push.request, rawBody: String(push.request.rawBody).replace('out_for_delivery', 'delivered') };
    expect(thrown(() => parseCarrierWebhook('inpost', tampered, secrets, push.sentAt))).toMatchObject({ code: 'BAD_SIGNATURE' });
    const replayedAt = new Date(push.sentAt.getTime() + 10 * 60_000);
    expect(thrown(() => parseCarrierWebhook('inpost', push.request, secrets, replayedAt))).toMatchObject({ code: 'STALE_TIMESTAMP' });
    const garbage = withHeader(push.request, 'x-inpost-signature', 'not base64 at all');
    expect(thrown(() => parseCarrierWebhook('inpost', garbage, secrets, push.sentAt))).toMatchObject({ code: 'BAD_SIGNATURE' });
  });

  it('InPost: verifies body-only signatures when the account is configured that way', () => {
    const bodyOnly: CarrierWebhookSecrets = { ...secrets, inpost: { ...secrets.inpost, signedContent: 'BODY' } };
    const push = simulateScans({ carrier: 'inpost', trackingNumber: TRACKING.inpost, scenario: 'HAPPY_PATH', start, secrets: bodyOnly })[4]!;
    const request = withHeader(push.request, 'x-inpost-timestamp', undefined);
    expect(parseCarrierWebhook('inpost', request, bodyOnly).scans[0]?.type).toBe('DELIVERED');
    expect(thrown(() => parseCarrierWebhook('inpost', push.request, secrets, push.sentAt))).toMatchObject({ code: 'BAD_SIGNATURE' });
  });

  it('refuses an authentication header sent twice, an empty body and a body that is not JSON', () => {
    const push = simulate('gls')[0]!;
    const doubled = { ...push.request, headers: { ...push.request.headers, 'X-Ipay-Webhook-Token': secrets.gls.token } };
    expect(thrown(() => parseCarrierWebhook('gls', doubled, secrets))).toMatchObject({ field: 'header x-ipay-webhook-token' });
    expect(thrown(() => parseCarrierWebhook('gls', { ...push.request, rawBody: '' }, secrets))).toMatchObject({
      field: 'body',
      message: 'gls webhook: body: is empty',
    });
    expect(thrown(() => parseCarrierWebhook('gls', { ...push.request, rawBody: '{"parcelNumber":' }, secrets))).toMatchObject({ field: 'body' });
  });

  it('fails closed when a secret is not configured', () => {
    const push = simulate('ups')[0]!;
    expect(() => parseCarrierWebhook('ups', push.request, { ...secrets, ups: { credential: '' } })).toThrow(/not configured/);
  });
});
