import type { IncomingHttpHeaders } from 'node:http';
import type { Credentials, PlatformCode } from '../../adapters/shops/connector.ts';

/** Types and helpers shared by the simulator core and the per-platform simulators. */

export interface OrderSeed {
  /** Platform order id; generated when absent. */
  id?: string;
  reference?: string;
  currency?: string;
  placedAt?: Date;
  updatedAt: Date;
  customer?: { firstName: string; lastName: string; email: string; phone?: string };
  address?: { line1: string; line2?: string; city: string; postalCode: string; country: string };
  lines?: { sku: string; name: string; quantity: number; unitPrice: string }[];
  shipping?: string;
  cashOnDelivery?: boolean;
}

export interface NormalizedSeed extends Required<Omit<OrderSeed, 'id' | 'reference'>> {
  id: string;
  reference: string;
  /** Minor-unit arithmetic done once here so every platform shape agrees. */
  itemsMinor: number;
  shippingMinor: number;
  totalMinor: number;
  /** Decimal string of a minor-unit amount in the seed currency. */
  fmt(minor: number): string;
}

export interface SimOrder {
  id: string;
  updatedAt: Date;
  createdAt: Date;
  seed: NormalizedSeed;
  /** The order as the platform would return it; platform sims keep it in sync with updatedAt. */
  payload: any;
  /** Last status set through a push endpoint. */
  status?: string;
}

export interface SimRequest {
  method: string;
  /** Path below the platform prefix, e.g. "/admin/api/2024-07/orders.json". */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** Absolute URL of the platform root as the client sees it. */
  root: string;
}

export interface SimResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send `body` as-is (string) instead of JSON. */
  raw?: boolean;
}

export interface PushRecord {
  platform: PlatformCode;
  externalId: string;
  action: string;
  body: unknown;
  at: Date;
}

export interface RequestRecord {
  platform: string;
  method: string;
  path: string;
  query: Record<string, string>;
}

export interface SimContext {
  readonly platform: PlatformCode;
  orders(): SimOrder[];
  get(id: string): SimOrder | undefined;
  recordPush(externalId: string, action: string, body: unknown, status?: string): void;
  now(): Date;
  /** Moves an order's update time (and its payload's) to `at`. */
  touch(order: SimOrder, at: Date): void;
  /** Valid access token issued by the sim's token endpoint for this platform. */
  issueToken(): string;
  isIssuedToken(token: string | undefined): boolean;
}

export interface PlatformSim {
  platform: PlatformCode;
  defaultCurrency: string;
  defaultCountry: string;
  /** Credentials the sim accepts. */
  credentials: Credentials;
  build(seed: NormalizedSeed, ctx: SimContext): unknown;
  touch(order: SimOrder, at: Date): void;
  handle(request: SimRequest, ctx: SimContext): SimResponse | Promise<SimResponse>;
}

/** Shared helpers for platform simulators. */
export const sim = {
  json: (status: number, body: unknown, headers?: Record<string, string>): SimResponse => ({ status, body, headers }),
  notFound: (what: string): SimResponse => ({ status: 404, body: { error: `${what} not found` } }),
  /** Orders whose update time lies in [from, to] (either bound optional), ascending by (updatedAt, id). */
  inWindow(orders: SimOrder[], from?: Date, to?: Date): SimOrder[] {
    return orders
      .filter((o) => (!from || o.updatedAt >= from) && (!to || o.updatedAt <= to))
      .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime() || compareIds(a.id, b.id));
  },
  basic(header: string | undefined): { user: string; password: string } | undefined {
    const m = /^Basic (.+)$/.exec(header ?? '');
    if (!m) return undefined;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const at = decoded.indexOf(':');
    return at < 0 ? undefined : { user: decoded.slice(0, at), password: decoded.slice(at + 1) };
  },
  bearer(header: string | undefined): string | undefined {
    return /^Bearer (.+)$/.exec(header ?? '')?.[1];
  },
  parseJson(body: string): any {
    try {
      return body ? JSON.parse(body) : undefined;
    } catch {
      return undefined;
    }
  },
  date(value: string | null): Date | undefined {
    if (!value) return undefined;
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? undefined : d;
  },
};

function compareIds(a: string, b: string): number {
  return a.length !== b.length && /^\d+$/.test(a) && /^\d+$/.test(b) ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}
