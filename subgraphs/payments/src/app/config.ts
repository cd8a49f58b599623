import type { SandboxScenario } from './sandbox-port.ts';
import { isProduction } from '@ipay/platform';

/** Credentials of one live PSP account, from env; a PSP without them refuses live payment sessions. */
export interface LivePspCredentials {
  adyen?: {
    apiKey: string;
    merchantAccount: string;
    checkoutUrl: string;
    hmacKeys: string[];
    webhookBasicAuth?: { username: string; password: string };
    eventToleranceSeconds?: number;
  };
  stripe?: { secretKey: string; webhookSecrets: string[]; apiUrl?: string; toleranceSeconds?: number };
  mollie?: { apiKey: string; webhookSigningSecrets: string[]; apiUrl?: string };
}

export interface PaymentsConfig {
  /** Run the three mock PSPs in-process for sandbox (test-mode) sessions. Default: on outside production. */
  sandboxPsps?: boolean;
  /** Public base URL of this subgraph (PSPs post webhooks to `<publicUrl>/webhooks/psp/<psp>`). */
  publicUrl?: string;
  /** Where PSPs send the shopper back after a redirect. */
  returnUrl?: string;
  /** How long a session stays payable. */
  sessionTtlMinutes?: number;
  /** How often overdue sessions are expired; 0 turns the background sweep off (tests drive it). */
  expirySweepIntervalMs?: number;
  /** Timeout of one PSP API call. */
  pspTimeoutMs?: number;
  live?: LivePspCredentials;
  /**
   * Fixed signing secrets for the sandbox PSPs (tests and demos that sign their own notifications); random per start
   * otherwise.
   */
  sandboxSecrets?: { adyenHmacKey?: string; stripeWebhookSecret?: string };
  /** What the sandbox PSPs do by default (their own fault injection, e.g. `{ hang: ['cancel'] }`: a PSP that never answers a cancel). */
  sandboxScenario?: Partial<SandboxScenario>;
  /** Consume commerce's order events (tests of the subgraph alone may turn it off). Default on. */
  consumeOrderEvents?: boolean;
}

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** An inbound-webhook freshness window in whole seconds (per scheme); unset keeps the scheme's default. */
function seconds(value: string | undefined, name: string): number | undefined {
  if (!value) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive number of seconds, got ${value}`);
  return n;
}

export function paymentsConfigFromEnv(env = process.env): PaymentsConfig {
  const live: LivePspCredentials = {};
  if (env.ADYEN_API_KEY && env.ADYEN_MERCHANT_ACCOUNT && env.ADYEN_CHECKOUT_URL && env.ADYEN_HMAC_KEYS) {
    live.adyen = {
      apiKey: env.ADYEN_API_KEY,
      merchantAccount: env.ADYEN_MERCHANT_ACCOUNT,
      checkoutUrl: env.ADYEN_CHECKOUT_URL,
      hmacKeys: list(env.ADYEN_HMAC_KEYS),
      webhookBasicAuth:
        env.ADYEN_WEBHOOK_USERNAME && env.ADYEN_WEBHOOK_PASSWORD ? { username: env.ADYEN_WEBHOOK_USERNAME, password: env.ADYEN_WEBHOOK_PASSWORD } : undefined,
      eventToleranceSeconds: seconds(env.ADYEN_WEBHOOK_TOLERANCE_SECONDS, 'ADYEN_WEBHOOK_TOLERANCE_SECONDS'),
    };
  }
  if (env.STRIPE_SECRET_KEY && env.STRIPE_WEBHOOK_SECRETS)
    live.stripe = {
      secretKey: env.STRIPE_SECRET_KEY,
      webhookSecrets: list(env.STRIPE_WEBHOOK_SECRETS),
      toleranceSeconds: seconds(env.STRIPE_WEBHOOK_TOLERANCE_SECONDS, 'STRIPE_WEBHOOK_TOLERANCE_SECONDS'),
    };
  if (env.MOLLIE_API_KEY) live.mollie = { apiKey: env.MOLLIE_API_KEY, webhookSigningSecrets: list(env.MOLLIE_WEBHOOK_SECRETS) };
  return {
    sandboxPsps: env.PSP_SANDBOX ? env.PSP_SANDBOX === 'true' : undefined,
    publicUrl: env.PAYMENTS_PUBLIC_URL || undefined,
    returnUrl: env.PAYMENT_RETURN_URL || undefined,
    sessionTtlMinutes: env.PAYMENT_SESSION_TTL_MINUTES ? Number(env.PAYMENT_SESSION_TTL_MINUTES) : undefined,
    expirySweepIntervalMs: env.PAYMENT_EXPIRY_SWEEP_MS ? Number(env.PAYMENT_EXPIRY_SWEEP_MS) : undefined,
    pspTimeoutMs: env.PSP_TIMEOUT_MS ? Number(env.PSP_TIMEOUT_MS) : undefined,
    live,
  };
}

export function resolveConfig(
  given: PaymentsConfig | undefined,
): Required<Omit<PaymentsConfig, 'publicUrl' | 'returnUrl' | 'sandboxSecrets' | 'sandboxScenario'>> &
  Pick<PaymentsConfig, 'publicUrl' | 'returnUrl' | 'sandboxSecrets' | 'sandboxScenario'> {
  const config = { ...paymentsConfigFromEnv(), ...given };
  const ttl = config.sessionTtlMinutes ?? 60;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 7 * 24 * 60) throw new Error('PAYMENT_SESSION_TTL_MINUTES must be an integer between 1 and 10080');
  const timeout = config.pspTimeoutMs ?? 10_000;
  if (!Number.isInteger(timeout) || timeout < 1) throw new Error('PSP_TIMEOUT_MS must be a positive integer');
  if (isProduction() && config.sandboxPsps) throw new Error('PSP_SANDBOX=true is refused in production (IPAY_ENV)');
  if (isProduction() && !config.returnUrl) throw new Error('PAYMENT_RETURN_URL is required in production (IPAY_ENV)');
  return {
    sandboxPsps: config.sandboxPsps ?? !isProduction(),
    publicUrl: config.publicUrl?.replace(/\/+$/, ''),
    returnUrl: config.returnUrl,
    sessionTtlMinutes: ttl,
    pspTimeoutMs: timeout,
    expirySweepIntervalMs: config.expirySweepIntervalMs ?? 60_000,
    live: config.live ?? {},
    consumeOrderEvents: config.consumeOrderEvents ?? true,
    sandboxSecrets: config.sandboxSecrets,
    sandboxScenario: config.sandboxScenario,
  };
}
