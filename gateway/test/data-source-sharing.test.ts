import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_WROTE_HEADER, closeServer, createLogger } from '@ipay/platform';
import { SubgraphDataSource, subgraphAgent } from '../src/data-source.ts';
import { SubgraphCircuits } from '../src/resilience.ts';

/**
 * In-flight sharing in the subgraph data source: identical calls under one sharing key while one is in flight make one
 * subgraph request; different keys, no key, and mutations always go alone. The subgraph here holds every request until
 * the test has sent all of its calls, so "in flight at once" is a fact of the test, not a race.
 */
const held: { body: string; res: ServerResponse }[] = [];
let arrived: (() => void) | undefined;
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk));
  req.on('end', () => {
    held.push({ body, res });
    arrived?.();
  });
});
let url = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => closeServer(server));

/** Waits until `count` requests are held, then answers each with its own body echoed back (saying it wrote, if so). */
async function answerWhenHeld(count: number, wrote = false) {
  while (held.length < count) await new Promise<void>((resolve) => (arrived = resolve));
  for (const { body, res } of held.splice(0))
    res.writeHead(200, { 'content-type': 'application/json', ...(wrote ? { [REQUEST_WROTE_HEADER]: '1' } : {}) }).end(JSON.stringify({ data: { echo: body } }));
}

const dataSource = (sharingKey?: (body: string) => string | undefined) =>
  new SubgraphDataSource<Record<string, unknown>>({
    name: 'commerce',
    url,
    agent: subgraphAgent(),
    circuits: new SubgraphCircuits(['commerce'], { queryAttempts: 1 }, createLogger('sharing-test', 'silent')),
    timeoutMs: 10_000,
    headers: () => ({}),
    sharingKey: sharingKey ? (_options, body) => sharingKey(body) : undefined,
  });

const call = (source: SubgraphDataSource<Record<string, unknown>>, query: string) =>
  source.process({ kind: 'incoming operation', request: { query, variables: {} }, context: {} } as never);

describe('in-flight sharing of subgraph calls', () => {
  it('identical calls under one key make one subgraph request, and every caller gets objects of its own', async () => {
    const source = dataSource((body) => `principal-a\n${body}`);
    const calls = Array.from({ length: 5 }, () => call(source, '{ orders { id } }'));
    // One request reaches the subgraph; the other four wait on it.
    await answerWhenHeld(1);
    const results = await Promise.all(calls);
    expect(held).toHaveLength(0);
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(results[0]).not.toBe(results[1]);
    expect(results[0]!.data).not.toBe(results[1]!.data);
    // Once answered, the next identical call is a request of its own (nothing is cached).
    const later = call(source, '{ orders { id } }');
    await answerWhenHeld(1);
    await later;
  });

  it('calls of two principals never share, even with the same body', async () => {
    let principal = 'a';
    const source = dataSource((body) => `${principal}\n${body}`);
    const first = call(source, '{ orders { id } }');
    principal = 'b';
    const second = call(source, '{ orders { id } }');
    await answerWhenHeld(2);
    await Promise.all([first, second]);
  });

  it('without a key, and for mutations whatever the key, every call is a request of its own', async () => {
    const unkeyed = dataSource();
    const alone = [call(unkeyed, '{ orders { id } }'), call(unkeyed, '{ orders { id } }')];
    await answerWhenHeld(2);
    await Promise.all(alone);
    const keyed = dataSource(() => 'the same key for everything');
    const mutations = [call(keyed, 'mutation { cancelOrder(id: "o") { id } }'), call(keyed, 'mutation { cancelOrder(id: "o") { id } }')];
    await answerWhenHeld(2);
    await Promise.all(mutations);
  });

  it('a reply the subgraph says it wrote for (an audited read) is not handed on: each waiting call sends its own', async () => {
    const source = dataSource((body) => `principal-a\n${body}`);
    const calls = Array.from({ length: 3 }, () => call(source, '{ shipment(id: "s") { pickup { code } } }'));
    await answerWhenHeld(1, true);
    // The two that waited on it go again, each on its own request.
    await answerWhenHeld(2, true);
    await Promise.all(calls);
    expect(held).toHaveLength(0);
  });
});
