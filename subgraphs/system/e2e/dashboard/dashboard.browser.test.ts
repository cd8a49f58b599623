import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MERCHANTS } from '@ipay/platform';
import { ensureDashboardBuilt } from '@ipay/gateway/src/dashboard.ts';
import { SANDBOX_KEYS, startTestSystem, type TestSystem } from '../support.ts';
import { WebhookReceiver } from '../webhooks/webhooks-receiver.ts';

/**
 * The operator dashboard and sandbox console in a real browser: Debian's chromium driven by playwright-core (never a
 * downloaded browser; .ci/run installs the package when it is missing), against the whole system in process.
 * Screenshots go to subgraphs/system/e2e/dashboard/artifacts/ (gitignored). Every wait is on a condition of the page.
 */
// Page functions run in the browser; the Node test project has no DOM types.
declare const document: any;
type HTMLElement = any;

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
const acme = SANDBOX_MERCHANTS[0]!;

describe.skipIf(!existsSync(CHROMIUM))('operator dashboard and sandbox console (chromium)', () => {
  let system: TestSystem;
  let browser: Browser;
  let page: Page;
  let base: string;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await ensureDashboardBuilt();
    await receiver.start();
    // Deliveries to the receiver fail until the replay, which it accepts.
    receiver.respond = (request) => (request.body?.type && replaying ? 200 : 500);
    system = await startTestSystem({ seed: true, subgraphConfig: { identity: { webhookWorkerIntervalMs: 500 } } });
    base = new URL('/', system.gatewayUrl).href.replace(/\/$/, '');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
  });
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await receiver.stop();
  });
  let replaying = false;

  const tile = async (id: string) => Number(await page.locator(`#${id} .value`).textContent());
  const waitTile = (id: string, value: number) =>
    page.waitForFunction(([id, value]) => document.querySelector(`#${id} .value`)?.textContent === String(value), [id, value] as const, { timeout: 30_000 });
  const eventRow = (type: string, orderId: string) => page.locator(`#events tr[data-type="${type}"][data-order-id="${orderId}"]`);
  /** Clicks a console action and waits for its call to answer without errors. */
  const act = (action: string, operation: string) => actBy(() => page.click(`button[data-action="${action}"]`), operation);
  const lastSeq = () => page.evaluate(() => Math.max(0, ...[...document.querySelectorAll('#console-output .call')].map((c: any) => Number(c.dataset.seq))));
  const actBy = async (click: () => Promise<void>, operation: string) => {
    const before = await lastSeq();
    await click();
    return callAfter(operation, before);
  };
  /** The first call of `operation` the console made after call number `before`, once it answered without errors. */
  const callAfter = async (operation: string, before: number) => {
    const handle = await page.waitForFunction(
      ([op, n]) => [...document.querySelectorAll(`#console-output .call[data-operation="${op}"][data-ok]`)].find((c: any) => Number(c.dataset.seq) > n),
      [operation, before] as const,
      { timeout: 30_000 },
    );
    const latest = handle.asElement()!;
    const response = await (await latest.$('.response'))!.textContent();
    expect(await latest.getAttribute('data-ok'), `${operation}: ${response}`).toBe('true');
    return {
      response: JSON.parse(response!),
      graphql: await (await latest.$('.request-graphql'))!.textContent(),
      curl: await (await latest.$('.request-curl'))!.textContent(),
    };
  };

  it('signs in with a sandbox key, serves its assets from the gateway and follows the stream live', async () => {
    const asset = await fetch(`${base}/dashboard/`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await asset.text()).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[a-z]/i);
    await page.goto(`${base}/dashboard/`);
    await page.fill('#api-key', 'ipk_test_notakey');
    await page.click('#signin-key');
    await page.locator('#signin-error').filter({ hasText: 'UNAUTHENTICATED' }).waitFor();
    await page.fill('#api-key', SANDBOX_KEYS.operator!);
    await page.click('#signin-key');
    await page.locator('#conn-status.live').waitFor();
    await expect(page.locator('#viewer').textContent()).resolves.toContain('sandbox');
    expect(await page.locator('#sandbox').isVisible()).toBe(true);
  });

  let orderId = '';
  it('runs the golden path from the sandbox console; each event arrives live and its KPI tile moves', async () => {
    await page.selectOption('#sb-merchant', acme.id);
    await page.selectOption('#filter-merchant', acme.id);
    await page.click('#filters button[type="submit"]');
    await page.locator('#conn-status.live').waitFor();
    const orders = await tile('kpi-orders');
    const payments = await tile('kpi-payments');
    const released = await tile('kpi-released');
    const returns = await tile('kpi-returns');

    const created = await act('createOrder', 'CreateOrder');
    orderId = created.response.createOrder.id;
    expect(created.graphql).toContain('mutation CreateOrder');
    expect(created.curl).toContain(`-X POST '${base}/v1/orders'`);
    expect(created.curl).toContain('idempotency-key');
    await eventRow('order.created', orderId).waitFor();
    await waitTile('kpi-orders', orders + 1);

    await act('startPayment', 'StartPaymentSession');
    await page.selectOption('#sb-outcome', 'SUCCEED');
    await page.check('#sb-duplicate');
    const simulated = await act('simulatePayment', 'SimulateSandboxPayment');
    expect(simulated.curl).toContain('/v1/sandbox/payment-sessions/');
    await eventRow('payment.confirmed', orderId).waitFor();
    await waitTile('kpi-payments', payments + 1);

    await act('createShipment', 'CreateShipment');
    await page.selectOption('#sb-scan', 'OUT_FOR_DELIVERY');
    await act('scan', 'SimulateCarrierScan');
    await eventRow('carrier.out_for_delivery', orderId).waitFor();
    await page.waitForFunction(() => document.querySelector('#sb-shipment')?.value !== '');
    // The release code exists once the payment is confirmed.
    const code = await act('releaseCode', 'GetReleaseCode');
    expect(code.response.releaseCode.code).toMatch(/^\d{6}$/);
    const verified = await act('verifyRelease', 'VerifyRelease');
    expect(verified.response.verifyRelease.authorized).toBe(true);
    await eventRow('release.authorized', orderId).waitFor();
    await act('confirmRelease', 'ConfirmParcelRelease');
    await eventRow('parcel.released', orderId).waitFor();
    await waitTile('kpi-released', released + 1);

    await act('requestReturn', 'RequestReturn');
    await eventRow('return.initiated', orderId).waitFor();
    await waitTile('kpi-returns', returns + 1);

    // Drill-down: one federated query shows the order with payment, shipment, release and settlement.
    await eventRow('parcel.released', orderId).click();
    await page.locator(`#drilldown dl[data-order-id="${orderId}"]`).waitFor();
    await expect(page.locator('#drill-payment').textContent()).resolves.toContain('CONFIRMED');
    await expect(page.locator('#drill-release').textContent()).resolves.toContain('RELEASED');
    await expect(page.locator('#drill-shipment').textContent()).resolves.not.toBe('–');
    await page.screenshot({ path: `${ARTIFACTS}dashboard-golden-path.png`, fullPage: true });
    await page.screenshot({ path: `${ARTIFACTS}dashboard-top.png` });
  });

  it('reconnects by itself after the connection is killed and fills the gap from the last event id', async () => {
    const before = await page.locator('#events tr').count();
    // Every socket the gateway holds, the page's event streams included.
    system.gateway.httpServer.closeAllConnections();
    await page.locator('#conn-status.reconnecting').waitFor();
    // Meanwhile an order is created elsewhere (not by the page).
    const reference = `GAP-${Date.now()}`;
    const { body } = await system.query(`mutation($input: CreateOrderInput!, $key: String!) { createOrder(input: $input, idempotencyKey: $key) { id } }`, {
      key: reference,
      input: {
        merchantId: acme.id,
        merchantReference: reference,
        currency: 'EUR',
        customer: { name: 'Gap Filler', email: 'gap@example.com' },
        shippingAddress: { name: 'Gap Filler', line1: 'Damrak 1', city: 'Amsterdam', postalCode: '1012 LG', country: 'NL' },
        lines: [{ sku: 'G-1', name: 'Gap', quantity: 1, unitAmount: 900 }],
        totalAmount: 900,
      },
    });
    expect(body.errors).toBeUndefined();
    const gapOrder = body.data.createOrder.id;
    await eventRow('order.created', gapOrder).waitFor({ timeout: 30_000 });
    await page.locator('#conn-status.live').waitFor({ timeout: 30_000 });
    await expect(page.locator('#gap-note').textContent()).resolves.toMatch(/gap filled: \d+ missed event/);
    // Nothing seen before the drop is repeated.
    const ids = await page.locator('#events tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.eventId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThan(before);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-gap-filled.png`, fullPage: true });
  });

  it('registers a webhook endpoint, lists its failing delivery and replays it', async () => {
    await page.fill('#sb-url', `${receiver.url}/console`);
    await act('createEndpoint', 'CreateWebhookEndpoint');
    // An event for the endpoint: a new test order.
    await act('createOrder', 'CreateOrder');
    const failing = page.locator('#failed-webhooks li[data-delivery-id]').first();
    await failing.waitFor({ timeout: 45_000 });
    expect(await tile('kpi-webhooks')).toBeGreaterThan(0);
    replaying = true;
    const { response: replay } = await actBy(() => failing.locator('button[data-replay]').click(), 'ReplayWebhookEvent');
    expect(replay.replayWebhookEvent.replay).toBe(true);
    await expect.poll(() => receiver.received.some((r) => r.path === '/console' && r.id === replay.replayWebhookEvent.eventId), { timeout: 30_000 }).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-webhook-replay.png`, fullPage: true });
  });

  it('imports orders from a CSV file, then pays one with a delayed PSP outcome that confirms only once released', async () => {
    await page.selectOption('#sb-merchant', acme.id);
    const stamp = Date.now().toString(36).toUpperCase();
    const references = [`CSV-${stamp}-1`, `CSV-${stamp}-2`];
    const csv = [
      'reference,currency,customer_name,customer_email,ship_name,ship_line1,ship_city,ship_postal_code,ship_country,sku,item_name,quantity,unit_amount,total_amount',
      `${references[0]},EUR,Jonas Berg,jonas.berg@example.com,Jonas Berg,Damrak 2,Amsterdam,1012 LG,NL,MUG-RED,Red mug,2,1995,3990`,
      `${references[1]},EUR,Mia Vos,mia.vos@example.com,Mia Vos,Coolsingel 40,Rotterdam,3011 AD,NL,SBX-1,Sandbox socks,1,1250,1250`,
    ].join('\n');
    // Chosen as a file: the console reads it into the text box it imports from.
    await page.setInputFiles('#sb-csv-file', { name: 'orders.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.waitForFunction((text) => document.querySelector('#sb-csv')?.value === text, csv);
    const before = await lastSeq();
    const imported = await act('importCsv', 'ImportOrders');
    expect(imported.graphql).toContain('mutation ImportOrders');
    expect(imported.curl).toContain(`-X POST '${base}/v1/merchants/${acme.id}/order-imports'`);
    expect(imported.curl).toContain('"format":"CSV"');
    expect(imported.curl).toContain(references[1]);
    const job = await callAfter('GetImportJob', before);
    expect(job.response.importJob).toMatchObject({
      id: imported.response.importOrders.id,
      status: 'COMPLETED',
      totalRows: 2,
      createdCount: 2,
      duplicateCount: 0,
      failedCount: 0,
      errors: [],
    });
    expect(job.curl).toContain(`-X GET '${base}/v1/order-imports/${imported.response.importOrders.id}'`);
    const found = await callAfter('GetOrderByReference', before);
    const importedId = found.response.orderByReference.id;
    expect(found.response.orderByReference.merchantReference).toBe(references[0]);
    expect(await page.inputValue('#sb-order')).toBe(importedId);
    await eventRow('order.created', importedId).waitFor();

    const { response: started } = await act('startPayment', 'StartPaymentSession');
    const sessionId = started.startPaymentSession.id;
    await page.selectOption('#sb-outcome', 'SUCCEED');
    await page.uncheck('#sb-duplicate');
    await page.check('#sb-delay');
    const delayed = await act('simulatePayment', 'SimulateSandboxPayment');
    expect(delayed.curl).toContain('"delay":true');
    expect(delayed.response.simulateSandboxPayment).toEqual({ id: sessionId, status: 'REQUESTED' });
    // The PSP holds its notifications: the session stays open until they are released.
    const held = await system.query(`query($id: ID!) { paymentSession(id: $id) { status } }`, { id: sessionId });
    expect(held.body.data.paymentSession.status).toBe('REQUESTED');

    const released = await act('releaseNotifications', 'ReleaseSandboxNotifications');
    expect(released.graphql).toContain('mutation ReleaseSandboxNotifications');
    expect(released.curl).toContain(`-X POST '${base}/v1/sandbox/payment-sessions/${sessionId}/release-notifications'`);
    expect(released.response.releaseSandboxNotifications).toEqual({ id: sessionId, status: 'CONFIRMED' });
    await eventRow('payment.confirmed', importedId).waitFor();
    await page.screenshot({ path: `${ARTIFACTS}dashboard-csv-import-delayed-payment.png`, fullPage: true });
  });
});
