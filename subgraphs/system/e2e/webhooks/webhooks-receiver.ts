import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  path: string;
  id: string;
  timestamp: string;
  signatures: string[];
  headers: IncomingHttpHeaders;
  raw: string;
  body: any;
  /** Secrets (by their position in `secrets`) whose signature the standardwebhooks library accepted. */
  verifiedWith: number[];
}

/**
 * A merchant's receiver on loopback (allowed for sandbox endpoints): it verifies every delivery with the
 * independent `standardwebhooks` package against the secrets it was told, and answers what `respond` says.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  secrets: string[] = [];
  respond: (request: ReceivedWebhook, attempt: number) => number | Promise<number> = () => 200;
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const headers = {
          'webhook-id': String(req.headers['webhook-id']),
          'webhook-timestamp': String(req.headers['webhook-timestamp']),
          'webhook-signature': String(req.headers['webhook-signature']),
        };
        const verifiedWith = this.secrets.flatMap((secret, index) => {
          try {
            new Webhook(secret).verify(raw, headers);
            return [index];
          } catch {
            return [];
          }
        });
        const request: ReceivedWebhook = {
          path: req.url ?? '/',
          id: headers['webhook-id'],
          timestamp: headers['webhook-timestamp'],
          signatures: headers['webhook-signature'].split(' '),
          headers: req.headers,
          raw,
          body: parseJson(raw),
          verifiedWith,
        };
        this.received.push(request);
        const attempt = this.received.filter((r) => r.id === request.id && r.path === request.path).length;
        try {
          const status = await this.respond(request, attempt);
          if (!res.destroyed) res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'received' : `failing on purpose (${status})`);
        } catch {
          res.destroy();
        }
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  ids(path?: string): Set<string> {
    return new Set(this.received.filter((r) => !path || r.path === path).map((r) => r.id));
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const parseJson = (raw: string): unknown => {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
};

/** Polls until `check` stops throwing (events and deliveries are asynchronous). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
}
