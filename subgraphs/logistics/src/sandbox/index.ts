import { randomBytes } from 'node:crypto';
import type { CarrierWebhookSecrets } from '../domain/index.ts';
import type { LogisticsSandbox } from '../app/services.ts';
import { startCarrierSandbox } from './carriers.ts';
import { simulateThroughSandboxWebhook } from './webhook-simulator.ts';

/**
 * The logistics sandbox: sandbox carriers, the carrier-scan simulator and seed data. Live code reaches it only by a
 * dynamic import taken when the sandbox is enabled (app/services.ts, the seed hook in server.ts).
 */
export { seed } from './seed.ts';

const secret = (label: string) => `ipay-sandbox-${label}-${randomBytes(24).toString('base64url')}`;

/** Fresh secrets for the simulated carriers' scans: nobody outside this process can sign a sandbox scan. */
export function randomSandboxWebhookSecrets(): CarrierWebhookSecrets {
  return {
    ups: { credential: secret('ups') },
    dhl: { headerName: 'x-dhl-webhook-token', token: secret('dhl') },
    postnl: { token: secret('postnl') },
    dpd: { token: secret('dpd') },
    gls: { token: secret('gls') },
    inpost: { secret: secret('inpost') },
  };
}

export async function startLogisticsSandbox(options: {
  webhookSecrets?: Partial<CarrierWebhookSecrets>;
  /** The live carriers' secrets: a sandbox secret equal to one of them is refused. */
  liveWebhookSecrets: CarrierWebhookSecrets;
}): Promise<LogisticsSandbox> {
  const webhookSecrets = { ...randomSandboxWebhookSecrets(), ...options.webhookSecrets };
  for (const carrier of Object.keys(webhookSecrets) as (keyof CarrierWebhookSecrets)[]) {
    if (JSON.stringify(webhookSecrets[carrier]) === JSON.stringify(options.liveWebhookSecrets[carrier])) {
      throw new Error(`LOGISTICS_SANDBOX_WEBHOOK_SECRETS: the ${carrier} sandbox secret is the live one; sandbox scans must not sign as the carrier`);
    }
  }
  const carriers = await startCarrierSandbox();
  return {
    carriers,
    webhookSecrets,
    simulateThroughWebhook: (services, shipment, what) => simulateThroughSandboxWebhook(services, shipment, what, webhookSecrets),
    close: () => carriers.close(),
  };
}
