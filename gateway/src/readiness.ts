/**
 * A subgraph is ready when its /readyz (ours check their database) answers 200. A subgraph without one (404 or 405:
 * another team's, or a public federation suite's) is ready when it answers `{ __typename }`.
 */
export async function probeSubgraph(graphqlUrl: string, timeoutMs: number): Promise<string> {
  const signal = AbortSignal.timeout(Math.min(timeoutMs, 3000));
  try {
    const response = await fetch(new URL('/readyz', graphqlUrl), { signal });
    await response.body?.cancel();
    if (response.ok) return 'ready';
    if (response.status !== 404 && response.status !== 405) return `unavailable (HTTP ${response.status})`;
    const answer = await fetch(graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}', signal });
    const body = (await answer.json().catch(() => null)) as { data?: { __typename?: unknown } } | null;
    return answer.ok && typeof body?.data?.__typename === 'string' ? 'ready' : `unavailable (HTTP ${answer.status} to { __typename })`;
  } catch (error) {
    return `unreachable (${(error as Error).message})`;
  }
}

/** Every subgraph probed at once: ready only when all are. */
export async function probeSubgraphs(urls: Record<string, string>, timeoutMs: number): Promise<{ ready: boolean; subgraphs: Record<string, string> }> {
  const checks = await Promise.all(Object.entries(urls).map(async ([name, url]) => [name, await probeSubgraph(url, timeoutMs)] as const));
  return { ready: checks.every(([, check]) => check === 'ready'), subgraphs: Object.fromEntries(checks) };
}
