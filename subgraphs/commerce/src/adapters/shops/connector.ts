import { ConnectorCredentialsError } from './errors.ts';
import { HttpClient, type ErrorConventions, type HttpOptions } from './http.ts';
import { runSync, type SyncSource } from '../../app/sync.ts';
import { PAY_ON_ARRIVAL_STATUSES, type PayOnArrivalStatus } from '../../domain/order-status.ts';

/** The order statuses of IPAY's pay-on-arrival flow (commerce's domain owns them). */
export const OUR_STATUSES = PAY_ON_ARRIVAL_STATUSES;
export type OurStatus = PayOnArrivalStatus;

export const PLATFORMS = [
  'shopify',
  'woocommerce',
  'prestashop',
  'magento',
  'bigcommerce',
  'odoo',
  'shopware',
  'lightspeed',
  'bolcom',
  'amazon',
  'lazada',
  'shopee',
  'tiktok',
  'temu',
  'aliexpress',
  'vinted',
  'allegro',
  'etsy',
] as const;
export type PlatformCode = (typeof PLATFORMS)[number];

export type ConnectorKind = 'shop' | 'marketplace';

export interface CredentialField {
  /** Key in the credentials object. */
  key: string;
  label: string;
  /** Secrets must be stored encrypted and never logged. */
  secret: boolean;
  required: boolean;
  /** Shape check done before any request is sent. */
  pattern?: RegExp;
  /** What the merchant should paste, shown next to the field and in validation errors. */
  hint: string;
}

export type Credentials = Readonly<Record<string, string>>;

/** Where and how to reach one merchant's account. */
export interface ConnectorTarget {
  /** API root of this merchant's shop or of the platform region (e.g. https://shop.example/wp-json/wc/v3 → give https://shop.example). */
  baseUrl: string;
  credentials: unknown;
  /** Token endpoint host for platforms whose OAuth server is a different host (Amazon LWA, bol.com login). */
  authBaseUrl?: string;
  http?: HttpOptions;
}

export interface ConnectedAccount {
  platform: PlatformCode;
  /** The platform's id of the shop / seller account. */
  externalAccountId: string;
  name: string;
  /** Default currency of the account, when the platform reports one. */
  currency?: string;
}

export interface FetchOrdersRequest {
  /** Cursor returned by the previous fetchOrders of this account; null/undefined starts at `initialSince`. */
  cursor?: string | null;
  /** First sync only: orders updated at or after this instant. Default: 30 days before `now`. */
  initialSince?: Date;
  /** Injected clock (tests, replays). */
  now?: Date;
  /**
   * Orders changed in the last `settleMs` are left for the next sync, so that writes still being committed on the
   * platform (and clock skew between us and it) cannot slip behind the cursor. Never below the platform's own minimum.
   */
  settleMs?: number;
  /** Page size asked of the platform (capped at its maximum). */
  pageSize?: number;
  /** Above this many pages in one window the window is halved and the rest left for the next call. */
  maxPages?: number;
}

/** One order as the platform returned it (plus related resources it had to be fetched with). */
export interface RawOrder {
  platform: PlatformCode;
  externalId: string;
  /** Platform's last-modified instant, ISO 8601 UTC. */
  updatedAt: string;
  payload: unknown;
}

export interface FetchOrdersResult {
  /** New or changed orders, oldest change first. */
  orders: RawOrder[];
  /** Opaque; store it and pass it back. Always returned, even when nothing changed. */
  nextCursor: string;
  /** The closed interval of platform update times this call covered. */
  window: { from: string; until: string };
  /** False when the window was cut short (too many pages): call again right away to continue. */
  caughtUp: boolean;
}

export interface MappedLine {
  sku: string;
  name: string;
  /** Positive integer. */
  quantity: number;
  /** Minor units of the order currency; tax-inclusive when `amounts.taxIncluded`. */
  unitAmount: number;
}

export interface MappedOrder {
  platform: PlatformCode;
  externalId: string;
  /** What the merchant and the customer call the order (Shopify "#1001", Magento increment id...). */
  merchantReference: string;
  /** The platform's own status, verbatim, for display and diagnosis. */
  platformStatus: string;
  /** ISO 4217. */
  currency: string;
  /** What the customer owes, in minor units: the platform's grand total (see `amounts.difference`). */
  totalAmount: number;
  /**
   * Components in minor units. `items` is Σ unitAmount × quantity; `expected = items + shipping + fees − discount
   * (+ tax unless taxIncluded)`; `difference = totalAmount − expected`. The platform total is trusted (it is what the
   * customer was shown and what the courier collects); a non-zero difference is per-unit rounding or a component the
   * platform does not itemise, and is surfaced rather than hidden.
   */
  amounts: {
    items: number;
    shipping: number;
    discount: number;
    tax: number;
    fees: number;
    taxIncluded: boolean;
    difference: number;
  };
  customer: {
    name: string;
    /** Null where the marketplace withholds buyer e-mail (Shopee, Lazada, AliExpress, Vinted, bol.com without consent). */
    email: string | null;
    phone?: string;
  };
  shippingAddress: {
    name: string;
    line1: string;
    line2?: string;
    city: string;
    /** Empty only for countries without postal codes. */
    postalCode: string;
    region?: string;
    /** ISO 3166-1 alpha-2. */
    country: string;
  };
  lines: MappedLine[];
  placedAt: string;
  updatedAt: string;
  paymentMethodHint?: {
    /** `cash_on_delivery`: the platform marks the order pay-on-delivery; `prepaid`: already paid on the platform. */
    kind: 'cash_on_delivery' | 'prepaid' | 'unpaid';
    /** The platform's label or code for the method. */
    label: string;
  };
}

export interface PushStatusDetails {
  trackingNumber?: string;
  /** Carrier name or the platform's carrier code, as the platform expects it. */
  carrier?: string;
  /** Free text for platforms that record a note/comment. */
  note?: string;
}

export type PushStatusResult = { outcome: 'pushed'; platformAction: string } | { outcome: 'skipped'; reason: string };

export interface Connector {
  readonly platform: PlatformCode;
  readonly kind: ConnectorKind;
  readonly displayName: string;
  readonly credentialFields: readonly CredentialField[];
  /** What pushStatus does for each of our statuses: the platform action, or null when there is none to do. */
  readonly statusActions: Readonly<Record<OurStatus, string | null>>;
  /** Shape-checks credentials (missing/unknown/malformed fields) and returns them trimmed; throws ConnectorCredentialsError. */
  validateCredentials(input: unknown): Credentials;
  /** Verifies the credentials against the platform and returns the account; throws ConnectorAuthError when refused. */
  connect(credentials: unknown, baseUrl: string, options?: { authBaseUrl?: string; http?: HttpOptions }): Promise<ConnectedAccount>;
  fetchOrders(target: ConnectorTarget, request?: FetchOrdersRequest): Promise<FetchOrdersResult>;
  /** Pure: the platform payload (RawOrder.payload or a fixture) → MappedOrder; throws ConnectorPayloadError naming the field. */
  mapOrder(payload: unknown): MappedOrder;
  pushStatus(target: ConnectorTarget, externalId: string, status: OurStatus, details?: PushStatusDetails): Promise<PushStatusResult>;
}

/** What a connector module provides; defineConnector adds validation, HTTP client, and the sync engine. */
export interface ConnectorSpec<Api> {
  platform: PlatformCode;
  kind: ConnectorKind;
  displayName: string;
  credentialFields: readonly CredentialField[];
  statusActions: Readonly<Record<OurStatus, string | null>>;
  conventions?: ErrorConventions;
  /** Default when the caller gives no authBaseUrl. */
  defaultAuthBaseUrl?: string;
  /** Builds the authenticated API (may exchange tokens). */
  open(session: Session): Promise<Api> | Api;
  account(api: Api): Promise<Omit<ConnectedAccount, 'platform'>>;
  sync: SyncSource<Api>;
  mapOrder(payload: unknown): MappedOrder;
  push(api: Api, externalId: string, status: OurStatus, details: PushStatusDetails): Promise<PushStatusResult>;
}

export interface Session {
  baseUrl: string;
  authBaseUrl: string;
  credentials: Credentials;
  http: HttpClient;
}

export function defineConnector<Api>(spec: ConnectorSpec<Api>): Connector {
  const validate = (input: unknown) => validateCredentials(spec.platform, spec.credentialFields, input);
  const open = async (target: ConnectorTarget) => {
    const credentials = validate(target.credentials);
    const baseUrl = normaliseBaseUrl(spec.platform, target.baseUrl, 'baseUrl');
    const authBaseUrl = normaliseBaseUrl(spec.platform, target.authBaseUrl ?? spec.defaultAuthBaseUrl ?? target.baseUrl, 'authBaseUrl');
    const http = new HttpClient(spec.platform, target.http, spec.conventions);
    return spec.open({ baseUrl, authBaseUrl, credentials, http });
  };
  return {
    platform: spec.platform,
    kind: spec.kind,
    displayName: spec.displayName,
    credentialFields: spec.credentialFields,
    statusActions: spec.statusActions,
    validateCredentials: validate,
    async connect(credentials, baseUrl, options = {}) {
      const api = await open({ credentials, baseUrl, ...options });
      return { platform: spec.platform, ...(await spec.account(api)) };
    },
    async fetchOrders(target, request = {}) {
      const api = await open(target);
      return runSync(spec.platform, spec.sync, api, request);
    },
    mapOrder: (payload) => spec.mapOrder(payload),
    async pushStatus(target, externalId, status, details = {}) {
      if (!(OUR_STATUSES as readonly string[]).includes(status)) throw new TypeError(`unknown status ${String(status)}`);
      if (!externalId) throw new TypeError('externalId is required');
      if (spec.statusActions[status] === null) {
        return { outcome: 'skipped', reason: `${spec.displayName} has no equivalent of ${status}` };
      }
      return spec.push(await open(target), externalId, status, details);
    },
  };
}

export function validateCredentials(platform: string, fields: readonly CredentialField[], input: unknown): Credentials {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConnectorCredentialsError(platform, '(root)', 'must be an object of credential fields');
  }
  const known = new Set(fields.map((f) => f.key));
  for (const key of Object.keys(input)) {
    if (!known.has(key)) throw new ConnectorCredentialsError(platform, key, `is not a ${platform} credential (expected ${[...known].join(', ')})`);
  }
  const out: Record<string, string> = {};
  for (const field of fields) {
    const raw = (input as Record<string, unknown>)[field.key];
    if (raw === undefined || raw === null || raw === '') {
      if (field.required) throw new ConnectorCredentialsError(platform, field.key, `is required (${field.hint})`);
      continue;
    }
    if (typeof raw !== 'string' && typeof raw !== 'number') throw new ConnectorCredentialsError(platform, field.key, 'must be a string');
    const value = String(raw).trim();
    if (field.pattern && !field.pattern.test(value)) throw new ConnectorCredentialsError(platform, field.key, `is malformed (${field.hint})`);
    out[field.key] = value;
  }
  return Object.freeze(out);
}

function normaliseBaseUrl(platform: string, value: string, field: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConnectorCredentialsError(platform, field, `"${value}" is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConnectorCredentialsError(platform, field, 'must be http(s)');
  if (url.search || url.hash) throw new ConnectorCredentialsError(platform, field, 'must not carry a query or fragment');
  return url.toString().replace(/\/+$/, '');
}
