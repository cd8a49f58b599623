import type { PspAdapter } from './adapter.ts';
import { createAdyenAdapter, type AdyenConfig } from './adyen.ts';
import { createMollieAdapter, type MollieConfig } from './mollie.ts';
import { createStripeAdapter, type StripeConfig } from './stripe.ts';

export * from './adapter.ts';
export { currencyExponent, decimalToMinorUnits, minorUnitsToDecimal } from './amount.ts';
export { adyenHmacSignature, adyenSigningPayload, createAdyenAdapter, type AdyenConfig } from './adyen.ts';
export { STRIPE_REFERENCE_KEY, createStripeAdapter, stripeSignature, type StripeConfig } from './stripe.ts';
export { MOLLIE_REFERENCE_KEY, createMollieAdapter, mollieSignature, notificationsFromPayment, parseMollieAmount, type MollieConfig } from './mollie.ts';
export { webhookHandler, readRawBody, MAX_WEBHOOK_BODY_BYTES } from './webhook.ts';

export type PspConfig = ({ readonly psp: 'adyen' } & AdyenConfig) | ({ readonly psp: 'stripe' } & StripeConfig) | ({ readonly psp: 'mollie' } & MollieConfig);

/** The adapter for a session's `psp` column. */
export function createPspAdapter(config: PspConfig): PspAdapter {
  switch (config.psp) {
    case 'adyen':
      return createAdyenAdapter(config);
    case 'stripe':
      return createStripeAdapter(config);
    case 'mollie':
      return createMollieAdapter(config);
  }
}
