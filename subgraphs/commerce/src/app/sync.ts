import type { FetchOrdersRequest, FetchOrdersResult, PlatformCode, RawOrder } from '../adapters/shops/connector.ts';
import { ConnectorCursorError, ConnectorPayloadError, ConnectorUnavailableError } from '../adapters/shops/errors.ts';

/**
 * Incremental order sync with a high-water mark that neither skips nor duplicates.
 *
 * The cursor is a pair (t, id): "every order whose (updatedAt, externalId) ≤ (t, id) has been delivered", where a null
 * id means "every order updated at or before t". Orders are keyed by (updatedAt, externalId) with externalId as the
 * tie-breaker, so several orders sharing one timestamp are ordered, never collapsed.
 *
 * One call scans a *closed* window (t, until] where `until` is `now − settle` floored to the second: the platform is
 * asked for the window padded by one second on both sides (so it does not matter whether its own bounds are inclusive
 * or exclusive, or whether it truncates to seconds), every page is read, and the result is filtered back to exactly
 * (cursor, until]. The next cursor is (until, null). Consequences:
 * - ties: orders sharing the timestamp `until` are all delivered in this call (≤ until) and all filtered out of the
 *   next one (≤ cursor); an order changed later gets a later updatedAt and comes back once, as a change should.
 * - no skip: a window is only closed after every page of it was read, and `until` lies `settle` in the past, so no
 *   write can still land inside it (the settle time also absorbs clock skew between us and the platform).
 * - offset pagination while orders change: an order modified mid-scan leaves the window (its updatedAt jumps past
 *   `until`) and shifts the later pages by one. Sources that report a total let the engine detect this (the total
 *   changes between pages, or fewer distinct orders were seen than reported) and rescan; an order that left is picked
 *   up by the next call. Keyset and token pagination are not affected.
 * - too much at once: beyond `maxPages` the window is halved and the call returns with caughtUp=false.
 */
export interface SyncWindow {
  from: Date;
  until: Date;
}

export interface ListEntry {
  externalId: string;
  updatedAt: Date;
  /** Full payload when the list already has it; otherwise `load` fetches it for the entries that survive filtering. */
  payload?: unknown;
  /** What the list returned, kept for load() when the full payload needs more requests. */
  summary?: unknown;
}

export interface ListPage<State> {
  entries: ListEntry[];
  /** State for the next request, or null after the last page. */
  next: State | null;
  /** The platform's count for the whole window, when it reports one (enables the consistency check). */
  total?: number;
}

export interface SyncSource<Api, State = unknown> {
  maxPageSize: number;
  defaultPageSize?: number;
  /** Longest window the platform accepts in one query (Shopee: 15 days). */
  maxWindowMs?: number;
  /** Platform minimum distance from now (Amazon requires LastUpdatedBefore ≥ 2 minutes in the past). */
  minSettleMs?: number;
  list(api: Api, window: SyncWindow, state: State | null, pageSize: number): Promise<ListPage<State>>;
  load?(api: Api, entries: ListEntry[]): Promise<unknown[]>;
}

interface Cursor {
  t: number;
  id: string | null;
}

const SECOND = 1000;
const DEFAULT_SETTLE_MS = 5 * SECOND;
const DEFAULT_LOOKBACK_MS = 30 * 24 * 3600 * SECOND;
const DEFAULT_MAX_PAGES = 50;
const MAX_RESCANS = 3;

export async function runSync<Api>(platform: PlatformCode, source: SyncSource<Api>, api: Api, request: FetchOrdersRequest): Promise<FetchOrdersResult> {
  const now = (request.now ?? new Date()).getTime();
  const settle = Math.max(request.settleMs ?? DEFAULT_SETTLE_MS, source.minSettleMs ?? 0);
  const cursor: Cursor = request.cursor
    ? decodeCursor(platform, request.cursor)
    : { t: (request.initialSince?.getTime() ?? now - DEFAULT_LOOKBACK_MS) - 1, id: null }; // orders at initialSince itself are included
  let until = floorSecond(now - settle);
  let caughtUp = true;
  if (source.maxWindowMs && until - cursor.t > source.maxWindowMs) {
    until = floorSecond(cursor.t + source.maxWindowMs);
    caughtUp = false;
  }
  if (until <= cursor.t) {
    return { orders: [], nextCursor: encodeCursor(platform, cursor), window: windowOf(cursor.t, cursor.t), caughtUp: true };
  }
  const pageSize = Math.min(Math.max(1, request.pageSize ?? source.defaultPageSize ?? source.maxPageSize), source.maxPageSize);
  const maxPages = Math.max(1, request.maxPages ?? DEFAULT_MAX_PAGES);

  let seen: Map<string, ListEntry>;
  let rescans = 0;
  scan: for (;;) {
    const window = { from: new Date(cursor.t - SECOND), until: new Date(until + SECOND) };
    seen = new Map();
    const totals = new Set<number>();
    let state: unknown = null;
    let pages = 0;
    do {
      if (pages === maxPages) {
        const half = floorSecond(cursor.t + (until - cursor.t) / 2);
        if (half <= cursor.t) throw new ConnectorPayloadError(platform, 'orders', `more than ${maxPages} pages of orders changed within one second`);
        until = half;
        caughtUp = false;
        continue scan;
      }
      const page = await source.list(api, window, state, pageSize);
      pages++;
      for (const entry of page.entries) {
        if (!entry.externalId || Number.isNaN(entry.updatedAt.getTime())) {
          throw new ConnectorPayloadError(platform, 'orders', 'an order without id or update time was listed');
        }
        const previous = seen.get(entry.externalId);
        if (!previous || entry.updatedAt > previous.updatedAt) seen.set(entry.externalId, entry);
      }
      if (page.total !== undefined) totals.add(page.total);
      state = page.next;
    } while (state !== null);
    const total = totals.size === 1 ? [...totals][0]! : undefined;
    if (totals.size === 0 || (total !== undefined && seen.size >= total)) break;
    if (++rescans >= MAX_RESCANS) {
      throw new ConnectorUnavailableError(platform, 'the order list kept changing while it was paged; try again shortly', 'inconsistent');
    }
  }

  const fresh = [...seen.values()].filter((e) => isAfter(e, cursor) && e.updatedAt.getTime() <= until).sort(compareEntries);
  const missing = fresh.filter((e) => e.payload === undefined);
  if (missing.length > 0) {
    if (!source.load) throw new Error(`${platform}: listed orders without payload and no load()`);
    const loaded = await source.load(api, missing);
    missing.forEach((entry, i) => (entry.payload = loaded[i]));
  }
  const orders: RawOrder[] = fresh.map((e) => ({ platform, externalId: e.externalId, updatedAt: e.updatedAt.toISOString(), payload: e.payload }));
  return { orders, nextCursor: encodeCursor(platform, { t: until, id: null }), window: windowOf(cursor.t, until), caughtUp };
}

/** Total order on external ids: numeric ids by value (as digit strings), then other ids by code unit. */
export function compareExternalIds(a: string, b: string): number {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn && a.length !== b.length) return a.length - b.length;
  if (an !== bn) return an ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareEntries(a: ListEntry, b: ListEntry): number {
  return a.updatedAt.getTime() - b.updatedAt.getTime() || compareExternalIds(a.externalId, b.externalId);
}

function isAfter(entry: ListEntry, cursor: Cursor): boolean {
  const t = entry.updatedAt.getTime();
  if (t !== cursor.t) return t > cursor.t;
  return cursor.id !== null && compareExternalIds(entry.externalId, cursor.id) > 0;
}

function floorSecond(ms: number): number {
  return Math.floor(ms / SECOND) * SECOND;
}

function windowOf(from: number, until: number) {
  return { from: new Date(from).toISOString(), until: new Date(until).toISOString() };
}

export function encodeCursor(platform: PlatformCode, cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ v: 1, p: platform, t: new Date(cursor.t).toISOString(), id: cursor.id }), 'utf8').toString('base64url');
}

export function decodeCursor(platform: PlatformCode, value: string): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw new ConnectorCursorError(platform, 'cursor is not one this connector produced');
  }
  const c = parsed as { v?: unknown; p?: unknown; t?: unknown; id?: unknown };
  if (c.v !== 1 || typeof c.t !== 'string' || (c.id !== null && typeof c.id !== 'string')) {
    throw new ConnectorCursorError(platform, 'cursor is not one this connector produced');
  }
  if (c.p !== platform) throw new ConnectorCursorError(platform, `cursor belongs to ${String(c.p)}`);
  const t = Date.parse(c.t);
  if (Number.isNaN(t)) throw new ConnectorCursorError(platform, 'cursor time is invalid');
  return { t, id: c.id };
}
