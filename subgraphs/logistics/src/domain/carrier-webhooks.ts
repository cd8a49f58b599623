import type { CarrierScan } from './scans.ts';
import { WebhookAuthenticationError, type InboundWebhookRequest, type ParsedWebhook } from './webhooks/common.ts';
import { parseDhlWebhook, type DhlWebhookConfig } from './webhooks/dhl.ts';
import { parseDpdWebhook, type DpdWebhookConfig } from './webhooks/dpd.ts';
import { parseGlsWebhook, type GlsWebhookConfig } from './webhooks/gls.ts';
import { parseInpostWebhook, type InpostWebhookConfig } from './webhooks/inpost.ts';
import { parsePostnlWebhook, type PostnlWebhookConfig } from './webhooks/postnl.ts';
import { parseUpsWebhook, type UpsWebhookConfig } from './webhooks/ups.ts';

/**
 * Inbound carrier tracking webhooks: authenticate the raw request, read the carrier's payload shape, map its status
 * codes to our scan types. One parser per carrier (see each file for the payload and how the carrier authenticates):
 *
 * | carrier | payload                                  | authentication                                           |
 * | ------- | ---------------------------------------- | -------------------------------------------------------- |
 * | ups     | Track Alert TrackingEventRequest (JSON)  | `credential` header = subscription credential            |
 * | dhl     | Unified Tracking push `shipments[]`      | header + token of the subscription's ApiKeyAuthentication |
 * | postnl  | Shippingstatus records `Shipments[]`     | `x-ipay-webhook-token` header                            |
 * | dpd     | Tracking Push Service query parameters   | `token` query parameter in the registered URL            |
 * | gls     | parcel events `events[]`                 | `x-ipay-webhook-token` header                            |
 * | inpost  | ShipX `shipment_status_changed`          | HMAC-SHA256 `x-inpost-signature` (+ `x-inpost-timestamp`) |
 *
 * Freshness: InPost signs a timestamp (300 s window); the others sign none, so the scans' event times must lie within
 * the carrier's `maxEventAgeSeconds` (default 14 days, per carrier in LOGISTICS_WEBHOOK_SECRETS) — see EventAgeWindow.
 *
 * Shared secrets and HMACs are compared in constant time. Failures throw WebhookAuthenticationError (answer 401) or
 * MalformedPayloadError (answer 400, naming the field); nothing of a failed request may be stored. Carrier events that
 * are not scans we act on come back in `ignored` with the reason.
 */

export * from './webhooks/common.ts';
export { UPS_FAILED_ATTEMPT_CODES, type UpsWebhookConfig } from './webhooks/ups.ts';
export type { DhlWebhookConfig } from './webhooks/dhl.ts';
export { POSTNL_RETURN_DELIVERED_EVENTS, POSTNL_TOKEN_HEADER, type PostnlWebhookConfig } from './webhooks/postnl.ts';
export { DPD_TOKEN_PARAMETER, dpdAcknowledgement, type DpdWebhookConfig } from './webhooks/dpd.ts';
export { GLS_TOKEN_HEADER, type GlsWebhookConfig } from './webhooks/gls.ts';
export { INPOST_SIGNATURE_HEADER, INPOST_TIMESTAMP_HEADER, inpostSignature, type InpostWebhookConfig } from './webhooks/inpost.ts';
export { parseDhlWebhook, parseDpdWebhook, parseGlsWebhook, parseInpostWebhook, parsePostnlWebhook, parseUpsWebhook };

export const WEBHOOK_CARRIERS = ['ups', 'dhl', 'postnl', 'dpd', 'gls', 'inpost'] as const;
export type WebhookCarrier = (typeof WEBHOOK_CARRIERS)[number];

/**
 * The freshness window of a carrier whose pushes carry no signed timestamp (all but InPost): a push with a scan
 * whose event time is older than this is refused (401 STALE_TIMESTAMP), as is one more than
 * CARRIER_EVENT_FUTURE_SKEW_SECONDS in the future. The credential is a static shared secret, so the scan time is
 * the only date there is; carriers re-send pushes that were not acknowledged for a while, hence a window of days.
 * Inside it a replayed push is harmless: its scans keep their event ids and are deduplicated.
 */
export interface EventAgeWindow {
  /** Default CARRIER_DEFAULT_MAX_EVENT_AGE_SECONDS (14 days: longer than any simulated journey, a return included). */
  maxEventAgeSeconds?: number;
}

export const CARRIER_DEFAULT_MAX_EVENT_AGE_SECONDS = 14 * 86_400;
/** Carrier clocks and local-time conversions drift: a scan up to 15 minutes ahead of our clock passes. */
export const CARRIER_EVENT_FUTURE_SKEW_SECONDS = 900;
/** Carriers that sign a timestamp of their own, checked strictly by their parser instead (InPost: 300 s). */
const SIGNED_TIMESTAMP_CARRIERS: ReadonlySet<string> = new Set(['inpost']);

/** Per-carrier webhook secrets (from configuration, never from the request), with their freshness windows. */
export interface CarrierWebhookSecrets {
  ups: UpsWebhookConfig & EventAgeWindow;
  dhl: DhlWebhookConfig & EventAgeWindow;
  postnl: PostnlWebhookConfig & EventAgeWindow;
  dpd: DpdWebhookConfig & EventAgeWindow;
  gls: GlsWebhookConfig & EventAgeWindow;
  inpost: InpostWebhookConfig;
}

export function isWebhookCarrier(code: string): code is WebhookCarrier {
  return (WEBHOOK_CARRIERS as readonly string[]).includes(code);
}

/**
 * Authenticates and parses one inbound webhook for `carrier` (from the route, e.g. POST /webhooks/carriers/:carrier).
 * `now` bounds signed timestamps (InPost) and, for the carriers that sign none, the scans' event times.
 */
export function parseCarrierWebhook(
  carrier: WebhookCarrier,
  request: InboundWebhookRequest,
  secrets: CarrierWebhookSecrets,
  now: Date = new Date(),
): ParsedWebhook {
  const parsed = parseFor(carrier, request, secrets, now);
  if (!SIGNED_TIMESTAMP_CARRIERS.has(carrier)) checkEventAge(carrier, parsed, (secrets[carrier] as EventAgeWindow).maxEventAgeSeconds, now);
  return parsed;
}

/** Refuses the whole push (nothing of it is stored) when any scan lies outside the carrier's window. */
function checkEventAge(carrier: WebhookCarrier, parsed: ParsedWebhook, maxEventAgeSeconds: number | undefined, now: Date): void {
  const max = maxEventAgeSeconds ?? CARRIER_DEFAULT_MAX_EVENT_AGE_SECONDS;
  if (!Number.isInteger(max) || max < 1) throw new Error(`${carrier} webhook maxEventAgeSeconds must be a positive integer`);
  parsed.scans.forEach((scan, i) => {
    const age = Math.floor((now.getTime() - scan.occurredAt.getTime()) / 1000);
    if (age > max)
      throw new WebhookAuthenticationError(carrier, 'STALE_TIMESTAMP', `scan ${i} (${scan.trackingNumber}) happened ${age} s ago, outside the ${max} s window`);
    if (age < -CARRIER_EVENT_FUTURE_SKEW_SECONDS)
      throw new WebhookAuthenticationError(carrier, 'STALE_TIMESTAMP', `scan ${i} (${scan.trackingNumber}) lies ${-age} s in the future`);
  });
}

function parseFor(carrier: WebhookCarrier, request: InboundWebhookRequest, secrets: CarrierWebhookSecrets, now: Date): ParsedWebhook {
  switch (carrier) {
    case 'ups':
      return parseUpsWebhook(request, secrets.ups);
    case 'dhl':
      return parseDhlWebhook(request, secrets.dhl);
    case 'postnl':
      return parsePostnlWebhook(request, secrets.postnl);
    case 'dpd':
      return parseDpdWebhook(request, secrets.dpd);
    case 'gls':
      return parseGlsWebhook(request, secrets.gls);
    case 'inpost':
      return parseInpostWebhook(request, secrets.inpost, now);
    default: {
      const unknown: never = carrier;
      throw new Error(`no webhook parser for carrier ${String(unknown)}`);
    }
  }
}

export type { CarrierScan };
