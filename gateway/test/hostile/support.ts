import { SUBGRAPH_NAMES, type SubgraphName } from '@ipay/platform';
import { AS_OPERATOR, startTestSystem, type TestSystem } from '../../../scripts/test/support.ts';
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
