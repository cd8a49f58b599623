import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { isProduction, useDevelopmentSecret, servicePort, type Database, type Logger, type SubgraphOptions, type Subscription } from '@ipay/platform';
import { assertReleaseKeyring, DEFAULT_REISSUE_POLICY, WEBHOOK_CARRIERS, type CarrierWebhookSecrets, type ReissuePolicy, type ReleaseKeyring } from './domain/index.ts';
import type * as schema from './db/schema.ts';
import { consumeCommerceAndPayments } from './app/projections.ts';
import { consumeReturns } from './app/returns.ts';
import { consumeQuoteRequests } from './app/quotes.ts';
import { createCarrierAdapters, type BookableCarrier, type CarrierBookingAdapter, type CarrierCredentials } from './adapters/carriers/index.ts';
import { startCarrierSandbox, type CarrierSandbox } from './adapters/carriers/sandbox/server.ts';

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
  /** AES-256-GCM for the consumer's copy of the release code. */
  sealer: Sealer;
  /** The base URL of this subgraph's HTTP server (the simulator posts signed carrier requests to its webhook routes). */
  webhookBaseUrl: string;
  /** Whether webhookBaseUrl was configured (else it follows the port the server listens on). */
  webhookBaseUrlConfigured: boolean;
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

/** Encrypts short secrets (release codes, QR tokens) as `v1.<iv>.<tag>.<ciphertext>` (base64url), bound to a context id. */
export class Sealer {
  private readonly key: Buffer;
  constructor(secret: string) {
    if (Buffer.byteLength(secret) < 32) throw new Error('the release encryption secret must have at least 32 bytes');
    this.key = createHash('sha256').update(`ipay-release-code-encryption:${secret}`).digest();
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    // The context (authorization id) as associated data: a ciphertext moved to another row does not decrypt.
    cipher.setAAD(Buffer.from(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  open(sealed: string, context: string): string {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || ciphertext === undefined) throw new Error('not a sealed value');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }
}

export async function createServices(db: Database<typeof schema>, options: SubgraphOptions, logger: Logger): Promise<LogisticsServices> {
  const config: LogisticsConfig = { ...logisticsConfigFromEnv(), ...(options.config as LogisticsConfig | undefined) };
  const webhookSecrets = webhookSecretsOf(config.webhookSecrets);
  const releaseKeyring: ReleaseKeyring = { current: { id: 'k1', secret: required(config.releaseSigningSecret, DEV_RELEASE_SIGNING_SECRET, 'RELEASE_SIGNING_SECRET') } };
  assertReleaseKeyring(releaseKeyring);
  const ttl = config.releaseTtlSeconds;
  // Checked at start-up: a bad value would otherwise surface only when the first payment is confirmed.
  if (ttl !== undefined && (!Number.isSafeInteger(ttl) || ttl < 60 || ttl > 30 * 24 * 3600)) throw new Error('RELEASE_TTL_SECONDS must be a whole number of seconds from 60 to 2592000');
  const sealer = new Sealer(required(config.releaseEncryptionSecret, DEV_RELEASE_ENCRYPTION_SECRET, 'RELEASE_ENCRYPTION_SECRET'));
  if (isProduction() && config.sandboxCarriers) throw new Error('CARRIER_SANDBOX=true is refused when NODE_ENV=production');
  // Sandbox and live adapters are the same code; only base URLs and credentials differ.
  const live = createCarrierAdapters(config.carrierCredentials ?? {});
  const carrierSandbox = (config.sandboxCarriers ?? !isProduction()) ? await startCarrierSandbox() : null;
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
    sealer,
    webhookBaseUrl: (config.webhookBaseUrl ?? `http://127.0.0.1:${servicePort('logistics')}`).replace(/\/$/, ''),
    webhookBaseUrlConfigured: config.webhookBaseUrl !== undefined,
    close: async () => {},
  };
  const subscriptions: Subscription[] = [];
  if (config.consumeEvents !== false && options.bus) subscriptions.push(...(await consumeCommerceAndPayments(db, options.bus, services, logger)));
  if (config.consumeEvents !== false && options.bus) subscriptions.push(await consumeReturns(db, options.bus, services, logger.child({ component: 'returns' })));
  if (config.consumeEvents !== false && options.bus) subscriptions.push(await consumeQuoteRequests(db, options.bus, logger.child({ component: 'quotes' })));
  services.close = async () => {
    for (const s of subscriptions) await s.close();
    await carrierSandbox?.close();
  };
  return services;
}
