import { createHash } from 'node:crypto';
import { isProduction, Sealer, useDevelopmentSecret, servicePort, type Database, type Logger, type SubgraphOptions, type Subscription } from '@ipay/platform';
import {
  assertReleaseKeyring,
  DEFAULT_REISSUE_POLICY,
  WEBHOOK_CARRIERS,
  type CarrierWebhookSecrets,
  type ReissuePolicy,
  type ReleaseKeyring,
} from '../domain/index.ts';
import type * as schema from '../db/schema.ts';
import { consumeCommerceAndPayments } from './projections.ts';
import { consumeReturns } from './returns.ts';
import { consumeQuoteRequests } from './quotes.ts';
import { createCarrierAdapters, type BookableCarrier, type CarrierBookingAdapter, type CarrierCredentials } from '../adapters/carriers/index.ts';
import type { SimulatedDelivery } from './scans.ts';
import type { ShipmentRow } from '../db/schema.ts';
import type { Scenario, ScanType } from '../domain/index.ts';

export interface LogisticsConfig {
  /** Per-carrier webhook secrets (LOGISTICS_WEBHOOK_SECRETS, JSON of CarrierWebhookSecrets, merged over the defaults). */
  webhookSecrets?: Partial<CarrierWebhookSecrets>;
  /** Secret (≥ 32 bytes) the release code hashes and QR tokens derive from (RELEASE_SIGNING_SECRET). */
  releaseSigningSecret?: string;
  /** Secret the release codes are encrypted under for the consumer (RELEASE_ENCRYPTION_SECRET). */
  releaseEncryptionSecret?: string;
  /** Lifetime of a release authorization in seconds (RELEASE_TTL_SECONDS); the domain default is 7 days. */
  releaseTtlSeconds?: number;
  /** Where this subgraph's own webhook routes are reached (LOGISTICS_WEBHOOK_BASE_URL); the sandbox simulator posts there. */
  webhookBaseUrl?: string;
  /** Live booking credentials per carrier (CARRIER_CREDENTIALS, JSON); live shipments are refused for carriers without. */
  carrierCredentials?: CarrierCredentials;
  /** Run the sandbox carriers on loopback for test-mode shipments (CARRIER_SANDBOX; default on, refused in production). */
  sandboxCarriers?: boolean;
  /**
   * The secrets the sandbox's simulated carriers sign their scans with (LOGISTICS_SANDBOX_WEBHOOK_SECRETS, JSON of
   * CarrierWebhookSecrets; default: random per start). Never the live carriers' secrets.
   */
  sandboxWebhookSecrets?: Partial<CarrierWebhookSecrets>;
  /** reissueReleaseCode limit (default 3 per shipment per hour). */
  reissuePolicy?: Partial<ReissuePolicy>;
  /** Consume commerce and payments events (default true). */
  consumeEvents?: boolean;
}

export interface LogisticsServices {
  webhookSecrets: CarrierWebhookSecrets;
  releaseKeyring: ReleaseKeyring;
  releaseTtlSeconds: number | undefined;
  reissuePolicy: ReissuePolicy;
  /** The booking adapter of a carrier in a mode, or null when that carrier cannot be booked in it (not configured). */
  carrierAdapter(carrier: string, livemode: boolean): CarrierBookingAdapter | null;
  /** The carriers bookable in a mode. */
  bookableCarriers(livemode: boolean): string[];
  /** The sandbox carriers, when they run. */
  carrierSandbox: CarrierSandbox | null;
  /** The sandbox (src/sandbox/, loaded only when enabled), or null in live-only mode. */
  sandbox: LogisticsSandbox | null;
  /** AES-256-GCM for the consumer's copy of the release code. */
  sealer: Sealer;
  /** The base URL of this subgraph's HTTP server (the simulator posts signed carrier requests to its webhook routes). */
  webhookBaseUrl: string;
  /** Whether webhookBaseUrl was configured (else it follows the port the server listens on). */
  webhookBaseUrlConfigured: boolean;
  close(): Promise<void>;
}

export interface CarrierSandbox {
  readonly url: string;
  /** Credentials for the live adapters, pointing at this server. */
  readonly credentials: Required<CarrierCredentials>;
  /** Bookings made so far (carrier, our reference, the carrier's tracking number and id, the request body). */
  bookings(carrier?: BookableCarrier): readonly SandboxBooking[];
  /** The next booking request of this carrier is answered with this HTTP status (to exercise refusals and outages). */
  failNext(carrier: BookableCarrier, status: number): void;
  close(): Promise<void>;
}

export interface SandboxBooking {
  carrier: BookableCarrier;
  reference: string;
  trackingNumber: string;
  carrierReference: string;
  /** RETURN: the carrier's return-label variant was asked for (UPS ReturnService, PostNL 2285, DHL returnLabel …). */
  kind: 'OUTBOUND' | 'RETURN';
  request: unknown;
}

/** What the sandbox (src/sandbox/index.ts, imported only when enabled) gives the live services. */
export interface LogisticsSandbox {
  carriers: CarrierSandbox;
  /** What the simulated carriers sign their scans with; accepted only by the sandbox webhook route, for test-mode parcels. */
  webhookSecrets: CarrierWebhookSecrets;
  simulateThroughWebhook(
    services: LogisticsServices,
    shipment: Pick<ShipmentRow, 'carrierCode' | 'trackingNumber'>,
    what: { scenario: Scenario } | { scan: ScanType },
  ): Promise<SimulatedDelivery[]>;
  close(): Promise<void>;
}

// Development defaults: well known, so refused in production.
const DEV_WEBHOOK_SECRETS: CarrierWebhookSecrets = {
  ups: { credential: 'ipay-dev-ups-track-alert-credential' },
  dhl: { headerName: 'x-dhl-webhook-token', token: 'ipay-dev-dhl-webhook-token' },
  postnl: { token: 'ipay-dev-postnl-webhook-token' },
  dpd: { token: 'ipay-dev-dpd-webhook-token' },
  gls: { token: 'ipay-dev-gls-webhook-token' },
  inpost: { secret: 'ipay-dev-inpost-webhook-hmac-secret' },
};
const DEV_RELEASE_SIGNING_SECRET = 'ipay-development-release-signing-secret-change-me';
const DEV_RELEASE_ENCRYPTION_SECRET = 'ipay-development-release-encryption-secret-change-me';

export function logisticsConfigFromEnv(env = process.env): LogisticsConfig {
  return {
    webhookSecrets: env.LOGISTICS_WEBHOOK_SECRETS ? (JSON.parse(env.LOGISTICS_WEBHOOK_SECRETS) as Partial<CarrierWebhookSecrets>) : undefined,
    releaseSigningSecret: env.RELEASE_SIGNING_SECRET,
    releaseEncryptionSecret: env.RELEASE_ENCRYPTION_SECRET,
    releaseTtlSeconds: env.RELEASE_TTL_SECONDS ? Number(env.RELEASE_TTL_SECONDS) : undefined,
    webhookBaseUrl: env.LOGISTICS_WEBHOOK_BASE_URL,
    carrierCredentials: env.CARRIER_CREDENTIALS ? (JSON.parse(env.CARRIER_CREDENTIALS) as CarrierCredentials) : undefined,
    sandboxCarriers: env.CARRIER_SANDBOX ? env.CARRIER_SANDBOX === 'true' : undefined,
    sandboxWebhookSecrets: env.LOGISTICS_SANDBOX_WEBHOOK_SECRETS
      ? (JSON.parse(env.LOGISTICS_SANDBOX_WEBHOOK_SECRETS) as Partial<CarrierWebhookSecrets>)
      : undefined,
  };
}

function required<T>(value: T | undefined, fallback: T, name: string): T {
  if (value !== undefined) return value;
  useDevelopmentSecret(name);
  return fallback;
}

/** Configured secrets over the development defaults; in production every carrier must be configured (no well-known secret). */
function webhookSecretsOf(configured: Partial<CarrierWebhookSecrets> | undefined): CarrierWebhookSecrets {
  if (isProduction()) {
    const missing = WEBHOOK_CARRIERS.filter((carrier) => !configured?.[carrier]);
    if (missing.length) throw new Error(`LOGISTICS_WEBHOOK_SECRETS lacks ${missing.join(', ')} (required in production, IPAY_ENV)`);
    return configured as CarrierWebhookSecrets;
  }
  if (WEBHOOK_CARRIERS.some((carrier) => !configured?.[carrier])) useDevelopmentSecret('LOGISTICS_WEBHOOK_SECRETS');
  return { ...DEV_WEBHOOK_SECRETS, ...configured };
}

/**
 * The sealer of release codes and QR tokens (bound to their authorization id); its key is derived from
 * RELEASE_ENCRYPTION_SECRET, which must have at least 32 bytes.
 */
export function releaseSealer(secret: string): Sealer {
  if (Buffer.byteLength(secret) < 32) throw new Error('the release encryption secret must have at least 32 bytes');
  return new Sealer(createHash('sha256').update(`ipay-release-code-encryption:${secret}`).digest());
}

export async function createServices(db: Database<typeof schema>, options: SubgraphOptions, logger: Logger): Promise<LogisticsServices> {
  const config: LogisticsConfig = { ...logisticsConfigFromEnv(), ...(options.config as LogisticsConfig | undefined) };
  const webhookSecrets = webhookSecretsOf(config.webhookSecrets);
  const releaseKeyring: ReleaseKeyring = {
    current: { id: 'k1', secret: required(config.releaseSigningSecret, DEV_RELEASE_SIGNING_SECRET, 'RELEASE_SIGNING_SECRET') },
  };
  assertReleaseKeyring(releaseKeyring);
  const ttl = config.releaseTtlSeconds;
  // Checked at start-up: a bad value would otherwise surface only when the first payment is confirmed.
  if (ttl !== undefined && (!Number.isSafeInteger(ttl) || ttl < 60 || ttl > 30 * 24 * 3600))
    throw new Error('RELEASE_TTL_SECONDS must be a whole number of seconds from 60 to 2592000');
  const sealer = releaseSealer(required(config.releaseEncryptionSecret, DEV_RELEASE_ENCRYPTION_SECRET, 'RELEASE_ENCRYPTION_SECRET'));
  if (isProduction() && config.sandboxCarriers) throw new Error('CARRIER_SANDBOX=true is refused when NODE_ENV=production');
  // Sandbox and live adapters are the same code; only base URLs and credentials differ.
  const live = createCarrierAdapters(config.carrierCredentials ?? {});
  // The only way into sandbox code: a dynamic import, taken only when the sandbox is enabled.
  const sandboxModule = (config.sandboxCarriers ?? !isProduction()) ? await import('../sandbox/index.ts') : null;
  const sandboxRuntime = sandboxModule
    ? await sandboxModule.startLogisticsSandbox({ webhookSecrets: config.sandboxWebhookSecrets, liveWebhookSecrets: webhookSecrets })
    : null;
  const carrierSandbox = sandboxRuntime?.carriers ?? null;
  const sandbox = carrierSandbox ? createCarrierAdapters(carrierSandbox.credentials) : {};
  const adapters = (livemode: boolean): Partial<Record<string, CarrierBookingAdapter>> => (livemode ? live : sandbox);
  const services: LogisticsServices = {
    webhookSecrets,
    releaseKeyring,
    releaseTtlSeconds: config.releaseTtlSeconds,
    reissuePolicy: { ...DEFAULT_REISSUE_POLICY, ...config.reissuePolicy },
    carrierAdapter: (carrier, livemode) => adapters(livemode)[carrier as BookableCarrier] ?? null,
    bookableCarriers: (livemode) => Object.keys(adapters(livemode)).sort(),
    carrierSandbox,
    sandbox: sandboxRuntime,
    sealer,
    webhookBaseUrl: (config.webhookBaseUrl ?? `http://127.0.0.1:${servicePort('logistics')}`).replace(/\/$/, ''),
    webhookBaseUrlConfigured: config.webhookBaseUrl !== undefined,
    close: async () => {},
  };
  const subscriptions: Subscription[] = [];
  if (config.consumeEvents !== false && options.bus) subscriptions.push(...(await consumeCommerceAndPayments(db, options.bus, services, logger)));
  if (config.consumeEvents !== false && options.bus)
    subscriptions.push(await consumeReturns(db, options.bus, services, logger.child({ component: 'returns' })));
  if (config.consumeEvents !== false && options.bus) subscriptions.push(await consumeQuoteRequests(db, options.bus, logger.child({ component: 'quotes' })));
  services.close = async () => {
    for (const s of subscriptions) await s.close();
    await sandboxRuntime?.close();
  };
  return services;
}
