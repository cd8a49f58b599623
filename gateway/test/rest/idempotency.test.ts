import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SANDBOX_MERCHANTS, SANDBOX_ORDERS } from '@ipay/platform';
import { buildRestArtifacts } from '../../../scripts/rest/lib/artifacts.ts';
import { AS_OPERATOR, SANDBOX_KEYS, bearer } from '../../../subgraphs/system/e2e/support.ts';
import { eq } from '../../src/db/orm.ts';
import { idempotencyKeys } from '../../src/db/schema.ts';
import type { ExecuteOperation, ExecuteResult } from '../../src/rest/index.ts';
import { ResponseValidator, startRestSystem, type RestSystem } from './support.ts';

// A POST mapping over a read query, built like the real ones but from a test-only operation set.
const artifacts = buildRestArtifacts({ operationsDir: fileURLToPath(new URL('./fixtures/operations', import.meta.url)) });
const validator = new ResponseValidator(artifacts.openapi);
const DAY = 24 * 60 * 60 * 1000;

describe('Idempotency-Key on POST (Stripe semantics), stored in the gateway database', () => {
  let rest: RestSystem;
  let executions = 0;
  let gate: Promise<void> | undefined;
  /** A result to answer instead of asking the gateway, for outcomes a read query cannot produce. */
  let scripted: ExecuteResult | undefined;
  let clock = Date.parse('2026-11-20T12:00:00.000Z');
  const counting =
    (execute: ExecuteOperation): ExecuteOperation =>
    async (request, context) => {
      executions += 1;
      await gate; // lets a test hold the first request in flight
      return scripted ?? execute(request, context);
    };

  beforeAll(async () => {
    rest = await startRestSystem({ manifest: artifacts.manifest, openapi: artifacts.openapi, wrapExecute: counting, now: () => new Date(clock) });
  });
  afterAll(() => rest?.stop());
  beforeEach(() => {
    executions = 0;
    gate = undefined;
    scripted = undefined;
  });

  async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${rest.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AS_OPERATOR, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    const json = JSON.parse(text);
    expect(validator.errors(path, 'POST', response.status, response.headers.get('content-type') ?? '', json), text).toEqual([]);
    return { status: response.status, headers: response.headers, text, body: json };
  }

  it('runs a POST and answers with its data', async () => {
    const { status, body } = await post('/v1/orders/search', { first: 3, merchantId: SANDBOX_MERCHANTS[0]!.id, status: 'DELIVERED' });
    expect(status).toBe(200);
    const expected = SANDBOX_ORDERS.filter((o) => o.merchantId === SANDBOX_MERCHANTS[0]!.id && o.status === 'DELIVERED').map((o) => o.id);
    expect(body.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(expected);
  });

  it('replays the stored response for the same key and the same request, without running it again', async () => {
    const first = await post('/v1/orders/search', { first: 2, status: 'PAID' }, { 'idempotency-key': 'replay-1' });
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    // The same request, its properties in another order.
    const second = await post('/v1/orders/search', { status: 'PAID', first: 2 }, { 'idempotency-key': 'replay-1' });
    expect(second.status).toBe(200);
    expect(second.text).toBe(first.text);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(executions).toBe(1);
  });

  it('refuses the same key with a different request with 422', async () => {
    await post('/v1/orders/search', { first: 2 }, { 'idempotency-key': 'mismatch-1' });
    const other = await post('/v1/orders/search', { first: 3 }, { 'idempotency-key': 'mismatch-1' });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ type: 'urn:ipay:problem:idempotency-key-reused', errors: [{ field: 'Idempotency-Key', in: 'header' }] });
    expect(executions).toBe(1);
  });

  it('answers 409 while the first request with the key is still in flight, then replays it', async () => {
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    const first = post('/v1/orders/search', { first: 1 }, { 'idempotency-key': 'concurrent-1' });
    await until(() => executions === 1);
    const concurrent = await post('/v1/orders/search', { first: 1 }, { 'idempotency-key': 'concurrent-1' });
    expect(concurrent.status).toBe(409);
    expect(concurrent.body.type).toBe('urn:ipay:problem:idempotency-key-in-use');
    expect(concurrent.headers.get('retry-after')).toBe('1');
    open();
    expect((await first).status).toBe(200);
    const after = await post('/v1/orders/search', { first: 1 }, { 'idempotency-key': 'concurrent-1' });
    expect(after.headers.get('idempotent-replayed')).toBe('true');
    expect(executions).toBe(1);
  });

  it('lets exactly one of many simultaneous requests with one key run', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => post('/v1/orders/search', { first: 4 }, { 'idempotency-key': 'race-1' })));
    expect(executions).toBe(1);
    expect(results.filter((r) => r.status === 200 && !r.headers.get('idempotent-replayed')).length).toBe(1);
    expect(results.every((r) => r.status === 200 || r.status === 409)).toBe(true);
  });

  it('keeps keys per credential: another token with the same key runs its own request', async () => {
    await post('/v1/orders/search', { first: 2 }, { 'idempotency-key': 'shared-key' });
    const other = await post('/v1/orders/search', { first: 5 }, { 'idempotency-key': 'shared-key', ...bearer(SANDBOX_KEYS['acme-owner']!) });
    expect(other.status).toBe(200);
    expect(other.headers.get('idempotent-replayed')).toBeNull();
    expect(executions).toBe(2);
  });

  it('does not remember a request that failed validation, so the key can be used once it is fixed', async () => {
    const invalid = await post('/v1/orders/search', { first: 'two' }, { 'idempotency-key': 'fix-me' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors).toEqual([{ field: 'first', in: 'body', detail: 'must be a 32-bit integer; got "two"' }]);
    const fixed = await post('/v1/orders/search', { first: 2 }, { 'idempotency-key': 'fix-me' });
    expect(fixed.status).toBe(200);
    expect(executions).toBe(1);
  });

  it('requires the key where the mapping says so, and refuses malformed keys', async () => {
    const missing = await post('/v1/merchants/search', { first: 1 });
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([{ field: 'Idempotency-Key', in: 'header', detail: 'is required' }]);
    const long = await post('/v1/merchants/search', { first: 1 }, { 'idempotency-key': 'k'.repeat(256) });
    expect(long.status).toBe(400);
    const given = await post('/v1/merchants/search', { first: 1 }, { 'idempotency-key': 'merchants-1' });
    expect(given.status).toBe(200);
    expect(given.body.edges).toHaveLength(1);
  });

  it("refuses bodies that are not a JSON object of the operation's variables", async () => {
    expect((await post('/v1/orders/search', '{"first": 2', {})).body).toMatchObject({ status: 400, type: 'urn:ipay:problem:invalid-body' });
    expect((await post('/v1/orders/search', [1, 2])).body.errors).toEqual([{ in: 'body', detail: 'the body must be a JSON object' }]);
    expect((await post('/v1/orders/search', { first: 2, sort: 'asc' })).body.errors).toEqual([
      { field: 'sort', in: 'body', detail: expect.stringMatching(/^is not a property of this request/) },
    ]);
    const text = await post('/v1/orders/search', 'first=2', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(text.status).toBe(415);
    expect(executions).toBe(0);
  });

  it('stores a key for 24 hours, after which it is forgotten and purged', async () => {
    const start = clock;
    await post('/v1/orders/search', { first: 2 }, { 'idempotency-key': 'day-1' });
    const [row] = await rest.gatewayDatabase.db.select().from(idempotencyKeys).where(eqKey('day-1'));
    expect(row).toMatchObject({ state: 'completed', responseStatus: 200 });
    expect(row!.expiresAt.getTime() - row!.createdAt.getTime()).toBe(DAY);
    clock = start + DAY - 1000;
    expect((await post('/v1/orders/search', { first: 3 }, { 'idempotency-key': 'day-1' })).status).toBe(422);
    clock = start + DAY + 1000;
    const reused = await post('/v1/orders/search', { first: 3 }, { 'idempotency-key': 'day-1' });
    expect(reused.status).toBe(200);
    expect(reused.headers.get('idempotent-replayed')).toBeNull();
    expect(await rest.store.purgeExpired(new Date(clock + 2 * DAY))).toBeGreaterThan(0);
    expect(await rest.gatewayDatabase.db.select().from(idempotencyKeys)).toEqual([]);
    clock = start;
  });

  it('stores a refusal of the graph (4xx) so a retry with the key gets the same answer', async () => {
    scripted = {
      status: 200,
      body: {
        data: { orders: null },
        errors: [{ message: 'first: the order was released already', path: ['orders'], extensions: { code: 'BAD_USER_INPUT', field: 'first' } }],
      },
    };
    const conflict = await post('/v1/orders/search', { first: 2 }, { 'idempotency-key': 'conflict-1' });
    expect(conflict.status).toBe(422);
    expect(conflict.body).toMatchObject({ type: 'urn:ipay:problem:invalid-input', code: 'BAD_USER_INPUT', detail: 'first: the order was released already' });
    scripted = undefined;
    const retry = await post('/v1/orders/search', { first: 2 }, { 'idempotency-key': 'conflict-1' });
    expect(retry.status).toBe(422);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(executions).toBe(1);
  });

  it('does not store a refusal (403): a retry with the key asks the graph again', async () => {
    const carrier = bearer(SANDBOX_KEYS['ups-carrier']!);
    const refused = await post('/v1/orders/search', { first: 2 }, { 'idempotency-key': 'refused-1', ...carrier });
    expect(refused.status).toBe(403);
    expect(await rest.gatewayDatabase.db.select().from(idempotencyKeys).where(eqKey('refused-1'))).toEqual([]);
    const allowed = await post('/v1/orders/search', { first: 2 }, { 'idempotency-key': 'refused-1', ...bearer(SANDBOX_KEYS['ups-carrier']!) });
    expect(allowed.status).toBe(403);
    expect(allowed.headers.get('idempotent-replayed')).toBeNull();
    expect(executions).toBe(2);
  });

  it('lets a claim abandoned past its lease be taken over, and ignores the late completion of the old one', async () => {
    const now = new Date(clock);
    const request = {
      scope: 'test',
      key: 'abandoned',
      fingerprint: 'f1',
      operationId: 'op',
      now,
      expiresAt: new Date(clock + DAY),
      lockedUntil: new Date(clock + 1000),
    };
    const first = await rest.store.claim(request);
    expect(first.outcome).toBe('claimed');
    expect((await rest.store.claim(request)).outcome).toBe('in-flight');
    expect((await rest.store.claim({ ...request, fingerprint: 'f2', now: new Date(clock + 5000) })).outcome).toBe('mismatch');
    const second = await rest.store.claim({ ...request, now: new Date(clock + 5000), lockedUntil: new Date(clock + 10_000) });
    expect(second.outcome).toBe('claimed');
    const stale = first.outcome === 'claimed' ? first.lockToken : '';
    expect(await rest.store.complete({ scope: 'test', key: 'abandoned', lockToken: stale }, { status: 200, headers: {}, body: '"old"' })).toBe(false);
    const current = second.outcome === 'claimed' ? second.lockToken : '';
    expect(
      await rest.store.complete(
        { scope: 'test', key: 'abandoned', lockToken: current },
        { status: 201, headers: { 'content-type': 'application/json' }, body: '"new"' },
      ),
    ).toBe(true);
    expect(await rest.store.claim(request)).toEqual({
      outcome: 'replay',
      response: { status: 201, headers: { 'content-type': 'application/json' }, body: '"new"' },
    });
  });

  // Last: it takes commerce down.
  it('forgets the key when a read failed transiently, so a retry runs again', async () => {
    rest.system.subgraphs.commerce.httpServer.close();
    rest.system.subgraphs.commerce.httpServer.closeAllConnections();
    const failed = await post('/v1/orders/search', { first: 2 }, { 'idempotency-key': 'transient-1' });
    expect(failed.status).toBe(503);
    expect(await rest.gatewayDatabase.db.select().from(idempotencyKeys).where(eqKey('transient-1'))).toEqual([]);
    await post('/v1/orders/search', { first: 2 }, { 'idempotency-key': 'transient-1' });
    expect(executions).toBe(2);
  });
});

const eqKey = (key: string) => eq(idempotencyKeys.key, key);

async function until(condition: () => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
