import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { and, eq } from 'drizzle-orm';
import { GraphQLError } from 'graphql';
import {
  Authorization,
  ERROR_CATALOGUE,
  InternalTokenError,
  domainError,
  isErrorCode,
  notFound,
  sendJson,
  signLinkToken,
  verifyLinkToken,
  type RequestInfo,
} from '@ipay/platform';
import { settlements } from '../db/schema.ts';
import { readableSettlements } from '../db/loaders.ts';
import type { DatevOptions } from '../adapters/datev.ts';
import type { Db } from './context.ts';
import { checkExportPlan, periodExportPlan, planChunks, settlementExportPlan, type ExportFormat, type ExportPlan } from './documents.ts';

/**
 * Streamed export downloads. `Settlement.exportDownload` / `Query.settlementPeriodExportDownload` check the request as
 * the inline export fields do and answer with a short-lived signed link; `GET /v1/downloads/settlement-exports/<token>`
 * on the gateway (same bearer credential) proxies to this subgraph's `/internal/settlement-exports/<token>`, which
 * checks the caller and the request again and streams the file chunk by chunk from the database (keyset pages: bounded
 * memory, no line cap). The bytes are those of the inline export (the same `ExportPlan` renders both).
 */
export const DOWNLOAD_PURPOSE = 'finance-settlement-export';
export const INTERNAL_DOWNLOAD_ROUTE = '/internal/settlement-exports/';
/** Where the gateway serves the download (gateway/src/downloads.ts proxies it to INTERNAL_DOWNLOAD_ROUTE). */
export const PUBLIC_DOWNLOAD_PATH = '/v1/downloads/settlement-exports/';
/** How long a link may be started (FINANCE_EXPORT_LINK_TTL_SECONDS); a download that started runs to its end. */
export const DEFAULT_LINK_TTL_SECONDS = 300;

/** What a link is for: one settlement's export, or a period's. */
export type ExportSpec = { settlementId: string; format: ExportFormat } | { from: string; to: string; merchantId: string | null; format: ExportFormat };

export interface DownloadKeys {
  secret: string;
  ttlSeconds: number;
}

/** The plan of a spec for this caller, with the graph's permission and scope checks (NOT_FOUND, FORBIDDEN, BAD_USER_INPUT). */
export async function planFor(db: Db, auth: Authorization, spec: ExportSpec): Promise<ExportPlan> {
  const scope = auth.require('settlements:read');
  let plan: ExportPlan;
  if ('settlementId' in spec) {
    const [settlement] = await db
      .select()
      .from(settlements)
      .where(and(eq(settlements.id, spec.settlementId), readableSettlements(auth)));
    if (!settlement) throw notFound('Settlement', spec.settlementId);
    plan = settlementExportPlan(settlement, scope, auth.livemode, spec.format);
  } else {
    if (spec.merchantId) auth.requireMerchant('settlements:read', spec.merchantId);
    plan = periodExportPlan({ from: new Date(spec.from), to: new Date(spec.to), format: spec.format, merchantId: spec.merchantId }, scope, auth.livemode);
  }
  await checkExportPlan(db, plan);
  return plan;
}

/** Checks the request now and signs a link to it for the calling principal. */
export async function issueDownload(db: Db, auth: Authorization, spec: ExportSpec, keys: DownloadKeys) {
  const plan = await planFor(db, auth, spec);
  const principal = auth.requirePrincipal();
  const link = await signLinkToken(keys.secret, DOWNLOAD_PURPOSE, principal.id, { spec, livemode: principal.livemode }, keys.ttlSeconds);
  return { url: `${PUBLIC_DOWNLOAD_PATH}${link.token}`, token: link.token, filename: plan.filename, contentType: plan.contentType, expiresAt: link.expiresAt };
}

const refuse = (info: RequestInfo, error: GraphQLError) => {
  const code = error.extensions?.code;
  const status = isErrorCode(code) ? ERROR_CATALOGUE[code].status : 500;
  sendJson(info.res, status, { errors: [{ message: error.message, extensions: { ...error.extensions, http: undefined } }] }, { 'cache-control': 'no-store' });
};

/** `attachment; filename="…"` with a name that needs no escaping (ids and dates; anything else becomes `_`). */
export const contentDisposition = (filename: string) => `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`;

/** The internal route: the caller (from the gateway's token) must be the one the link was issued to. */
export function downloadRoute(db: Db, keys: DownloadKeys, datev: () => DatevOptions) {
  return async (info: RequestInfo): Promise<void> => {
    const { req, res } = info;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendJson(res, 405, { errors: [{ message: 'GET the download', extensions: { code: 'METHOD_NOT_ALLOWED' } }] }, { allow: 'GET, HEAD' });
    }
    const principal = info.internal?.principal ?? null;
    if (!principal) return refuse(info, domainError('UNAUTHENTICATED', 'authentication required: send the Authorization header the link was issued to'));
    const token = new URL(req.url ?? '/', 'http://localhost').pathname.slice(INTERNAL_DOWNLOAD_ROUTE.length);
    let link;
    try {
      // A link token is base64url and dots: nothing to decode; anything else is not one of ours.
      link = await verifyLinkToken<{ spec: ExportSpec; livemode: boolean }>(keys.secret, DOWNLOAD_PURPOSE, token);
    } catch (error) {
      if (!(error instanceof InternalTokenError)) throw error;
      const expired = error.message === 'expired';
      return refuse(
        info,
        domainError('NOT_FOUND', expired ? 'this download link has expired: ask for a new one' : 'no such download link', {
          entity: 'Download',
          reason: expired ? 'EXPIRED' : 'INVALID',
        }),
      );
    }
    if (link.subject !== principal.id || link.claims.livemode !== principal.livemode) {
      return refuse(info, domainError('FORBIDDEN', 'this download link was issued to another credential'));
    }
    let plan: ExportPlan;
    try {
      plan = await planFor(db, new Authorization(principal), link.claims.spec);
    } catch (error) {
      if (error instanceof GraphQLError) return refuse(info, error);
      throw error;
    }
    res.writeHead(200, {
      'content-type': plan.contentType,
      'content-disposition': contentDisposition(plan.filename),
      'cache-control': 'private, no-store',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') return void res.end();
    try {
      // No Content-Length: Node sends it chunked, each chunk as the export yields it, waiting while the client is slow.
      await pipeline(Readable.from(planChunks(db, plan, datev())), res);
    } catch (error) {
      // A client that went away stops the export (the generator is closed, no more pages are read).
      if (res.destroyed && !res.writableFinished && (error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') {
        info.logger.info({ filename: plan.filename }, 'export download abandoned by the client');
        return;
      }
      info.logger.error({ err: error, filename: plan.filename }, 'export download failed midway; the response is cut');
      res.destroy(error as Error);
    }
  };
}
