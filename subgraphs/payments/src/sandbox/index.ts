import { randomBytes } from 'node:crypto';
import type { Logger } from '@ipay/platform';
import { PSP_CODES, type PspAdapter, type PspCode } from '../adapters/psp/adapter.ts';
import { createAdyenAdapter } from '../adapters/psp/adyen.ts';
import { createMollieAdapter } from '../adapters/psp/mollie.ts';
import { createStripeAdapter } from '../adapters/psp/stripe.ts';
import type { PaymentsConfig } from '../app/config.ts';
import type { PspSandbox } from '../app/sandbox-port.ts';
import { startAdyenSandbox, startMollieSandbox, startStripeSandbox } from './psp/index.ts';

/**
 * The payments sandbox, reached only through `await import('./sandbox/index.ts')` when the sandbox is enabled (never in
 * production): the seed data and the in-process mock PSPs with the test-mode adapters that talk to them.
 */
export { seed } from './seed.ts';

export interface SandboxPspsOptions {
  scenario: PaymentsConfig['sandboxScenario'];
  secrets: PaymentsConfig['sandboxSecrets'];
  timeoutMs: number;
  /** Where a PSP posts its notifications (this subgraph's webhook route); asked when the first one is sent. */
  webhookUrl(psp: PspCode): string;
  logger: Logger;
}

/** Starts the three mock PSPs and the sandbox (test-mode) adapters for them. */
export async function startSandboxPsps(
  options: SandboxPspsOptions,
): Promise<{ adapters: Partial<Record<PspCode, PspAdapter>>; sandboxes: Partial<Record<PspCode, PspSandbox>> }> {
  const { timeoutMs, webhookUrl, logger } = options;
  const sandbox: Partial<Record<PspCode, PspAdapter>> = {};
  const sandboxes: Partial<Record<PspCode, PspSandbox>> = {};
  // Fresh credentials per start: the mocks and our adapters share them, nobody else needs them.
  const secret = (bytes: number) => randomBytes(bytes).toString('hex');
  // Shoppers wait for simulateSandboxPayment; undelivered notifications are retried like real PSPs do.
  const defaults = { awaitShopper: true, redeliverAfterMs: [200, 1_000, 5_000], ...options.scenario };
  const adyenKeys = {
    apiKey: `AQE-sandbox-${secret(8)}`,
    merchantAccount: 'IpaySandboxECOM',
    hmacKey: options.secrets?.adyenHmacKey ?? secret(32).toUpperCase(),
  };
  const stripeKeys = { secretKey: `sk_test_${secret(12)}`, webhookSecret: options.secrets?.stripeWebhookSecret ?? `whsec_${secret(16)}` };
  const mollieKey = `test_${secret(15)}`;
  try {
    sandboxes.adyen = await startAdyenSandbox({
      ...adyenKeys,
      defaults,
      get webhookUrl() {
        return webhookUrl('adyen');
      },
    });
    sandboxes.stripe = await startStripeSandbox({
      ...stripeKeys,
      defaults,
      get webhookUrl() {
        return webhookUrl('stripe');
      },
    });
    sandboxes.mollie = await startMollieSandbox({ apiKey: mollieKey, defaults });
  } catch (error) {
    await Promise.allSettled(Object.values(sandboxes).map((s) => s.close()));
    throw error;
  }
  sandbox.adyen = createAdyenAdapter({
    apiKey: adyenKeys.apiKey,
    merchantAccount: adyenKeys.merchantAccount,
    checkoutUrl: `${sandboxes.adyen.url}/v71`,
    hmacKeys: [adyenKeys.hmacKey],
    live: false,
    timeoutMs,
  });
  sandbox.stripe = createStripeAdapter({
    secretKey: stripeKeys.secretKey,
    webhookSecrets: [stripeKeys.webhookSecret],
    apiUrl: sandboxes.stripe.url,
    timeoutMs,
  });
  sandbox.mollie = createMollieAdapter({
    apiKey: mollieKey,
    apiUrl: sandboxes.mollie.url,
    timeoutMs,
    get webhookUrl() {
      return webhookUrl('mollie');
    },
  });
  logger.info({ psps: PSP_CODES, urls: Object.fromEntries(Object.entries(sandboxes).map(([psp, s]) => [psp, s.url])) }, 'sandbox PSPs started');
  return { adapters: sandbox, sandboxes };
}
