import { describe, expect, it } from 'vitest';
import { ConnectorCursorError, ConnectorUnavailableError } from '../../src/adapters/shops/errors.ts';
import { compareExternalIds, decodeCursor, encodeCursor, runSync, type ListEntry, type SyncSource } from '../../src/app/sync.ts';

const T0 = Date.UTC(2025, 2, 1, 10, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000);

/** An in-memory platform: offset pages sorted by (updatedAt, id) with an optional total, and a hook between pages. */
function platform(options: { totals?: boolean; betweenPages?: (page: number) => void } = {}) {
  const orders = new Map<string, Date>();
  const source: SyncSource<null, number> = {
    maxPageSize: 3,
    async list(_api, window, page, size) {
      const current = page ?? 0;
      if (current > 0) options.betweenPages?.(current);
      const all = [...orders]
        .filter(([, t]) => t >= window.from && t <= window.until)
        .sort(([a, ta], [b, tb]) => ta.getTime() - tb.getTime() || compareExternalIds(a, b));
      const slice = all.slice(current * size, (current + 1) * size);
      const entries: ListEntry[] = slice.map(([id, t]) => ({ externalId: id, updatedAt: t, payload: { id } }));
      return { entries, next: (current + 1) * size < all.length ? current + 1 : null, total: options.totals ? all.length : undefined };
    },
  };
  return { orders, source };
}

describe('high-water-mark sync', () => {
  it('never skips or duplicates across syncs, with same-second ties and modifications in between', async () => {
    const { orders, source } = platform();
    // Five orders sharing one second, two more a second later: ties span page boundaries (page size 3).
    for (const id of ['10', '9', '11', '2', '30']) orders.set(id, at(0));
    orders.set('40', at(1));
    orders.set('41', at(1));
    const first = await runSync('shopify', source, null, { initialSince: at(0), now: at(2), settleMs: 0 });
    expect(first.orders.map((o) => o.externalId)).toEqual(['2', '9', '10', '11', '30', '40', '41']);

    // Nothing changed: nothing comes back, even though the window starts at the tie second.
    const idle = await runSync('shopify', source, null, { cursor: first.nextCursor, now: at(3), settleMs: 0 });
    expect(idle.orders).toEqual([]);

    // One of the tied orders is modified, a new order shares its new second, another lands later.
    orders.set('9', at(4));
    orders.set('50', at(4));
    orders.set('60', at(10));
    const second = await runSync('shopify', source, null, { cursor: idle.nextCursor, now: at(5), settleMs: 0 });
    expect(second.orders.map((o) => [o.externalId, o.updatedAt])).toEqual([
      ['9', at(4).toISOString()],
      ['50', at(4).toISOString()],
    ]);
    const third = await runSync('shopify', source, null, { cursor: second.nextCursor, now: at(20), settleMs: 0 });
    expect(third.orders.map((o) => o.externalId)).toEqual(['60']);
  });

  it('holds back orders younger than the settle time instead of passing them', async () => {
    const { orders, source } = platform();
    orders.set('1', at(0));
    orders.set('2', at(9));
    const r = await runSync('shopify', source, null, { initialSince: at(0), now: at(10), settleMs: 5000 });
    expect(r.orders.map((o) => o.externalId)).toEqual(['1']);
    expect(r.window.until).toBe(at(5).toISOString());
    const next = await runSync('shopify', source, null, { cursor: r.nextCursor, now: at(20), settleMs: 5000 });
    expect(next.orders.map((o) => o.externalId)).toEqual(['2']);
  });

  it('rescans when an order leaves the window mid-scan and shifts offset pages', async () => {
    let moved = false;
    const p = platform({
      totals: true,
      betweenPages: (page) => {
        if (page === 1 && !moved) {
          moved = true;
          p.orders.set('1', at(100)); // modified: jumps past the window, every later order shifts up by one
        }
      },
    });
    for (let i = 1; i <= 7; i++) p.orders.set(String(i), at(i));
    const r = await runSync('shopify', p.source, null, { initialSince: at(0), now: at(50), settleMs: 0 });
    // Order 4 would have been skipped by a naive offset scan; the total check forces a consistent rescan.
    expect(r.orders.map((o) => o.externalId)).toEqual(['2', '3', '4', '5', '6', '7']);
    const next = await runSync('shopify', p.source, null, { cursor: r.nextCursor, now: at(200), settleMs: 0 });
    expect(next.orders.map((o) => o.externalId)).toEqual(['1']);
  });

  it('gives up with UNAVAILABLE when the list keeps changing', async () => {
    let n = 100;
    const p = platform({ totals: true, betweenPages: () => p.orders.set(String(n++), at(1)) });
    for (let i = 1; i <= 7; i++) p.orders.set(String(i), at(1));
    await expect(runSync('shopify', p.source, null, { initialSince: at(0), now: at(50), settleMs: 0 })).rejects.toBeInstanceOf(ConnectorUnavailableError);
  });

  it('halves the window when it holds more than maxPages and continues on the next call', async () => {
    const { orders, source } = platform();
    for (let i = 0; i < 12; i++) orders.set(String(i), at(i * 10));
    const seen: string[] = [];
    let cursor: string | null = null;
    let calls = 0;
    for (;;) {
      const r: Awaited<ReturnType<typeof runSync>> = await runSync('shopify', source, null, {
        cursor,
        initialSince: at(0),
        now: at(200),
        settleMs: 0,
        maxPages: 2,
      });
      calls++;
      seen.push(...r.orders.map((o) => o.externalId));
      cursor = r.nextCursor;
      if (r.caughtUp) break;
    }
    expect(calls).toBeGreaterThan(1);
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => String(i)));
  });

  it('refuses cursors of another platform or that were tampered with', () => {
    const c = encodeCursor('shopify', { t: T0, id: null });
    expect(decodeCursor('shopify', c)).toEqual({ t: T0, id: null });
    expect(() => decodeCursor('etsy', c)).toThrow(ConnectorCursorError);
    expect(() => decodeCursor('shopify', 'not-a-cursor')).toThrow(ConnectorCursorError);
  });

  it('orders external ids totally: numeric by value, then others', () => {
    expect(['10', 'b', '9', 'a', '100'].sort(compareExternalIds)).toEqual(['9', '10', '100', 'a', 'b']);
  });
});
