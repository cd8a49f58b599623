import type { CarrierScan } from './scans.ts';
import type { InboundWebhookRequest, ParsedWebhook } from './webhooks/common.ts';
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

/** Per-carrier webhook secrets (from configuration, never from the request). */
export interface CarrierWebhookSecrets {
  ups: UpsWebhookConfig;
  dhl: DhlWebhookConfig;
  postnl: PostnlWebhookConfig;
  dpd: DpdWebhookConfig;
  gls: GlsWebhookConfig;
  inpost: InpostWebhookConfig;
}

export function isWebhookCarrier(code: string): code is WebhookCarrier {
  return (WEBHOOK_CARRIERS as readonly string[]).includes(code);
}

/**
 * Authenticates and parses one inbound webhook for `carrier` (from the route, e.g. POST /webhooks/carriers/:carrier).
 * `now` bounds signed timestamps (InPost).
 */
export function parseCarrierWebhook(carrier: WebhookCarrier, request: InboundWebhookRequest, secrets: CarrierWebhookSecrets, now: Date = new Date()): ParsedWebhook {
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
