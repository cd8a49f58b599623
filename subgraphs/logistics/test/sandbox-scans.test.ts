import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_CARRIERS, type WebhookCarrier } from '../src/domain/index.ts';
import { ingestCarrierWebhook, SimulatorTargetError, simulateThroughWebhook } from '../src/app/scans.ts';
import { createServices, type LogisticsServices } from '../src/app/services.ts';
import { simulateScans } from '../src/sandbox/scan-simulator.ts';

// Without event consumption the services never touch the database; a refused webhook is refused before any SQL.
const start = (config: Record<string, unknown>) =>
  createServices({} as never, { database: { kind: 'postgres', url: 'postgres://unused' }, config: { consumeEvents: false, ...config } }, console as never);
const noDb = {} as never;
const quiet = { warn() {}, info() {} } as never;

/** How each live carrier route refuses a request authenticated with another secret. */
const REFUSAL: Record<WebhookCarrier, string> = {
  ups: 'BAD_CREDENTIAL',
  dhl: 'BAD_CREDENTIAL',
  postnl: 'BAD_CREDENTIAL',
  dpd: 'BAD_CREDENTIAL',
  gls: 'BAD_CREDENTIAL',
  inpost: 'BAD_SIGNATURE',
};

describe('sandbox carrier scans have secrets of their own', () => {
  let withSandbox: LogisticsServices;
  let liveOnly: LogisticsServices;
  beforeAll(async () => {
    withSandbox = await start({});
    liveOnly = await start({ sandboxCarriers: false });
  });
  afterAll(async () => {
    await withSandbox?.close();
    await liveOnly?.close();
  });

  it('loads no sandbox code in a live configuration, and has no simulator there', async () => {
    expect(liveOnly.sandbox).toBeNull();
    expect(liveOnly.carrierSandbox).toBeNull();
    await expect(simulateThroughWebhook(liveOnly, { carrierCode: 'ups', trackingNumber: '1Z1' }, { scan: 'PICKED_UP' })).rejects.toThrow(SimulatorTargetError);
  });

  it('signs no sandbox scan with a live carrier secret', () => {
    const sandbox = withSandbox.sandbox!.webhookSecrets;
    for (const carrier of WEBHOOK_CARRIERS) expect(JSON.stringify(sandbox[carrier])).not.toBe(JSON.stringify(withSandbox.webhookSecrets[carrier]));
  });

  it('refuses a sandbox-signed scan on the live carrier route, for every carrier', async () => {
    const sandboxSecrets = withSandbox.sandbox!.webhookSecrets;
    for (const carrier of WEBHOOK_CARRIERS) {
      const [webhook] = simulateScans({
        carrier,
        trackingNumber: `TRK-${carrier}`,
        scenario: 'HAPPY_PATH',
        start: new Date(Date.now() - 60_000),
        secrets: sandboxSecrets,
        pushDelaySeconds: 1,
      });
      const outcome = await ingestCarrierWebhook(noDb, liveOnly, carrier, webhook!.request, quiet);
      expect({ carrier, status: outcome.response.status, code: JSON.parse(outcome.response.body).error }).toEqual({
        carrier,
        status: 401,
        code: REFUSAL[carrier],
      });
      expect(outcome.stored).toBe(0);
    }
  });

  it('refuses a scan signed with the live secret on the sandbox realm as well', async () => {
    const [webhook] = simulateScans({
      carrier: 'postnl',
      trackingNumber: 'TRK',
      scenario: 'HAPPY_PATH',
      start: new Date(Date.now() - 60_000),
      secrets: withSandbox.webhookSecrets,
      pushDelaySeconds: 1,
    });
    const outcome = await ingestCarrierWebhook(noDb, withSandbox, 'postnl', webhook!.request, quiet, null, {
      secrets: withSandbox.sandbox!.webhookSecrets,
      testModeOnly: true,
    });
    expect(JSON.parse(outcome.response.body).error).toBe('BAD_CREDENTIAL');
  });

  it('refuses sandbox secrets that equal the live ones', async () => {
    await expect(start({ sandboxWebhookSecrets: { gls: withSandbox.webhookSecrets.gls } })).rejects.toThrow(/gls sandbox secret is the live one/);
  });
});
