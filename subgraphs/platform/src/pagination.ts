import { badUserInput } from './errors.ts';

export const MAX_PAGE_SIZE = 100;

export function pageSize(first: number, max = MAX_PAGE_SIZE): number {
  if (!Number.isInteger(first) || first < 1 || first > max) throw badUserInput('first', `must be an integer from 1 to ${max}`);
  return first;
}

/** Opaque keyset cursor: the sort key of the last row seen, so pages stay stable while rows are inserted. */
export function encodeCursor(key: readonly string[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string, arity: number, field = 'after'): string[] {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.length === arity && key.every((part) => typeof part === 'string')) return key;
  } catch {
    // fall through to the input error
  }
  throw badUserInput(field, 'is not a cursor returned by this list');
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Builds a connection from `first + 1` fetched rows: the extra row only tells that another page exists. */
export function toConnection<T>(rows: readonly T[], first: number, keyOf: (row: T) => readonly string[]): Connection<T> {
  const edges = rows.slice(0, first).map((node) => ({ node, cursor: encodeCursor(keyOf(node)) }));
  return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
}
