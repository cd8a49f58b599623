import { createServer, type Server } from 'node:http';
import { SUBGRAPH_NAMES, closeServer, listen, type SubgraphName } from '@ipay/platform';
import { AS_OPERATOR, startTestSystem, type TestSystem } from '../../../subgraphs/system/e2e/support.ts';
import { DEFAULT_OPERATION_LIMITS } from '../../src/limits.ts';

export interface HostileSystem extends TestSystem {
  /** GraphQL requests each subgraph has received (from the gateway or anyone else) since the last reset. */
  subgraphCalls(): Record<SubgraphName, number>;
  totalSubgraphCalls(): number;
  resetCalls(): void;
  /** A raw request to the gateway. */
  raw(path: string, init?: RequestInit): Promise<{ status: number; headers: Headers; text: string; json: any }>;
  post(body: unknown, headers?: Record<string, string>, path?: string): Promise<{ status: number; headers: Headers; text: string; json: any }>;
}

/** The whole system with the production operation limits, counting what reaches each subgraph. */
export async function startHostileSystem(options: Parameters<typeof startTestSystem>[0] = {}): Promise<HostileSystem> {
  const system = await startTestSystem({ seed: true, operationLimits: DEFAULT_OPERATION_LIMITS, ...options });
  const calls = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, 0])) as Record<SubgraphName, number>;
  for (const name of SUBGRAPH_NAMES) {
    system.subgraphs[name].httpServer.on('request', (req) => {
      if ((req.url ?? '').startsWith('/graphql')) calls[name] += 1;
    });
  }
  const raw = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(new URL(path, system.gatewayUrl), init);
    const text = await response.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  };
  return {
    ...system,
    subgraphCalls: () => ({ ...calls }),
    totalSubgraphCalls: () => Object.values(calls).reduce((a, b) => a + b, 0),
    resetCalls: () => {
      for (const name of SUBGRAPH_NAMES) calls[name] = 0;
    },
    raw,
    post: (body, headers = AS_OPERATOR, path = '/graphql') =>
      raw(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) }),
  };
}

/**
 * A fault injector in front of one real subgraph: it hangs, answers 503, or passes requests through. It counts the
 * requests that reach it, so a test sees what the gateway sent while a circuit was open.
 */
export class FaultInjector {
  mode: 'hang' | 'fail' | 'pass' | 'slow' = 'pass';
  /** How long `slow` holds each request before passing it on. */
  delayMs = 500;
  hits = 0;
  readonly server: Server;
  url = '';
  constructor(private readonly target: string) {
    this.server = createServer(async (req, res) => {
      this.hits += 1;
      if (this.mode === 'hang') return; // never answers; the gateway's timeout ends it
      if (this.mode === 'fail') {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"errors":[{"message":"down"}]}');
        return;
      }
      if (this.mode === 'slow') await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !['host', 'content-length', 'connection'].includes(name))) as Record<
        string,
        string
      >;
      const upstream = await fetch(this.target, { method: req.method, headers, body: req.method === 'POST' ? Buffer.concat(chunks) : undefined });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' }).end(await upstream.text());
    });
  }
  async start() {
    const port = await listen(this.server, 0, 'injector', 'INJECTOR_PORT', '127.0.0.1');
    this.url = `http://127.0.0.1:${port}/graphql`;
  }
  stop() {
    this.server.closeAllConnections();
    return closeServer(this.server);
  }
}
