import type { HttpMethod, PersistedOperation } from './manifest.ts';

export interface Route {
  id: string;
  operation: PersistedOperation;
  method: HttpMethod;
  segments: ({ static: string } | { param: string })[];
}

export type RouteMatch =
  | { kind: 'match'; route: Route; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: HttpMethod[] }
  | { kind: 'bad-path'; detail: string }
  | { kind: 'none' };

/**
 * Matches request paths against the operations' path templates. When templates overlap, a literal segment
 * beats a parameter at the first position where they differ (so /v1/merchants/by-slug/x is never read as
 * the merchant "by-slug").
 */
export class Router {
  private readonly routes: Route[];

  constructor(operations: Record<string, PersistedOperation>) {
    this.routes = Object.entries(operations)
      .map(([id, operation]) => ({
        id,
        operation,
        method: operation.http.method,
        segments: operation.http.path
          .split('/')
          .slice(1)
          .map((segment) => (segment.startsWith('{') ? { param: segment.slice(1, -1) } : { static: segment })),
      }))
      .sort((a, b) => specificity(a).localeCompare(specificity(b)));
  }

  match(method: string, pathname: string): RouteMatch {
    const parts = pathname.split('/').slice(1);
    const allowed = new Set<HttpMethod>();
    for (const route of this.routes) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let matches = true;
      for (const [i, segment] of route.segments.entries()) {
        const part = parts[i]!;
        if ('static' in segment) {
          if (segment.static !== part) matches = false;
        } else if (part === '') {
          matches = false;
        } else {
          try {
            params[segment.param] = decodeURIComponent(part);
          } catch {
            return { kind: 'bad-path', detail: `path parameter ${segment.param} is not valid percent-encoding` };
          }
        }
        if (!matches) break;
      }
      if (!matches) continue;
      if (route.method === method) return { kind: 'match', route, params };
      allowed.add(route.method);
    }
    return allowed.size > 0 ? { kind: 'method-not-allowed', allowed: [...allowed] } : { kind: 'none' };
  }
}

/** Literal segments sort before parameters, position by position. */
function specificity(route: Route): string {
  return route.segments.map((segment) => ('static' in segment ? '0' : '1')).join('');
}
