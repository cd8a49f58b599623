import type { ShipmentRow } from '../db/schema.ts';
import { isWebhookCarrier, type CarrierWebhookSecrets, type ScanType } from '../domain/index.ts';
import { SANDBOX_CARRIER_WEBHOOK_PREFIX, SimulatorTargetError, UNKNOWN_HEADER, type SimulatedDelivery } from '../app/scans.ts';
import type { LogisticsServices } from '../app/services.ts';
import { SCENARIOS, simulateScans, type Scenario } from './scan-simulator.ts';

/** Which scenario to borrow a single scan of each type from (its carrier codes and timing). */
const SCENARIO_OF_SCAN: Record<ScanType, Scenario> = {
  PICKED_UP: 'HAPPY_PATH',
  IN_TRANSIT: 'HAPPY_PATH',
  OUT_FOR_DELIVERY: 'HAPPY_PATH',
  DELIVERY_ATTEMPT_FAILED: 'FAILED_ATTEMPT_THEN_DELIVERED',
  DELIVERED: 'HAPPY_PATH',
  RETURNED_TO_SENDER: 'RETURNED_TO_SENDER',
};

/**
 * The sandbox simulator: the carrier's own signed requests for a journey (or one scan, timed now), sent over HTTP
 * to this subgraph's sandbox webhook route so the real authentication and parsing run. The journey ends now; each
 * push is sent now (a carrier flushing its backlog), which keeps signed timestamps fresh.
 */
export async function simulateThroughSandboxWebhook(
  services: LogisticsServices,
  shipment: Pick<ShipmentRow, 'carrierCode' | 'trackingNumber'>,
  what: { scenario: Scenario } | { scan: ScanType },
  sandboxWebhookSecrets: CarrierWebhookSecrets,
): Promise<SimulatedDelivery[]> {
  const carrier = shipment.carrierCode;
  if (!isWebhookCarrier(carrier)) throw new Error(`carrier ${carrier} has no webhook simulator`);
  const scenario = 'scenario' in what ? what.scenario : SCENARIO_OF_SCAN[what.scan];
  if (!SCENARIOS.includes(scenario)) throw new Error(`unknown scenario ${scenario}`);
  const nowSeconds = Math.floor(Date.now() / 1000);
  // Signed with the sandbox's own secrets, which the live carrier route does not accept.
  const base = { carrier, trackingNumber: shipment.trackingNumber, scenario, secrets: sandboxWebhookSecrets };
  // Lay the journey out once to learn its step offsets.
  const layout = simulateScans({ ...base, start: new Date(0), pushDelaySeconds: 0 });
  const steps = 'scenario' in what ? layout.map((_, i) => i) : [layout.findIndex((w) => w.expected.type === what.scan)];
  const lastOffset = Math.floor(layout[steps.at(-1)!]!.expected.occurredAt.getTime() / 1000);
  const start = new Date((nowSeconds - lastOffset) * 1000);
  const deliveries: SimulatedDelivery[] = [];
  for (const i of steps) {
    const offset = Math.floor(layout[i]!.expected.occurredAt.getTime() / 1000);
    const webhook = simulateScans({ ...base, start, pushDelaySeconds: lastOffset - offset })[i]!;
    const query =
      webhook.request.query instanceof URLSearchParams ? webhook.request.query : new URLSearchParams(webhook.request.query as Record<string, string>);
    const url = `${services.webhookBaseUrl}${SANDBOX_CARRIER_WEBHOOK_PREFIX}${carrier}${query.size ? `?${query}` : ''}`;
    const headers = Object.fromEntries(Object.entries(webhook.request.headers).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])));
    let response: Response;
    try {
      response = await fetch(url, {
        method: webhook.request.method,
        headers,
        body:
          webhook.request.method === 'GET'
            ? undefined
            : typeof webhook.request.rawBody === 'string'
              ? webhook.request.rawBody
              : Buffer.from(webhook.request.rawBody),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new SimulatorTargetError(
        `cannot reach the carrier webhook route at ${url} (${(error as Error).message}); set LOGISTICS_WEBHOOK_BASE_URL to this subgraph's URL`,
      );
    }
    await response.arrayBuffer();
    // Another process answering on that address would acknowledge a parcel it does not know: say so instead of succeeding.
    if (response.ok && response.headers.get(UNKNOWN_HEADER)?.split(',').includes(shipment.trackingNumber)) {
      throw new SimulatorTargetError(
        `the webhook route at ${url} does not know shipment ${shipment.trackingNumber}; LOGISTICS_WEBHOOK_BASE_URL must point at this subgraph`,
      );
    }
    deliveries.push({ type: webhook.expected.type, occurredAt: webhook.expected.occurredAt, httpStatus: response.status });
  }
  return deliveries;
}
