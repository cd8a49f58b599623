/**
 * The REST routes that are not persisted GraphQL operations: streamed file downloads (gateway/src/downloads.ts). Their
 * answer is a file of any size, streamed in chunks, so they cannot be a GraphQL result; they are documented here, by
 * hand, next to the generated paths, and run in the Postman collection after the operation that issues their link.
 */
import { DOWNLOAD_ROUTES } from '../../../gateway/src/downloads.ts';

const ref = (name: string) => ({ $ref: `#/components/responses/${name}` });

export interface DownloadPath {
  path: string;
  /** The persisted operation whose answer holds the link (its `set` names the collection variable). */
  issuedBy: string;
  tokenVariable: string;
  item: Record<string, unknown>;
}

const SETTLEMENT_EXPORTS = Object.keys(DOWNLOAD_ROUTES).find((p) => p.includes('settlement-exports'))!;

export function downloadPaths(): DownloadPath[] {
  const path = `${SETTLEMENT_EXPORTS}{token}`;
  return [
    {
      path,
      issuedBy: 'GetSettlementPeriodExportDownload',
      tokenVariable: 'settlementExportToken',
      item: {
        operationId: 'DownloadSettlementExport',
        tags: ['Settlements'],
        summary: 'Download a settlement or period export as a stream',
        description: [
          'Streams the file a link of `GET /v1/settlements/{id}/export-download` or `GET /v1/settlement-exports/download` points at: the same bytes as the inline (base64) export, of any size (no line cap), sent in chunks as they are read from the database (`Transfer-Encoding: chunked`, no `Content-Length`).',
          'Send the same bearer token the link was issued to, before the link’s `expiresAt`; the permissions and data scope are checked again (a merchant gets only its own settlements). CSV is UTF-8 (`text/csv; charset=utf-8`), DATEV Buchungsstapel ISO-8859-1 (`text/csv; charset=iso-8859-1`).',
          'Refusals: 401 without a valid bearer token; 403 `FORBIDDEN` when the link was issued to another credential or the credential may no longer read that data; 404 `NOT_FOUND` for an unknown or expired link (`reason`: `INVALID`, `EXPIRED`) or a settlement outside the scope; 422 `BAD_USER_INPUT` for what the export refuses (a DATEV file over two fiscal years or with a three-decimal currency). A stream that fails midway is cut (the chunked body never completes), never completed with partial data.',
          'This route is not a GraphQL operation: the file is not JSON.',
        ].join('\n\n'),
        parameters: [
          {
            name: 'token',
            in: 'path',
            required: true,
            description: 'The signed token of the link (`token`, or the last segment of `url`).',
            schema: { type: 'string', pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$' },
            example: 'eyJhbGciOiJIUzI1NiJ9.eyJjbCI6e319.c2lnbmF0dXJl',
          },
        ],
        responses: {
          '200': {
            description: 'The file, streamed.',
            headers: {
              'Content-Disposition': {
                description: '`attachment; filename="…"`: the export’s file name.',
                schema: { type: 'string' },
                example: 'attachment; filename="settlements_2026-11-01_2026-11-30.csv"',
              },
              'X-Request-Id': { $ref: '#/components/headers/XRequestId' },
            },
            content: {
              'text/csv': {
                schema: { type: 'string', description: 'CSV (columns: see the finance README) or a DATEV Buchungsstapel (EXTF).' },
                example:
                  'record_type,settlement_id,merchant_id,merchant,currency,period_kind,period_start,period_end,settlement_status,accounting_state,line_id,line_kind,occurred_at,order_id,payment_session_id,refund_id,fee_schedule_id,gross,fee,net,line_count,reason,corrects_settlement_id,payout_reference,paid_at\r\n',
              },
            },
          },
          '401': ref('Unauthorized'),
          '403': ref('Forbidden'),
          '404': ref('NotFound'),
          '422': ref('UnprocessableContent'),
          '429': ref('TooManyRequests'),
          '500': ref('InternalServerError'),
          '502': ref('BadGateway'),
          '503': ref('ServiceUnavailable'),
          '504': ref('GatewayTimeout'),
        },
        'x-codeSamples': [
          {
            lang: 'Shell',
            label: 'curl',
            source: [
              `URL=$(curl -sS "$IPAY_API_URL/v1/settlement-exports/download?from=2026-11-01T00:00:00.000Z&to=2026-12-01T00:00:00.000Z&format=CSV" -H "Authorization: Bearer $IPAY_TOKEN" | jq -r .url)`,
              `curl -sS -OJ "$IPAY_API_URL$URL" -H "Authorization: Bearer $IPAY_TOKEN"`,
            ].join('\n'),
          },
          {
            lang: 'JavaScript',
            label: 'JavaScript',
            source: [
              `import { createWriteStream } from 'node:fs';`,
              `import { Readable } from 'node:stream';`,
              `import { pipeline } from 'node:stream/promises';`,
              `const headers = { Authorization: \`Bearer \${process.env.IPAY_TOKEN}\` };`,
              `const link = await (await fetch(\`\${process.env.IPAY_API_URL}/v1/settlement-exports/download?from=2026-11-01T00:00:00.000Z&to=2026-12-01T00:00:00.000Z&format=CSV\`, { headers })).json();`,
              `const file = await fetch(\`\${process.env.IPAY_API_URL}\${link.url}\`, { headers });`,
              `await pipeline(Readable.fromWeb(file.body), createWriteStream(link.filename));`,
            ].join('\n'),
          },
        ],
      },
    },
  ];
}
