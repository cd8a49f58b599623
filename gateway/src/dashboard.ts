import { createReadStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sendJson, type RouteHandler } from '@ipay/platform';
import { entityTag, header, ifNoneMatchMatches } from './rest/http.ts';

/**
 * The operator dashboard and sandbox console (gateway/dashboard, a Vite app), served from its built files at
 * /dashboard. Built by `pnpm start` and by the browser tests (ensureDashboardBuilt); no CDN, works offline.
 * Only files found in the build at start-up are served: no path from a request reaches the file system.
 */
export const DASHBOARD_ROOT = fileURLToPath(new URL('../dashboard/', import.meta.url));
export const DASHBOARD_DIST = join(DASHBOARD_ROOT, 'dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)]));
}

/** Newest modification time of the dashboard's sources (to rebuild only when they changed). */
function newestSource(): number {
  const sources = [join(DASHBOARD_ROOT, 'index.html'), join(DASHBOARD_ROOT, 'vite.config.ts'), ...listFiles(join(DASHBOARD_ROOT, 'src'))];
  return Math.max(...sources.map((file) => statSync(file).mtimeMs));
}

/** Builds the dashboard with Vite when its build is missing or older than its sources. */
export async function ensureDashboardBuilt(): Promise<void> {
  const index = join(DASHBOARD_DIST, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestSource()) return;
  const { build } = await import('vite');
  // Vite sets NODE_ENV=production for its build; this process (pnpm start, a test) must not run on in production mode.
  const nodeEnv = process.env.NODE_ENV;
  try {
    await build({ root: DASHBOARD_ROOT, configFile: join(DASHBOARD_ROOT, 'vite.config.ts'), logLevel: 'warn' });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}

export function dashboardRoutes(): Record<string, RouteHandler> {
  const files = new Map<string, { path: string; etag: string; type: string }>();
  if (existsSync(DASHBOARD_DIST)) {
    for (const path of listFiles(DASHBOARD_DIST)) {
      const name = relative(DASHBOARD_DIST, path).split('\\').join('/');
      files.set(name, { path, etag: entityTag(readFileSync(path)), type: TYPES[extname(path)] ?? 'application/octet-stream' });
    }
  }
  const serve: RouteHandler = ({ req, res, requestId }) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname === '/dashboard') {
      res.writeHead(308, { location: '/dashboard/' });
      res.end();
      return;
    }
    const name = pathname.slice('/dashboard/'.length) || 'index.html';
    if (files.size === 0) {
      sendJson(res, 503, { error: 'the dashboard is not built: run `pnpm --filter @ipay/dashboard build` (pnpm start does it)', requestId });
      return;
    }
    const file = files.get(name);
    if (!file) {
      sendJson(res, 404, { error: `no such file: ${pathname}`, requestId });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' });
      res.end();
      return;
    }
    const headers = {
      'content-type': file.type,
      etag: file.etag,
      // Vite names assets by content hash; the page itself revalidates.
      'cache-control': name.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    };
    if (ifNoneMatchMatches(header(req, 'if-none-match'), file.etag)) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': statSync(file.path).size });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file.path)
      .on('error', () => res.destroy())
      .pipe(res);
  };
  return { '/dashboard': serve, '/dashboard/*': serve };
}
