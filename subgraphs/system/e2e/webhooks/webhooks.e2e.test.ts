import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MERCHANTS, newId, type DomainEvent, type EventType } from '@ipay/platform';
import { auditLog, merchantNotifications, webhookEndpoints } from '@ipay/identity/src/db/schema.ts';
import { SANDBOX_PASSWORD } from '@ipay/identity/src/sandbox/seed.ts';
import type { IdentityServices } from '@ipay/identity/src/app/services.ts';
import { SANDBOX_KEYS, bearer, startTestSystem, type TestSystem } from '../support.ts';
import { WebhookReceiver, eventually } from './webhooks-receiver.ts';

const [acme, nordic] = SANDBOX_MERCHANTS as [(typeof SANDBOX_MERCHANTS)[number], (typeof SANDBOX_MERCHANTS)[number]];
const ACME = bearer(SANDBOX_KEYS['acme-owner']!);
const ACME_READ_ONLY = bearer(SANDBOX_KEYS['acme-read-only']!);
const NORDIC = bearer(SANDBOX_KEYS['nordic-owner']!);
const codeOf = (body: { errors?: { extensions?: Record<string, unknown> }[] }) => body.errors?.[0]?.extensions?.code;

const CREATE = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id url livemode status eventTypes description } } }`;
const ENDPOINT = `query($id: ID!) { webhookEndpoint(id: $id) { id status disabledReason failingSince lastSuccessAt
  deliveries(first: 50) { edges { node { id eventId eventType replay status attemptCount lastStatusCode payload attempts { attemptNumber statusCode succeeded latencyMs responseExcerpt error } } } pageInfo { hasNextPage } } } }`;

/** The published release.authorized sample (plus ids), exactly as partners receive it in `data`. */
const releaseSample = (orderId: string) => ({
  event: 'release.authorized',
  order_id: orderId,
  merchant: acme.slug,
  carrier: 'postnl',
  payment: { psp: 'adyen', status: 'confirmed', amount: 78.4, currency: 'EUR' },
  release: { authorized_at: '2026-05-29T09:14:22Z', method: 'carrier_release' },
  release_id: 'rel_0001',
  shipment_id: 'shp_0001',
});

describe('outbound webhooks through the gateway', () => {
  let system: TestSystem;
  let receiver: WebhookReceiver;
  // The worker's clock: tests move it forward to make retries due and to let days of failure pass.
  let offsetMs = 0;
  const clock = () => new Date(Date.now() + offsetMs);
  const services = () => system.subgraphs.identity.services as unknown as IdentityServices;
  const identityDb = () => system.subgraphs.identity.database.db as any;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    system = await startTestSystem({
      seed: true,
      subgraphConfig: { identity: { crmSyncIntervalMs: 0, webhookWorkerIntervalMs: 100, webhookTimeoutMs: 2000, webhookClock: clock } },
    });
  });
  afterAll(async () => {
    await system?.stop();
    await receiver?.stop();
  });

  const emit = async (type: EventType, payload: Record<string, unknown>, options: { merchantId?: string; livemode?: boolean } = {}) => {
    const event: DomainEvent = {
      id: newId('evt'),
      type,
      version: 1,
      occurredAt: clock().toISOString(),
      source: 'test',
      merchantId: options.merchantId ?? acme.id,
      livemode: options.livemode ?? false,
      carrierCode: null,
      subjectType: 'Order',
      subjectId: String(payload.order_id ?? 'x'),
      payload,
    };
    await system.bus.publish([event]);
    return event;
  };
  const createEndpoint = async (path: string, eventTypes: string[], headers = ACME, merchantId: string = acme.id) => {
    const { body } = await system.query(CREATE, { input: { merchantId, url: `${receiver.url}${path}`, eventTypes, description: `receiver ${path}` } }, headers);
    expect(body.errors).toBeUndefined();
    return body.data.createWebhookEndpoint as { secret: string; endpoint: { id: string; url: string; livemode: boolean; status: string } };
  };
  const endpointView = async (id: string) => {
    const { body } = await system.query(ENDPOINT, { id }, ACME);
    expect(body.errors).toBeUndefined();
    return body.data.webhookEndpoint;
  };

  it('registers an endpoint with a one-time whsec_ secret, within the caller’s permissions and mode', async () => {
    const { secret, endpoint } = await createEndpoint('/basic', ['release.authorized', 'order.created']);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(endpoint).toMatchObject({ livemode: false, status: 'ENABLED', url: `${receiver.url}/basic` });
    const list = await system.query(`query($m: ID!) { webhookEndpoints(merchantId: $m) { id eventTypes } }`, { m: acme.id }, ACME);
    expect(list.body.data.webhookEndpoints).toContainEqual({ id: endpoint.id, eventTypes: ['order.created', 'release.authorized'] });
    // The secret is stored encrypted: not even its base64 body is in the row.
    const [row] = await identityDb().select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpoint.id));
    expect(JSON.stringify(row)).not.toContain(secret.slice(6));

    const readOnly = await system.query(CREATE, { input: { merchantId: acme.id, url: `${receiver.url}/x`, eventTypes: ['*'] } }, ACME_READ_ONLY);
    expect(codeOf(readOnly.body)).toBe('FORBIDDEN');
    const foreign = await system.query(CREATE, { input: { merchantId: acme.id, url: `${receiver.url}/x`, eventTypes: ['*'] } }, NORDIC);
    expect(codeOf(foreign.body)).toBe('NOT_FOUND');
    const foreignRead = await system.query(`query($id: ID!) { webhookEndpoint(id: $id) { id } }`, { id: endpoint.id }, NORDIC);
    expect(codeOf(foreignRead.body)).toBe('NOT_FOUND');
    const badType = await system.query(CREATE, { input: { merchantId: acme.id, url: `${receiver.url}/x`, eventTypes: ['order.nope'] } }, ACME);
    expect(badType.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.eventTypes' });
  });

  it('delivers matching events signed per Standard Webhooks, release.authorized carrying exactly the published sample', async () => {
    const { secret, endpoint } = await createEndpoint('/sample', ['release.authorized']);
    receiver.secrets = [secret];
    const event = await emit('release.authorized', releaseSample('ord_sample'));
    // Not for this endpoint: another type, another merchant, live mode.
    await emit('order.status_changed', { order_id: 'ord_sample', merchant: acme.slug, from: 'A', to: 'B' });
    await emit('release.authorized', { ...releaseSample('ord_nordic'), merchant: nordic.slug }, { merchantId: nordic.id });
    await emit('release.authorized', releaseSample('ord_live'), { livemode: true });
    const [delivered] = await eventually(() => {
      const hits = receiver.received.filter((r) => r.path === '/sample');
      expect(hits).toHaveLength(1);
      return hits;
    });
    expect(delivered!.id).toBe(event.id);
    expect(delivered!.verifiedWith).toEqual([0]);
    expect(Math.abs(Number(delivered!.timestamp) - Date.now() / 1000)).toBeLessThan(60);
    expect(delivered!.body).toEqual({
      type: 'release.authorized',
      id: event.id,
      occurred_at: event.occurredAt,
      livemode: false,
      data: releaseSample('ord_sample'),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received.filter((r) => r.path === '/sample')).toHaveLength(1);
    const view = await eventually(async () => {
      const v = await endpointView(endpoint.id);
      expect(v.deliveries.edges[0].node.status).toBe('SUCCEEDED');
      return v;
    });
    expect(view.lastSuccessAt).not.toBeNull();
    expect(view.deliveries.edges[0].node).toMatchObject({
      eventId: event.id,
      eventType: 'release.authorized',
      attemptCount: 1,
      lastStatusCode: 200,
      replay: false,
    });
    expect(view.deliveries.edges[0].node.attempts).toMatchObject([
      { attemptNumber: 1, statusCode: 200, succeeded: true, responseExcerpt: 'received', error: null },
    ]);
  });

  it('delivers events identity mutations emit (through the outbox and the bus)', async () => {
    const { secret } = await createEndpoint('/onboarding', ['merchant.onboarding_changed']);
    receiver.secrets = [secret];
    const { body } = await system.query(`mutation($m: ID!) { transitionOnboarding(merchantId: $m, action: SUSPEND) { onboardingStatus } }`, { m: acme.id });
    expect(body.errors).toBeUndefined();
    const [hit] = await eventually(() => {
      const hits = receiver.received.filter((r) => r.path === '/onboarding');
      expect(hits).toHaveLength(1);
      return hits;
    });
    expect(hit!.verifiedWith).toEqual([0]);
    expect(hit!.body).toMatchObject({ type: 'merchant.onboarding_changed', livemode: false, data: { merchant: acme.slug, to: 'SUSPENDED' } });
    await system.query(`mutation($m: ID!) { transitionOnboarding(merchantId: $m, action: REACTIVATE) { onboardingStatus } }`, { m: acme.id });
  });

  it('retries a failing receiver with the same webhook-id and valid signatures until it succeeds', async () => {
    const { secret, endpoint } = await createEndpoint('/flaky', ['order.created']);
    receiver.secrets = [secret];
    receiver.respond = (request, attempt) => (request.path === '/flaky' && attempt === 1 ? 503 : 200);
    const event = await emit('order.created', {
      order_id: 'ord_flaky',
      merchant: acme.slug,
      reference: 'R-1',
      status: 'CREATED',
      total: { amount: 78.4, amount_minor: 7840, currency: 'EUR' },
    });
    await eventually(() => expect(receiver.received.filter((r) => r.path === '/flaky')).toHaveLength(1));
    const failing = await eventually(async () => {
      const v = await endpointView(endpoint.id);
      expect(v.deliveries.edges[0].node.lastStatusCode).toBe(503);
      expect(v.failingSince).not.toBeNull();
      return v;
    });
    expect(failing.failingSince).not.toBeNull();
    expect(failing.deliveries.edges[0].node.status).toBe('PENDING');
    // Not due yet: the first retry waits about 5 s.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received.filter((r) => r.path === '/flaky')).toHaveLength(1);
    offsetMs += 10_000;
    const hits = await eventually(() => {
      const h = receiver.received.filter((r) => r.path === '/flaky');
      expect(h).toHaveLength(2);
      return h;
    });
    expect(hits.map((h) => h.id)).toEqual([event.id, event.id]);
    expect(hits.every((h) => h.verifiedWith.length === 1)).toBe(true);
    expect(hits[1]!.raw).toBe(hits[0]!.raw);
    const view = await eventually(async () => {
      const v = await endpointView(endpoint.id);
      expect(v.deliveries.edges[0].node.status).toBe('SUCCEEDED');
      return v;
    });
    expect(view.failingSince).toBeNull();
    expect(view.deliveries.edges[0].node.attempts).toMatchObject([
      { attemptNumber: 1, statusCode: 503, succeeded: false, responseExcerpt: 'failing on purpose (503)', error: 'HTTP 503' },
      { attemptNumber: 2, statusCode: 200, succeeded: true },
    ]);
    receiver.respond = () => 200;
  });

  it('signs with both secrets during a rotation’s grace period, and only the new one after', async () => {
    const { secret: oldSecret, endpoint } = await createEndpoint('/rotate', ['order.status_changed']);
    const ROTATE = `mutation($id: ID!, $g: Int!) { rotateWebhookSecret(id: $id, gracePeriodSeconds: $g) { secret endpoint { previousSecretExpiresAt } } }`;
    const rotated = await system.query(ROTATE, { id: endpoint.id, g: 3600 }, ACME);
    expect(rotated.body.errors).toBeUndefined();
    const newSecret = rotated.body.data.rotateWebhookSecret.secret as string;
    expect(newSecret).not.toBe(oldSecret);
    expect(rotated.body.data.rotateWebhookSecret.endpoint.previousSecretExpiresAt).not.toBeNull();
    receiver.secrets = [oldSecret, newSecret];
    await emit('order.status_changed', { order_id: 'ord_rot', merchant: acme.slug, from: 'A', to: 'B' });
    const [during] = await eventually(() => {
      const h = receiver.received.filter((r) => r.path === '/rotate');
      expect(h).toHaveLength(1);
      return h;
    });
    expect(during!.signatures).toHaveLength(2);
    expect(during!.signatures.every((s) => s.startsWith('v1,'))).toBe(true);
    expect(during!.verifiedWith).toEqual([0, 1]);

    const ended = await system.query(ROTATE, { id: endpoint.id, g: 0 }, ACME);
    const newest = ended.body.data.rotateWebhookSecret.secret as string;
    receiver.secrets = [oldSecret, newSecret, newest];
    await emit('order.status_changed', { order_id: 'ord_rot', merchant: acme.slug, from: 'B', to: 'C' });
    const after = await eventually(() => {
      const h = receiver.received.filter((r) => r.path === '/rotate');
      expect(h).toHaveLength(2);
      return h[1]!;
    });
    expect(after.signatures).toHaveLength(1);
    expect(after.verifiedWith).toEqual([2]);
    const tooLong = await system.query(ROTATE, { id: endpoint.id, g: 8 * 86400 }, ACME);
    expect(tooLong.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'gracePeriodSeconds' });
  });

  it('refuses URLs the merchant should not reach: private, metadata and loopback in live mode; loopback is for the sandbox only', async () => {
    const login = await system.query(
      `mutation($e: String!, $p: String!) { login(email: $e, password: $p, livemode: true) { accessToken } }`,
      { e: 'ops@ipay.test', p: SANDBOX_PASSWORD },
      {},
    );
    const LIVE = bearer(login.body.data.login.accessToken);
    const attempt = (url: string, headers: Record<string, string>) => system.query(CREATE, { input: { merchantId: acme.id, url, eventTypes: ['*'] } }, headers);
    for (const [url, reason] of [
      ['https://10.0.0.1/hook', /private address/],
      ['https://169.254.169.254/latest/meta-data/', /metadata address/],
      ['https://[::1]/hook', /loopback address/],
      ['https://localhost/hook', /loopback address/],
      ['https://[::ffff:10.0.0.1]/hook', /private address/],
      ['https://100.64.1.1/hook', /cgnat address/],
      ['http://93.184.216.34/hook', /https/],
      [`${receiver.url}/live`, /https/],
    ] as const) {
      const { body } = await attempt(url, LIVE);
      expect(body.errors?.[0]?.extensions, url).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.url' });
      expect(body.errors[0].message, url).toMatch(reason);
    }
    // A live endpoint on a public address is accepted; a sandbox one on loopback too, but not on a private network.
    const live = await attempt('https://93.184.216.34/hook', LIVE);
    expect(live.body.errors).toBeUndefined();
    expect(live.body.data.createWebhookEndpoint.endpoint.livemode).toBe(true);
    const sandboxLoopback = await attempt('http://localhost:9/hook', ACME);
    expect(sandboxLoopback.body.errors).toBeUndefined();
    await system.query(
      `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { id } }`,
      { id: sandboxLoopback.body.data.createWebhookEndpoint.endpoint.id },
      ACME,
    );
    const sandboxPrivate = await attempt('http://10.0.0.1/hook', ACME);
    expect(sandboxPrivate.body.errors[0].message).toMatch(/private address/);
    // Modes never mix: the sandbox credential does not see the live endpoint.
    const sandboxList = await system.query(`query($m: ID!) { webhookEndpoints(merchantId: $m) { id } }`, { m: acme.id }, ACME);
    expect(sandboxList.body.data.webhookEndpoints.map((e: { id: string }) => e.id)).not.toContain(live.body.data.createWebhookEndpoint.endpoint.id);
    const update = await system.query(
      `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { url: "https://192.168.1.1/x" }) { id } }`,
      { id: live.body.data.createWebhookEndpoint.endpoint.id },
      LIVE,
    );
    expect(update.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.url' });
    await system.query(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { id } }`, { id: live.body.data.createWebhookEndpoint.endpoint.id }, LIVE);
  });

  it('replays one event or a time range with the same webhook-id', async () => {
    const { secret, endpoint } = await createEndpoint('/replay', ['order.status_changed']);
    receiver.secrets = [secret];
    const first = await emit('order.status_changed', { order_id: 'ord_rep', merchant: acme.slug, from: 'A', to: 'B' });
    const second = await emit('order.status_changed', { order_id: 'ord_rep', merchant: acme.slug, from: 'B', to: 'C' });
    await eventually(() => expect(receiver.ids('/replay')).toEqual(new Set([first.id, second.id])));

    const one = await system.query(
      `mutation($e: ID!, $id: ID!) { replayWebhookEvent(endpointId: $e, eventId: $id) { eventId replay status } }`,
      { e: endpoint.id, id: first.id },
      ACME,
    );
    expect(one.body.data.replayWebhookEvent).toEqual({ eventId: first.id, replay: true, status: 'PENDING' });
    await eventually(() => expect(receiver.received.filter((r) => r.path === '/replay')).toHaveLength(3));
    const replayed = receiver.received.filter((r) => r.path === '/replay').at(-1)!;
    expect(replayed.id).toBe(first.id);
    expect(replayed.verifiedWith).toEqual([0]);

    const range = await system.query(
      `mutation($e: ID!, $from: DateTime!, $to: DateTime!) { replayWebhooks(endpointId: $e, from: $from, to: $to) { eventId replay } }`,
      { e: endpoint.id, from: new Date(Date.parse(first.occurredAt) - 1000).toISOString(), to: new Date(Date.parse(second.occurredAt) + 1).toISOString() },
      ACME,
    );
    expect(range.body.data.replayWebhooks).toEqual([
      { eventId: first.id, replay: true },
      { eventId: second.id, replay: true },
    ]);
    await eventually(() => expect(receiver.received.filter((r) => r.path === '/replay')).toHaveLength(5));
    const view = await eventually(async () => {
      const v = await endpointView(endpoint.id);
      expect(v.deliveries.edges.every((e: any) => e.node.status === 'SUCCEEDED')).toBe(true);
      return v;
    });
    expect(view.deliveries.edges.filter((e: any) => e.node.replay)).toHaveLength(3);

    const unknown = await system.query(`mutation($e: ID!) { replayWebhookEvent(endpointId: $e, eventId: "evt_nope") { id } }`, { e: endpoint.id }, ACME);
    expect(codeOf(unknown.body)).toBe('NOT_FOUND');
    const backwards = await system.query(
      `mutation($e: ID!) { replayWebhooks(endpointId: $e, from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z") { id } }`,
      { e: endpoint.id },
      ACME,
    );
    expect(backwards.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
  });

  it('pages deliveries and stops delivering to a deleted endpoint', async () => {
    const { secret, endpoint } = await createEndpoint('/paged', ['order.status_changed']);
    receiver.secrets = [secret];
    for (let i = 0; i < 3; i += 1) await emit('order.status_changed', { order_id: `ord_p${i}`, merchant: acme.slug, from: 'A', to: 'B' });
    await eventually(() => expect(receiver.ids('/paged').size).toBe(3));
    const PAGE = `query($id: ID!, $after: String) { webhookEndpoint(id: $id) { deliveries(first: 2, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } } }`;
    const page1 = (await system.query(PAGE, { id: endpoint.id }, ACME)).body.data.webhookEndpoint.deliveries;
    expect(page1.edges).toHaveLength(2);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = (await system.query(PAGE, { id: endpoint.id, after: page1.pageInfo.endCursor }, ACME)).body.data.webhookEndpoint.deliveries;
    expect(page2.edges).toHaveLength(1);
    expect(page2.pageInfo.hasNextPage).toBe(false);

    // Batched: one statement pages the deliveries of every listed endpoint, one loads all their attempts.
    const counter = system.counters.identity;
    counter.reset();
    const listed = await system.query(
      `query($m: ID!) { webhookEndpoints(merchantId: $m) { id deliveries(first: 2) { edges { node { attempts { attemptNumber } } } } } }`,
      { m: acme.id },
      ACME,
    );
    expect(listed.body.errors).toBeUndefined();
    expect(listed.body.data.webhookEndpoints.length).toBeGreaterThan(3);
    expect(counter.statements.filter((s) => s.includes('row_number()'))).toHaveLength(1);
    expect(counter.statements.filter((s) => /from "identity"\."webhook_attempts"/.test(s))).toHaveLength(1);

    const deleted = await system.query(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { id } }`, { id: endpoint.id }, ACME);
    expect(deleted.body.errors).toBeUndefined();
    await emit('order.status_changed', { order_id: 'ord_gone', merchant: acme.slug, from: 'A', to: 'B' });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(receiver.ids('/paged').size).toBe(3);
    expect(codeOf((await system.query(PAGE, { id: endpoint.id }, ACME)).body)).toBe('NOT_FOUND');
  });

  // Last: it moves the worker's clock days ahead.
  it('disables an endpoint that failed continuously for three days and notifies its owner', async () => {
    const { endpoint } = await createEndpoint('/down', ['order.status_changed']);
    receiver.respond = (request) => (request.path === '/down' ? 500 : 200);
    await emit('order.status_changed', { order_id: 'ord_down', merchant: acme.slug, from: 'A', to: 'B' });
    await eventually(() => expect(receiver.received.filter((r) => r.path === '/down')).toHaveLength(1));
    // Twelve hours at a time: each step makes the next retry due, until three days of failure have passed.
    const status = async () => (await identityDb().select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpoint.id)))[0].status as string;
    for (let step = 1; step <= 10 && (await status()) !== 'DISABLED'; step += 1) {
      const seen = receiver.received.filter((r) => r.path === '/down').length;
      offsetMs += 12 * 3_600_000;
      // Either the retry arrives, or the previous failure has just disabled the endpoint.
      await eventually(async () => expect(receiver.received.filter((r) => r.path === '/down').length > seen || (await status()) === 'DISABLED').toBe(true));
    }
    const view = await eventually(async () => {
      const v = await endpointView(endpoint.id);
      expect(v.status).toBe('DISABLED');
      return v;
    });
    expect(view.disabledReason).toMatch(/every delivery failed since/);
    expect(view.deliveries.edges[0].node.attempts.every((a: any) => !a.succeeded && a.statusCode === 500)).toBe(true);
    const notes = await identityDb().select().from(merchantNotifications).where(eq(merchantNotifications.entityId, endpoint.id));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ merchantId: acme.id, kind: 'webhook_endpoint.disabled', livemode: false });
    const [audit] = await identityDb().select().from(auditLog).where(eq(auditLog.entityId, endpoint.id)).orderBy(desc(auditLog.position)).limit(1);
    expect(audit).toMatchObject({ action: 'webhook_endpoint.disable', principalId: 'system:webhooks' });

    // Disabled endpoints get no new deliveries; enabling resumes the pending one.
    const attemptsBefore = receiver.received.filter((r) => r.path === '/down').length;
    receiver.respond = () => 200;
    offsetMs += 86_400_000;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received.filter((r) => r.path === '/down')).toHaveLength(attemptsBefore);
    const enabled = await system.query(
      `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { status: ENABLED }) { status failingSince } }`,
      { id: endpoint.id },
      ACME,
    );
    expect(enabled.body.data.updateWebhookEndpoint).toEqual({ status: 'ENABLED', failingSince: null });
    expect(services().webhooks).toBeDefined();
  });
});
