import DataLoader from 'dataloader';

/**
 * A DataLoader that fetches many rows in one statement and hands each key its row (or null).
 * Keys are deduplicated; row order from the database does not matter.
 */
export function rowLoader<TKey, TRow>(fetch: (keys: readonly TKey[]) => Promise<TRow[]>, keyOf: (row: TRow) => TKey) {
  return new DataLoader<TKey, TRow | null>(async (keys) => {
    const rows = await fetch(keys);
    const byKey = new Map(rows.map((row) => [keyOf(row), row] as const));
    return keys.map((key) => byKey.get(key) ?? null);
  });
}

/** Like rowLoader, but each key may have many rows (e.g. a merchant's orders). */
export function groupLoader<TKey, TRow>(fetch: (keys: readonly TKey[]) => Promise<TRow[]>, keyOf: (row: TRow) => TKey) {
  return new DataLoader<TKey, TRow[]>(async (keys) => {
    const rows = await fetch(keys);
    const byKey = new Map<TKey, TRow[]>();
    for (const row of rows) {
      const key = keyOf(row);
      const list = byKey.get(key);
      if (list) list.push(row);
      else byKey.set(key, [row]);
    }
    return keys.map((key) => byKey.get(key) ?? []);
  });
}
