import { createServer } from 'node:http';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  INTERNAL_TOKEN_HEADER,
  MASKED_ERROR_MESSAGE,
  closeServer,
  formatClientError,
  createLogger,
  internalTokenSecret,
  ipayEnvironment,
  listen,
  requestScope,
  signInternalToken,
  type Principal,
} from '@ipay/platform';
import { SANDBOX_KEYS } from '../../../subgraphs/system/e2e/support.ts';
import { startHostileSystem, type HostileSystem } from './support.ts';

/** The whole system serving as production does (masking, no introspection, no suggestions, no stack traces). */
let system: HostileSystem;
let operator: Principal;
beforeAll(async () => {
  system = await startHostileSystem({ environment: 'production' });
  const secret = internalTokenSecret();
  const response = await fetch(new URL('/internal/authenticate', system.subgraphUrls.identity), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [INTERNAL_TOKEN_HEADER]: await signInternalToken(secret, { requestId: 'probe', principal: null, sourceIp: null }),
    },
    body: JSON.stringify({ apiKey: SANDBOX_KEYS.operator }),
  });
  operator = ((await response.json()) as { principal: Principal }).principal;
});
afterAll(async () => {
  await system?.stop();
});
beforeEach(() => system.resetCalls());

const subgraphCall = async (url: string, query: string, variables: Record<string, unknown>, token: string | undefined) => {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': 'hostile-probe-1' };
  if (token) headers[INTERNAL_TOKEN_HEADER] = token;
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return { status: response.status, text: await response.text() };
};

describe('production mode (IPAY_ENV unset or production)', () => {
  it('is the default when IPAY_ENV is unset, and an unknown value is refused', () => {
    expect(ipayEnvironment({})).toBe('production');
    expect(ipayEnvironment({ IPAY_ENV: '' })).toBe('production');
    expect(ipayEnvironment({ NODE_ENV: 'development' })).toBe('production');
    expect(() => ipayEnvironment({ IPAY_ENV: 'dev' })).toThrow(/IPAY_ENV=dev is not one of production, sandbox, development/);
  });

  it('refuses to start without INTERNAL_TOKEN_SECRET, or with the development one, in production', () => {
    expect(() => internalTokenSecret({})).toThrow(/INTERNAL_TOKEN_SECRET is required in production/);
    expect(() => internalTokenSecret({ INTERNAL_TOKEN_SECRET: 'ipay-development-internal-secret-change-me-0123456789' })).toThrow(
      /development or example value/,
    );
    expect(() => internalTokenSecret({ INTERNAL_TOKEN_SECRET: 'compose-internal-secret-change-me-0123456789' })).toThrow(/development or example value/);
    expect(internalTokenSecret({ INTERNAL_TOKEN_SECRET: 'b1f0e6f3a2c94d0a8e7b5c3d1f9a7e5c' })).toBe('b1f0e6f3a2c94d0a8e7b5c3d1f9a7e5c');
  });

  it('never listens beyond loopback while a development secret is in use', async () => {
    // The suites run with the development internal secret: this process has registered it.
    internalTokenSecret({ IPAY_ENV: 'development' });
    const server = createServer();
    await expect(listen(server, 0, 'probe', 'PROBE_PORT', '0.0.0.0')).rejects.toThrow(
      /refusing to listen on 0\.0\.0\.0 with development secrets \(.*INTERNAL_TOKEN_SECRET/,
    );
    const port = await listen(server, 0, 'probe', 'PROBE_PORT');
    expect((server.address() as { address: string }).address).toBe('127.0.0.1');
    expect(port).toBeGreaterThan(0);
    await closeServer(server);
  });

  it('answers introspection with 400 GRAPHQL_VALIDATION_FAILED, before any subgraph', async () => {
    const { status, json } = await system.post({ query: '{ __schema { types { name } } }' });
    expect({ status, code: json.errors[0].extensions.code }).toEqual({ status: 400, code: 'GRAPHQL_VALIDATION_FAILED' });
    expect(system.totalSubgraphCalls()).toBe(0);
  });

  it('gives no "Did you mean" suggestions for a misspelt field', async () => {
    const { status, json } = await system.post({ query: '{ ordrs(first: 1) { edges { node { id } } } }' });
    expect({ status, code: json.errors[0].extensions.code }).toEqual({ status: 400, code: 'GRAPHQL_VALIDATION_FAILED' });
    expect(json.errors[0].message).not.toMatch(/Did you mean/);
    expect(json.errors[0].message).not.toMatch(/orders/);
    expect(system.totalSubgraphCalls()).toBe(0);
  });

  it('refuses a NUL byte in a variable with 400 BAD_USER_INPUT naming it, before any subgraph', async () => {
    const { status, json } = await system.post({
      query: 'query($s: String) { orders(first: 1, search: $s) { edges { node { id } } } }',
      variables: { s: 'a\u0000b' },
    });
    expect({ status, code: json.errors[0].extensions.code, field: json.errors[0].extensions.field }).toEqual({
      status: 400,
      code: 'BAD_USER_INPUT',
      field: 's',
    });
    expect(system.totalSubgraphCalls()).toBe(0);
  });

  it('refuses a NUL byte in a nested input literal, naming the field path', async () => {
    const { status, json } = await system.post({ query: '{ orders(first: 1, search: "x\\u0000y") { edges { node { id } } } }' });
    expect({ status, code: json.errors[0].extensions.code, field: json.errors[0].extensions.field }).toEqual({
      status: 400,
      code: 'BAD_USER_INPUT',
      field: 'search',
    });
    expect(system.totalSubgraphCalls()).toBe(0);
  });

  it('masks an unexpected subgraph error (SQL refusing a NUL) to a generic message with the request id: no SQL, no stack', async () => {
    const token = await signInternalToken(internalTokenSecret(), { requestId: 'hostile-probe-1', principal: operator, sourceIp: '127.0.0.1' });
    const { status, text } = await subgraphCall(
      system.subgraphUrls.commerce,
      'query($s: String) { orders(first: 1, search: $s) { edges { node { id } } } }',
      { s: 'a\u0000b' },
      token,
    );
    const body = JSON.parse(text);
    expect(status).toBe(200);
    expect(body.errors[0]).toEqual({
      message: MASKED_ERROR_MESSAGE,
      path: ['orders'],
      extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'hostile-probe-1' },
    });
    expect(text).not.toMatch(/select|commerce\.|stacktrace|invalid byte|0x00/i);
  });

  it('keeps coded errors as they are (NOT_FOUND passes with its message)', async () => {
    const { json } = await system.post({ query: '{ order(id: "ord_does_not_exist") { id } }' });
    expect(json.errors?.[0]?.extensions?.code ?? 'null').not.toBe('INTERNAL_SERVER_ERROR');
  });

  it('refuses a forged internal token (signed with another secret) at a subgraph port with 401', async () => {
    const forged = await new SignJWT({ rid: 'x', prn: operator, ip: '127.0.0.1' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('ipay-gateway')
      .setAudience('ipay-subgraph')
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(new TextEncoder().encode('an-attacker-chosen-secret-of-32-characters!'));
    const { status, text } = await subgraphCall(system.subgraphUrls.commerce, '{ orders(first: 1) { edges { node { id } } } }', {}, forged);
    expect({ status, code: JSON.parse(text).errors[0].extensions.code }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('refuses an internal token with alg none at a subgraph port with 401', async () => {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const none = `${part({ alg: 'none', typ: 'JWT' })}.${part({ rid: 'x', prn: operator, iss: 'ipay-gateway', aud: 'ipay-subgraph', exp: Math.floor(Date.now() / 1000) + 60 })}.`;
    const { status, text } = await subgraphCall(system.subgraphUrls.commerce, '{ orders(first: 1) { edges { node { id } } } }', {}, none);
    expect({ status, code: JSON.parse(text).errors[0].extensions.code }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('strips internal URLs of subgraphs from any error in every mode, and stack traces outside development', () => {
    const formatted = {
      message: 'boom',
      extensions: { code: 'UNAUTHENTICATED', response: { url: 'http://commerce:4002/graphql', status: 401, body: 'x' }, stacktrace: ['at x'] },
    };
    const logger = createLogger('test', 'silent');
    for (const environment of ['production', 'sandbox'] as const) {
      expect(requestScope.run({ requestId: 'r1' }, () => formatClientError(formatted, undefined, environment, logger))).toEqual({
        message: 'boom',
        extensions: { code: 'UNAUTHENTICATED', response: { status: 401, body: 'x' } },
      });
    }
    expect(formatClientError(formatted, undefined, 'development', logger).extensions).toEqual({
      code: 'UNAUTHENTICATED',
      response: { status: 401, body: 'x' },
      stacktrace: ['at x'],
    });
  });
});
