import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Credentials, PlatformCode } from '../../adapters/shops/connector.ts';
import { formatMinorUnits, toMinorUnits } from '../../adapters/shops/money.ts';
import { PLATFORM_SIMS } from './platforms/index.ts';
import type { NormalizedSeed, OrderSeed, PlatformSim, PushRecord, RequestRecord, SimContext, SimOrder, SimResponse } from './sim-kit.ts';

export type { NormalizedSeed, OrderSeed, PlatformSim, PushRecord, RequestRecord, SimContext, SimOrder, SimRequest, SimResponse } from './sim-kit.ts';

/**
 * A local HTTP server that impersonates every supported platform's API under `/<platform>/…`: the platform's auth
 * (wrong credentials get that platform's 401/403 or in-body error), its payload shapes built from an in-memory
 * store, its pagination, and its status-push endpoints, which are recorded for tests. Faults (500, 429 with
 * Retry-After, a request that never answers) can be queued so the real HTTP client paths run.
 */

export type Failure = { status: 500 | 502 | 503 } | { status: 429; retryAfterSeconds: number } | { hang: true };

export interface SimulatedShop {
  readonly url: string;
  baseUrl(platform: PlatformCode): string;
  /** Token-endpoint root for platforms with a separate OAuth host (Amazon LWA, bol.com login). */
  authBaseUrl(platform: PlatformCode): string;
  credentials(platform: PlatformCode): Credentials;
  addOrder(platform: PlatformCode, seed: OrderSeed): string;
  /** Marks an order changed at `at` (the platform bumps its update time). */
  updateOrder(platform: PlatformCode, externalId: string, at: Date): void;
  order(platform: PlatformCode, externalId: string): SimOrder | undefined;
  /** Fails the next `count` requests (to `platform`, or any). */
  failNext(count: number, failure: Failure, platform?: PlatformCode): void;
  pushes(platform?: PlatformCode): PushRecord[];
  requests(platform?: PlatformCode): RequestRecord[];
  /** Clock used for pushes' update times (default: real time). */
  setNow(now: Date | undefined): void;
  close(): Promise<void>;
}

export async function startSimulatedShop(options: { host?: string } = {}): Promise<SimulatedShop> {
  const stores = new Map<PlatformCode, Map<string, SimOrder>>();
  const tokens = new Map<PlatformCode, Set<string>>();
  const pushes: PushRecord[] = [];
  const requests: RequestRecord[] = [];
  const failures: { failure: Failure; platform?: PlatformCode }[] = [];
  let clock: Date | undefined;
  let sequence = 1000;
  const hanging = new Set<ServerResponse>();

  const sims = new Map(PLATFORM_SIMS.map((sim) => [sim.platform, sim]));
  const simOf = (platform: PlatformCode) => {
    const sim = sims.get(platform);
    if (!sim) throw new Error(`no simulator for ${platform}`);
    return sim;
  };
  const storeOf = (platform: PlatformCode) => {
    let store = stores.get(platform);
    if (!store) stores.set(platform, (store = new Map()));
    return store;
  };
  const contextOf = (platform: PlatformCode): SimContext => ({
    platform,
    orders: () => [...storeOf(platform).values()],
    get: (id) => storeOf(platform).get(id),
    recordPush: (externalId, action, body, status) => {
      pushes.push({ platform, externalId, action, body, at: clock ?? new Date() });
      const order = storeOf(platform).get(externalId);
      if (order && status) {
        order.status = status;
        simOf(platform).touch(order, clock ?? new Date());
        order.updatedAt = clock ?? new Date();
      }
    },
    now: () => clock ?? new Date(),
    touch: (order, at) => {
      order.updatedAt = at;
      simOf(platform).touch(order, at);
    },
    issueToken: () => {
      const token = `sim-${platform}-${(sequence++).toString(36)}-${Math.random().toString(36).slice(2)}`;
      let set = tokens.get(platform);
      if (!set) tokens.set(platform, (set = new Set()));
      set.add(token);
      return token;
    },
    isIssuedToken: (token) => !!token && (tokens.get(platform)?.has(token) ?? false),
  });

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const [, platform, ...rest] = url.pathname.split('/');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const sim = sims.get(platform as PlatformCode);
    requests.push({ platform: platform ?? '', method: req.method ?? 'GET', path: `/${rest.join('/')}`, query: Object.fromEntries(url.searchParams) });
    const index = failures.findIndex((f) => !f.platform || f.platform === platform);
    if (index >= 0) {
      const { failure } = failures.splice(index, 1)[0]!;
      if ('hang' in failure) {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      const headers: Record<string, string> = 'retryAfterSeconds' in failure ? { 'retry-after': String(failure.retryAfterSeconds) } : {};
      return send(res, { status: failure.status, body: { error: failure.status === 429 ? 'Too many requests' : 'Internal server error' }, headers });
    }
    if (!sim) return send(res, { status: 404, body: { error: `no simulated platform "${platform}"` } });
    try {
      const root = `http://${req.headers.host}/${platform}`;
      const response = await sim.handle(
        {
          method: req.method ?? 'GET',
          path: `/${rest.join('/')}`,
          query: url.searchParams,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          root,
        },
        contextOf(sim.platform),
      );
      send(res, response);
    } catch (error) {
      send(res, { status: 500, body: { error: `simulator failure: ${(error as Error).message}` } });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;

  return {
    url,
    baseUrl: (platform) => `${url}/${platform}`,
    authBaseUrl: (platform) => `${url}/${platform}/oauth-host`,
    credentials: (platform) => simOf(platform).credentials,
    addOrder(platform, seed) {
      const sim = simOf(platform);
      const normalized = normalize(seed, sim, () => String(sequence++));
      const ctx = contextOf(platform);
      const order: SimOrder = { id: normalized.id, updatedAt: seed.updatedAt, createdAt: normalized.placedAt, seed: normalized, payload: undefined };
      order.payload = sim.build(normalized, ctx);
      storeOf(platform).set(order.id, order);
      return order.id;
    },
    updateOrder(platform, externalId, at) {
      const order = storeOf(platform).get(externalId);
      if (!order) throw new Error(`${platform} order ${externalId} not in the simulator`);
      contextOf(platform).touch(order, at);
    },
    order: (platform, externalId) => storeOf(platform).get(externalId),
    failNext(count, failure, platform) {
      for (let i = 0; i < count; i++) failures.push({ failure, platform });
    },
    pushes: (platform) => pushes.filter((p) => !platform || p.platform === platform),
    requests: (platform) => requests.filter((r) => !platform || r.platform === platform),
    setNow(now) {
      clock = now;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function normalize(seed: OrderSeed, sim: PlatformSim, nextId: () => string): NormalizedSeed {
  const currency = seed.currency ?? sim.defaultCurrency;
  const lines = seed.lines ?? [{ sku: 'SKU-1', name: 'Linen shirt', quantity: 2, unitPrice: currency === 'JPY' ? '2500' : '24.95' }];
  const shipping = seed.shipping ?? (currency === 'JPY' ? '500' : '4.95');
  const itemsMinor = lines.reduce((sum, l) => sum + toMinorUnits(l.unitPrice, currency) * l.quantity, 0);
  const shippingMinor = toMinorUnits(shipping, currency);
  const id = seed.id ?? nextId();
  return {
    id,
    reference: seed.reference ?? `R-${id}`,
    currency,
    placedAt: seed.placedAt ?? seed.updatedAt,
    updatedAt: seed.updatedAt,
    customer: seed.customer ?? { firstName: 'Anna', lastName: 'de Vries', email: 'anna@example.com', phone: '+31612345678' },
    address: seed.address ?? { line1: 'Keizersgracht 12', line2: '3 hoog', city: 'Amsterdam', postalCode: '1015 CX', country: sim.defaultCountry },
    lines,
    shipping,
    cashOnDelivery: seed.cashOnDelivery ?? true,
    itemsMinor,
    shippingMinor,
    totalMinor: itemsMinor + shippingMinor,
    fmt: (minor) => formatMinorUnits(minor, currency),
  };
}

function send(res: ServerResponse, response: SimResponse) {
  const text = response.body === undefined ? '' : response.raw ? String(response.body) : JSON.stringify(response.body);
  const headers: Record<string, string> = { ...response.headers };
  if (text && !response.raw) headers['content-type'] ??= 'application/json; charset=utf-8';
  res.writeHead(response.status, headers);
  res.end(text);
}

export { sim } from './sim-kit.ts';
