import { describe, expect, it } from 'vitest';
import { DEFAULT_OPERATION_LIMITS, OperationGuard, OperationRefused } from '../../src/limits.ts';

// The guard caches its findings per document text: a cached document must be judged exactly as a fresh one,
// whatever the variables of the request that filled the cache.
const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof OperationRefused) return { status: error.status, code: error.code, extensions: error.extensions };
    throw error;
  }
  return null;
};

describe('operation guard cache', () => {
  const list =
    'query($n: Int!, $m: ID) { orders(first: $n) { edges { node { id merchantReference status total { amount currency } merchant { id name } } } } one: order(id: $m) { id } }';
  const limits = { ...DEFAULT_OPERATION_LIMITS, cost: 5000 };

  it('costs each request by its own page sizes, before and after the document is cached', () => {
    const cached = new OperationGuard({}, limits);
    for (const n of [2, 100, 2, 100, 3]) {
      const fresh = refusal(() => new OperationGuard({}, limits).check({ query: list, variables: { n } }));
      expect(refusal(() => cached.check({ query: list, variables: { n } }))).toEqual(fresh);
    }
    expect(refusal(() => cached.check({ query: list, variables: { n: 2 } }))).toBeNull();
    expect(refusal(() => cached.check({ query: list, variables: { n: 100 } }))).toMatchObject({
      code: 'OPERATION_LIMIT_EXCEEDED',
      extensions: { limit: 'cost' },
    });
  });

  it('checks the variables of every request for NUL characters', () => {
    const guard = new OperationGuard({}, limits);
    expect(refusal(() => guard.check({ query: list, variables: { n: 2, m: 'ord_1' } }))).toBeNull();
    expect(refusal(() => guard.check({ query: list, variables: { n: 2, m: 'ord_\u00001' } }))).toEqual({
      status: 400,
      code: 'BAD_USER_INPUT',
      extensions: { field: 'm' },
    });
  });

  it('refuses a refused document again with the same code', () => {
    const guard = new OperationGuard({}, { ...limits, depth: 2 });
    const first = refusal(() => guard.check({ query: list, variables: { n: 2 } }));
    expect(first).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', extensions: { limit: 'depth' } });
    expect(refusal(() => guard.check({ query: list, variables: { n: 2 } }))).toEqual(first);
    expect(refusal(() => guard.check({ query: '{ orders(first: 1 { id } }' }))).toMatchObject({ code: 'GRAPHQL_PARSE_FAILED' });
    expect(refusal(() => guard.check({ query: '{ orders(first: 1 { id } }' }))).toMatchObject({ code: 'GRAPHQL_PARSE_FAILED' });
  });

  it('keeps at most CACHED_DOCUMENTS documents', () => {
    const guard = new OperationGuard({}, limits);
    for (let i = 0; i < OperationGuard.CACHED_DOCUMENTS + 50; i++) guard.check({ query: `{ order(id: "ord_${i}") { id } }` });
    expect((guard as unknown as { analyses: Map<string, unknown> }).analyses.size).toBe(OperationGuard.CACHED_DOCUMENTS);
  });
});
