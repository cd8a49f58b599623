import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, SANDBOX_ORDERS, type ErrorCode } from '@ipay/platform';
import { AS_OPERATOR } from '../../../subgraphs/system/e2e/support.ts';
import { readRestArtifacts } from '../../src/rest/index.ts';
import { ResponseValidator, startRestSystem, type RestSystem } from './support.ts';

/**
 * Issue 11, defect 6, on the running system: domain refusals the graph really raises come out of REST with their
 * catalogued status (never 500), and each problem validates against the schema the OpenAPI document gives that
 * status of that operation (Prism-style response validation with ajv).
 */
const { openapi } = readRestArtifacts();
const validator = new ResponseValidator(openapi);
const order = (status: string) => SANDBOX_ORDERS.find((o) => o.status === status && o.merchantId === SANDBOX_ORDERS[0]!.merchantId)!;

describe('domain refusals through REST on the running system', () => {
  let rest: RestSystem;
  beforeAll(async () => {
    rest = await startRestSystem();
  });
  afterAll(() => rest?.stop());

  async function call(method: string, documented: string, url: string, body?: unknown, headers: Record<string, string> = AS_OPERATOR) {
    const response = await fetch(`${rest.baseUrl}${url}`, {
      method,
      headers: {
        ...headers,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(method === 'POST' ? { 'idempotency-key': crypto.randomUUID() } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const problem = (await response.json()) as { status: number; type: string; code?: string; title: string };
    expect(response.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(validator.errors(documented, method, response.status, 'application/problem+json', problem)).toEqual([]);
    return { status: response.status, headers: response.headers, problem };
  }
  const expectCode = (result: { status: number; problem: { code?: string; type: string; title: string } }, code: ErrorCode) => {
    expect(result.problem.code).toBe(code);
    expect(result.status).toBe(ERROR_CATALOGUE[code].status);
    expect(result.problem.type).toBe(ERROR_CATALOGUE[code].type);
    expect(result.problem.title).toBe(ERROR_CATALOGUE[code].title);
  };

  it('ILLEGAL_TRANSITION: cancelling a delivered order → 409', async () => {
    expectCode(await call('POST', '/v1/orders/{id}/cancel', `/v1/orders/${order('DELIVERED').id}/cancel`, { reason: 'too late' }), 'ILLEGAL_TRANSITION');
  });

  it('ORDER_NOT_PAYABLE: a payment session for a paid order → 409', async () => {
    const result = await call('POST', '/v1/payment-sessions', '/v1/payment-sessions', {
      orderId: order('DELIVERED').id,
      psp: 'ADYEN',
      method: 'card',
      idempotencyKey: 'pay-delivered-1',
    });
    expectCode(result, 'ORDER_NOT_PAYABLE');
  });

  it('IDEMPOTENCY_KEY_REUSED: the graph’s own idempotency key reused for another request → 422', async () => {
    const first = await fetch(`${rest.baseUrl}/v1/payment-sessions`, {
      method: 'POST',
      headers: { ...AS_OPERATOR, 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
      body: JSON.stringify({ orderId: order('CREATED').id, psp: 'ADYEN', method: 'card', idempotencyKey: 'pay-reused-1' }),
    });
    expect(first.status).toBe(201);
    const reused = await call('POST', '/v1/payment-sessions', '/v1/payment-sessions', {
      orderId: order('CREATED').id,
      psp: 'STRIPE',
      method: 'card',
      idempotencyKey: 'pay-reused-1',
    });
    expectCode(reused, 'IDEMPOTENCY_KEY_REUSED');
  });

  it('NOT_FOUND → 404, UNAUTHENTICATED → 401 with WWW-Authenticate', async () => {
    expectCode(await call('GET', '/v1/orders/{id}', '/v1/orders/ord_does_not_exist'), 'NOT_FOUND');
    const refused = await call('GET', '/v1/orders/{id}', `/v1/orders/${order('DELIVERED').id}`, undefined, {
      authorization: `Bearer ipk_test_${'x'.repeat(40)}`,
    });
    expectCode(refused, 'UNAUTHENTICATED');
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer realm="ipay"/);
  });
});
