import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { UnsafeUrlError, hostOf, parseWebhookUrl, resolveAllowed, type HostResolver } from './ssrf.ts';

export const RESPONSE_EXCERPT_BYTES = 1024;

export interface SendResult {
  statusCode: number | null;
  latencyMs: number;
  /** At most 1 KiB of the response body. */
  responseExcerpt: string | null;
  error: string | null;
}

/** Cuts UTF-8 text to at most `max` bytes without splitting a character. */
export function excerpt(bytes: Buffer, max = RESPONSE_EXCERPT_BYTES): string {
  let text = bytes.subarray(0, max).toString('utf8');
  while (Buffer.byteLength(text) > max || text.endsWith('\uFFFD')) text = text.slice(0, -1);
  return text;
}

/**
 * POSTs one delivery. The host is resolved and checked here, and the socket connects to exactly the address
 * that passed the check (a custom `lookup`), so a DNS answer cannot change between check and connect.
 * Redirects are not followed (a 3xx is a failure): they would lead anywhere.
 */
export async function postWebhook(options: {
  url: string;
  livemode: boolean;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  resolve: HostResolver;
  signal?: AbortSignal;
}): Promise<SendResult> {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  let url: URL;
  let addresses;
  try {
    url = parseWebhookUrl(options.url, options.livemode);
    addresses = await resolveAllowed(url, options.livemode, options.resolve);
  } catch (error) {
    if (error instanceof UnsafeUrlError) return { statusCode: null, latencyMs: latency(), responseExcerpt: null, error: `refused: url ${error.message}` };
    throw error;
  }
  const pinned = addresses[0]!;
  const lookup: LookupFunction = (_host, opts, callback) => {
    if ((opts as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (result: Omit<SendResult, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, latencyMs: latency() });
    };
    const req = request(
      url,
      {
        method: 'POST',
        // IP literals skip `lookup`; they were checked above.
        ...(isIP(hostOf(url)) ? {} : { lookup }),
        headers: {
          ...options.headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(options.body)),
          'user-agent': 'IPAY-Webhooks/1',
        },
        signal: options.signal,
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          // Only the excerpt is kept; a huge or endless response is cut off.
          if (size < RESPONSE_EXCERPT_BYTES) chunks.push(chunk);
          size += chunk.length;
          if (size >= RESPONSE_EXCERPT_BYTES) res.destroy();
        });
        const done = () => finish({ statusCode: res.statusCode ?? null, responseExcerpt: excerpt(Buffer.concat(chunks)), error: null });
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish({ statusCode: null, responseExcerpt: null, error: `timed out after ${options.timeoutMs} ms` });
    }, options.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) =>
      finish({ statusCode: null, responseExcerpt: null, error: error.code ? `${error.code}: ${error.message}` : error.message }),
    );
    req.end(options.body);
  });
}
