import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERNAL_TOKEN_HEADER, internalTokenSecret, newId, sandboxId, signInternalToken, signLinkToken, type Principal } from '@ipay/platform';
import { DOWNLOAD_PURPOSE, INTERNAL_DOWNLOAD_ROUTE, PUBLIC_DOWNLOAD_PATH } from '../src/app/downloads.ts';
import { CFO, merchantKey, paid, publishRefund, settlementsOf, startFinance, type FinanceHarness } from './support.ts';

/**
 * Streamed export downloads on the finance side: the graph issues a short-lived link for the caller; the internal
 * route (the gateway proxies GET /v1/downloads/settlement-exports/<token> to it) streams the same bytes as the inline
 * export, and refuses anyone else, an expired or forged link, and what the caller may no longer see.
 */
const a = { id: sandboxId('mer', 'fin-test:download-a'), slug: 'download-a' };
const b = { id: sandboxId('mer', 'fin-test:download-b'), slug: 'download-b' };
const kw = { id: sandboxId('mer', 'fin-test:download-kw'), slug: 'download-kw' };
const LINK = `{ url token filename contentType expiresAt }`;
const DOC = `{ filename contentType contentBase64 byteLength sha256 }`;
const SETTLEMENT = `query($id: ID!, $format: SettlementExportFormat!) { settlement(id: $id) { inline: export(format: $format) ${DOC} link: exportDownload(format: $format) ${LINK} } }`;
const PERIOD = `query($input: PeriodExportInput!) { inline: settlementPeriodExport(input: $input) ${DOC} link: settlementPeriodExportDownload(input: $input) ${LINK} }`;
const OCTOBER = { from: '2026-10-01T00:00:00.000Z', to: '2026-11-01T00:00:00.000Z' };

describe('streamed export downloads (finance internal route)', () => {
  let h: FinanceHarness;
  let origin: string;
  beforeAll(async () => {
    h = await startFinance();
    origin = new URL(h.url).origin;
    await paid(h, a, newId('ord'), 7840, 'EUR', '2026-10-05T10:00:00Z');
    const refunded = newId('ord');
    await paid(h, a, refunded, 1990, 'EUR', '2026-10-10T10:00:00Z');
    await publishRefund(h, a, { orderId: refunded, amount: 500, currency: 'EUR', occurredAt: '2026-10-12T09:00:00Z' });
    await paid(h, b, newId('ord'), 4200, 'EUR', '2026-10-06T10:00:00Z');
    await paid(h, kw, newId('ord'), 12345, 'KWD', '2026-10-08T10:00:00Z');
  });
  afterAll(() => h?.stop());

  /** GETs the internal route as the gateway does for `principal` (null: an anonymous caller). */
  const download = async (token: string, principal: Principal | null, init: { internal?: boolean } = {}) => {
    const headers: Record<string, string> = {};
    if (init.internal !== false)
      headers[INTERNAL_TOKEN_HEADER] = await signInternalToken(internalTokenSecret(), { requestId: 'download-test', principal, sourceIp: '127.0.0.1' });
    return fetch(`${origin}${INTERNAL_DOWNLOAD_ROUTE}${token}`, { headers });
  };
  const tokenOf = (url: string) => {
    expect(url.startsWith(PUBLIC_DOWNLOAD_PATH)).toBe(true);
    return url.slice(PUBLIC_DOWNLOAD_PATH.length);
  };
  const codeOf = async (response: Response) =>
    ((await response.json()) as { errors: { extensions: { code: string; reason?: string } }[] }).errors[0]!.extensions;

  it.each(['CSV', 'DATEV'] as const)('streams a settlement %s export chunked, with the same bytes as the inline export', async (format) => {
    const [s] = await settlementsOf(h.db, a.id);
    const { data, errors } = await h.gql(SETTLEMENT, { id: s!.id, format }, merchantKey(a.id));
    expect(errors).toBeUndefined();
    const { inline, link } = data.settlement;
    expect(link).toMatchObject({ filename: inline.filename, contentType: inline.contentType, token: tokenOf(link.url) });
    expect(Date.parse(link.expiresAt)).toBeGreaterThan(Date.now());
    const response = await download(link.token, merchantKey(a.id));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(format === 'CSV' ? 'text/csv; charset=utf-8' : 'text/csv; charset=iso-8859-1');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${inline.filename}"`);
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    expect(response.headers.get('content-length')).toBeNull();
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.equals(Buffer.from(inline.contentBase64, 'base64'))).toBe(true);
    // The link may be used again while it is valid: same bytes.
    expect(Buffer.from(await (await download(link.token, merchantKey(a.id))).arrayBuffer()).equals(body)).toBe(true);
  });

  it('streams a period export with the bytes of the inline period export', async () => {
    const { data, errors } = await h.gql(PERIOD, { input: { ...OCTOBER, format: 'CSV' } }, CFO);
    expect(errors).toBeUndefined();
    const response = await download(data.link.token, CFO);
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.equals(Buffer.from(data.inline.contentBase64, 'base64'))).toBe(true);
    expect(body.toString('utf8')).toContain(a.id);
    expect(body.toString('utf8')).toContain(b.id);
  });

  it("refuses another merchant: its link to another's data, and the link of another credential", async () => {
    const [s] = await settlementsOf(h.db, a.id);
    // B asks for A's settlement: not visible, as settlement(id) itself.
    const other = await h.gql(SETTLEMENT, { id: s!.id, format: 'CSV' }, merchantKey(b.id));
    expect(other.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    // B asks for A's period: another merchant is not visible to it, the same answer as the inline period export.
    for (const field of ['settlementPeriodExport(input: $input) { sha256 }', `settlementPeriodExportDownload(input: $input) ${LINK}`]) {
      const period = await h.gql(
        `query($input: PeriodExportInput!) { ${field} }`,
        { input: { ...OCTOBER, format: 'CSV', merchantId: a.id } },
        merchantKey(b.id),
      );
      expect(period.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    }
    // B holds A's link: refused with 403, not a byte of A's data.
    const { data } = await h.gql(SETTLEMENT, { id: s!.id, format: 'CSV' }, merchantKey(a.id));
    const stolen = await download(data.settlement.link.token, merchantKey(b.id));
    expect(stolen.status).toBe(403);
    expect(await codeOf(stolen)).toMatchObject({ code: 'FORBIDDEN' });
    // A merchant's own period link covers only its own settlements.
    const own = await h.gql(
      `query($input: PeriodExportInput!) { settlementPeriodExportDownload(input: $input) ${LINK} }`,
      { input: { ...OCTOBER, format: 'CSV' } },
      merchantKey(b.id),
    );
    const text = await (await download(own.data.settlementPeriodExportDownload.token, merchantKey(b.id))).text();
    expect(text).toContain(b.id);
    expect(text).not.toContain(a.id);
  });

  it('checks the credential again at download time: a grant taken away in between refuses the link', async () => {
    const [s] = await settlementsOf(h.db, a.id);
    const key = merchantKey(a.id);
    const { data } = await h.gql(SETTLEMENT, { id: s!.id, format: 'CSV' }, key);
    const withoutRead: Principal = { ...key, grants: { ...key.grants, 'settlements:read': undefined } as Principal['grants'] };
    const response = await download(data.settlement.link.token, withoutRead);
    expect(response.status).toBe(403);
    expect(await codeOf(response)).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('refuses an expired or forged link with 404, no credential with 401, and a caller without the gateway token', async () => {
    const [s] = await settlementsOf(h.db, a.id);
    const expired = await signLinkToken(
      h.services.downloads.secret,
      DOWNLOAD_PURPOSE,
      merchantKey(a.id).id,
      { spec: { settlementId: s!.id, format: 'CSV' }, livemode: false },
      -60,
    );
    const gone = await download(expired.token, merchantKey(a.id));
    expect(gone.status).toBe(404);
    expect(await codeOf(gone)).toMatchObject({ code: 'NOT_FOUND', reason: 'EXPIRED' });
    // Signed with another purpose's key (or edited): not a link of this route.
    const forged = await signLinkToken(
      h.services.downloads.secret,
      'another-purpose',
      merchantKey(a.id).id,
      { spec: { settlementId: s!.id, format: 'CSV' }, livemode: false },
      60,
    );
    const unknown = await download(forged.token, merchantKey(a.id));
    expect(unknown.status).toBe(404);
    expect(await codeOf(unknown)).toMatchObject({ code: 'NOT_FOUND', reason: 'INVALID' });

    const { data } = await h.gql(SETTLEMENT, { id: s!.id, format: 'CSV' }, merchantKey(a.id));
    const anonymous = await download(data.settlement.link.token, null);
    expect(anonymous.status).toBe(401);
    expect(await codeOf(anonymous)).toMatchObject({ code: 'UNAUTHENTICATED' });
    const outsider = await download(data.settlement.link.token, merchantKey(a.id), { internal: false });
    expect(outsider.status).toBe(401);
    expect(await codeOf(outsider)).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('refuses before streaming what the export would refuse midway (DATEV of a three-decimal currency)', async () => {
    const [s] = await settlementsOf(h.db, kw.id);
    const { errors } = await h.gql(`query($id: ID!) { settlement(id: $id) { exportDownload(format: DATEV) ${LINK} } }`, { id: s!.id }, CFO);
    expect(errors?.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([['BAD_USER_INPUT', 'format']]);
    const period = await h.gql(
      `query($input: PeriodExportInput!) { settlementPeriodExportDownload(input: $input) ${LINK} }`,
      { input: { ...OCTOBER, format: 'DATEV' } },
      CFO,
    );
    expect(period.errors?.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([['BAD_USER_INPUT', 'format']]);
    const years = await h.gql(
      `query($input: PeriodExportInput!) { settlementPeriodExportDownload(input: $input) ${LINK} }`,
      { input: { from: '2026-12-01T00:00:00.000Z', to: '2027-02-01T00:00:00.000Z', format: 'DATEV' } },
      CFO,
    );
    expect(years.errors?.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([['BAD_USER_INPUT', 'input.to']]);
  });
});
