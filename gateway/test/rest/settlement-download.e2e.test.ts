import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MERCHANTS, sandboxSettlementId } from '@ipay/platform';
import { startTestSystem, SANDBOX_KEYS, type TestSystem } from '../../../subgraphs/system/e2e/support.ts';
import { ResponseValidator } from './support.ts';

/**
 * Streamed settlement exports over HTTP, end to end: REST (or GraphQL) hands out a short-lived link, the gateway's
 * download route authenticates the caller as for /graphql and streams finance's file through, chunk by chunk, the same
 * bytes as the inline (base64) export; a merchant never gets another merchant's file.
 */
const openapi = JSON.parse(readFileSync(new URL('../../../schema/openapi.json', import.meta.url), 'utf8')) as Record<string, any>;
const [acme, nordic] = SANDBOX_MERCHANTS as [(typeof SANDBOX_MERCHANTS)[number], (typeof SANDBOX_MERCHANTS)[number]];
const as = (key: string) => ({ authorization: `Bearer ${SANDBOX_KEYS[key]}` });
const NOVEMBER = 'from=2026-11-01T00:00:00.000Z&to=2026-12-01T00:00:00.000Z';

describe('settlement exports streamed over HTTP through the gateway', () => {
  let system: TestSystem;
  let base: string;
  const validator = new ResponseValidator(openapi);
  beforeAll(async () => {
    system = await startTestSystem({ seed: true });
    base = new URL('/', system.gatewayUrl).toString().replace(/\/$/, '');
  });
  afterAll(() => system?.stop());

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });
  const json = async (path: string, headers: Record<string, string>) => {
    const response = await get(path, headers);
    expect(response.status, `${path}: ${response.status}`).toBe(200);
    return (await response.json()) as Record<string, any>;
  };
  const problemOf = async (response: Response) => {
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    return (await response.json()) as { status: number; code: string; type: string };
  };

  it.each(['CSV', 'DATEV'] as const)("streams a settlement's %s export with the bytes of GET /v1/settlements/{id}/export", async (format) => {
    const id = sandboxSettlementId(acme.id);
    const inline = await json(`/v1/settlements/${id}/export?format=${format}`, as('acme-owner'));
    const link = await json(`/v1/settlements/${id}/export-download?format=${format}`, as('acme-owner'));
    expect(validator.errors('/v1/settlements/{id}/export-download', 'get', 200, 'application/json', link)).toEqual([]);
    expect(link).toMatchObject({ filename: inline.filename, contentType: inline.contentType, url: `/v1/downloads/settlement-exports/${link.token}` });

    const response = await get(link.url, as('acme-owner'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(inline.contentType);
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${inline.filename}"`);
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    expect(response.headers.get('content-length')).toBeNull();
    expect(response.headers.get('x-request-id')).toBeTruthy();
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.length).toBe(inline.byteLength);
    expect(bytes.equals(Buffer.from(inline.contentBase64, 'base64'))).toBe(true);
  });

  it("streams a period's export with the bytes of GET /v1/settlement-exports, in the caller's scope only", async () => {
    const inline = await json(`/v1/settlement-exports?${NOVEMBER}&format=CSV`, as('acme-owner'));
    const link = await json(`/v1/settlement-exports/download?${NOVEMBER}&format=CSV`, as('acme-owner'));
    const text = await (await get(link.url, as('acme-owner'))).text();
    expect(Buffer.from(text, 'utf8').equals(Buffer.from(inline.contentBase64, 'base64'))).toBe(true);
    expect(text).toContain(acme.id);
    expect(text).not.toContain(nordic.id);
    // The operator's period covers every merchant.
    const all = await json(`/v1/settlement-exports/download?${NOVEMBER}&format=CSV`, as('operator'));
    const everything = await (await get(all.url, as('operator'))).text();
    expect(everything).toContain(acme.id);
    expect(everything).toContain(nordic.id);
  });

  it("refuses another merchant's settlement, and a link used by another credential, with the exact codes", async () => {
    const id = sandboxSettlementId(acme.id);
    // Nordic asks for Acme's settlement or period: not visible to it.
    const notVisible = await get(`/v1/settlements/${id}/export-download?format=CSV`, as('nordic-owner'));
    expect(notVisible.status).toBe(404);
    expect(await problemOf(notVisible)).toMatchObject({ status: 404, code: 'NOT_FOUND', type: 'urn:ipay:problem:not-found' });
    const otherPeriod = await get(`/v1/settlement-exports/download?${NOVEMBER}&format=CSV&merchantId=${acme.id}`, as('nordic-owner'));
    expect(otherPeriod.status).toBe(404);
    expect(await problemOf(otherPeriod)).toMatchObject({ code: 'NOT_FOUND' });

    // Nordic holds Acme's link: 403, not a byte of Acme's file.
    const link = await json(`/v1/settlements/${id}/export-download?format=CSV`, as('acme-owner'));
    const stolen = await get(link.url, as('nordic-owner'));
    expect(stolen.status).toBe(403);
    const refused = await problemOf(stolen);
    expect(refused).toMatchObject({ status: 403, code: 'FORBIDDEN', type: 'urn:ipay:problem:forbidden' });
    expect(validator.errors('/v1/downloads/settlement-exports/{token}', 'get', 403, 'application/problem+json', refused)).toEqual([]);

    // No credential: 401 with the challenge; a forged link: 404.
    const anonymous = await get(link.url);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(await problemOf(anonymous)).toMatchObject({ code: 'UNAUTHENTICATED' });
    const forged = await get(`${link.url.slice(0, -4)}AAAA`, as('acme-owner'));
    expect(forged.status).toBe(404);
    expect(await problemOf(forged)).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('is reachable only through the gateway: finance refuses the same path without its signed token', async () => {
    const link = await json(`/v1/settlements/${sandboxSettlementId(acme.id)}/export-download?format=CSV`, as('acme-owner'));
    const direct = await fetch(new URL(`/internal/settlement-exports/${link.token}`, system.subgraphUrls.finance), { headers: as('acme-owner') });
    expect(direct.status).toBe(401);
    expect(((await direct.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
  });
});
