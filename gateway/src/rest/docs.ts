import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { sendJson, type RouteHandler } from '@ipay/platform';
import { entityTag, header, ifNoneMatchMatches } from './http.ts';

/**
 * Swagger UI, ReDoc and GraphiQL, served from the npm packages the gateway depends on: no CDN, so the docs
 * work offline and nothing is loaded from third parties. Scripts are files (no inline script), so a strict
 * Content-Security-Policy can be put in front of them.
 */

const require = createRequire(import.meta.url);

interface Asset {
  contentType: string;
  /** A file in an installed package... */
  file?: string;
  /** ...or generated text. */
  text?: string;
  etag: string;
}

function packageFile(pkg: string, file: string, contentType: string): Asset {
  const manifest = require.resolve(`${pkg}/package.json`);
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const path = join(dirname(manifest), file);
  statSync(path); // fail at start-up, not on the first visitor, when a package lacks the file
  return { contentType, file: path, etag: `"${pkg}@${version}/${file}"` };
}

function generated(text: string, contentType: string): Asset {
  return { contentType, text, etag: entityTag(text) };
}

/**
 * ReDoc's bundle shows Redocly's logo from their CDN; the served bundle points it at a local copy instead, so the
 * page loads nothing from a third party.
 */
const REDOC_CDN_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg';
const LOCAL_LOGO = '/redoc/logo-mini.svg';
const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" width="16" height="16"><rect width="16" height="16" rx="3" fill="#32329f"/><path d="M4 4h5a3 3 0 0 1 0 6H6v2H4z" fill="#fff"/></svg>\n`;

function redocBundle(): Asset {
  const asset = packageFile('redoc', 'bundles/redoc.standalone.js', 'text/javascript; charset=utf-8');
  const text = readFileSync(asset.file!, 'utf8').replaceAll(REDOC_CDN_LOGO, LOCAL_LOGO);
  return generated(text, asset.contentType);
}

const html = (title: string, head: string, body: string) =>
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
${head}
</head>
<body style="margin:0">
${body}
</body>
</html>
`;

export interface DocsOptions {
  /** Where the OpenAPI document is served. */
  openapiPath: string;
  /** The GraphQL endpoint GraphiQL talks to; false leaves GraphiQL out. */
  graphqlPath: string | false;
  title: string;
}

/** The routes of the three UIs and their assets (`/docs`, `/docs/*`, `/redoc`, `/redoc/*`, `/graphiql`, `/graphiql/*`). */
export function docsRoutes(options: DocsOptions): Record<string, RouteHandler> {
  const spec = JSON.stringify(options.openapiPath);
  const swagger: Record<string, Asset> = {
    'swagger-ui.css': packageFile('swagger-ui-dist', 'swagger-ui.css', 'text/css; charset=utf-8'),
    'swagger-ui-bundle.js': packageFile('swagger-ui-dist', 'swagger-ui-bundle.js', 'text/javascript; charset=utf-8'),
    'favicon-32x32.png': packageFile('swagger-ui-dist', 'favicon-32x32.png', 'image/png'),
    // BaseLayout has no URL bar, so the page cannot be pointed at another document; no online validator either.
    'init.js': generated(
      `window.ui = SwaggerUIBundle({ url: ${spec}, dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null, presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout' });\n`,
      'text/javascript; charset=utf-8',
    ),
    'index.html': generated(
      html(
        `${options.title} — Swagger UI`,
        '<link rel="stylesheet" href="/docs/swagger-ui.css">\n<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">',
        '<div id="swagger-ui"></div>\n<script src="/docs/swagger-ui-bundle.js"></script>\n<script src="/docs/init.js"></script>',
      ),
      'text/html; charset=utf-8',
    ),
  };
  const redoc: Record<string, Asset> = {
    'redoc.standalone.js': redocBundle(),
    'logo-mini.svg': generated(LOGO_SVG, 'image/svg+xml'),
    // The standalone bundle renders every <redoc> element on load.
    'index.html': generated(
      html(`${options.title} — ReDoc`, '', `<redoc spec-url=${spec}></redoc>\n<script src="/redoc/redoc.standalone.js"></script>`),
      'text/html; charset=utf-8',
    ),
  };
  const routes: Record<string, RouteHandler> = {
    '/docs': serve(swagger, 'index.html'),
    '/docs/*': serveUnder('/docs/', swagger),
    '/redoc': serve(redoc, 'index.html'),
    '/redoc/*': serveUnder('/redoc/', redoc),
  };
  if (options.graphqlPath !== false) {
    const graphiql: Record<string, Asset> = {
      'react.production.min.js': packageFile('react', 'umd/react.production.min.js', 'text/javascript; charset=utf-8'),
      'react-dom.production.min.js': packageFile('react-dom', 'umd/react-dom.production.min.js', 'text/javascript; charset=utf-8'),
      'graphiql.min.js': packageFile('graphiql', 'graphiql.min.js', 'text/javascript; charset=utf-8'),
      'graphiql.min.css': packageFile('graphiql', 'graphiql.min.css', 'text/css; charset=utf-8'),
      'init.js': generated(
        `ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, { fetcher: GraphiQL.createFetcher({ url: ${JSON.stringify(options.graphqlPath)} }), defaultEditorToolsVisibility: true }));\n`,
        'text/javascript; charset=utf-8',
      ),
      'index.html': generated(
        html(
          `${options.title} — GraphiQL`,
          '<link rel="stylesheet" href="/graphiql/graphiql.min.css">',
          [
            '<div id="graphiql" style="height:100vh"></div>',
            '<script src="/graphiql/react.production.min.js"></script>',
            '<script src="/graphiql/react-dom.production.min.js"></script>',
            '<script src="/graphiql/graphiql.min.js"></script>',
            '<script src="/graphiql/init.js"></script>',
          ].join('\n'),
        ),
        'text/html; charset=utf-8',
      ),
    };
    routes['/graphiql'] = serve(graphiql, 'index.html');
    routes['/graphiql/*'] = serveUnder('/graphiql/', graphiql);
  }
  return routes;
}

function serve(assets: Record<string, Asset>, name: string): RouteHandler {
  return (info) => sendAsset(info, assets[name]!);
}

/** Only the listed files: no path from the request ever reaches the file system. */
function serveUnder(prefix: string, assets: Record<string, Asset>): RouteHandler {
  return (info) => {
    const pathname = new URL(info.req.url ?? '/', 'http://localhost').pathname;
    const name = pathname.slice(prefix.length);
    if (name === '') {
      info.res.writeHead(308, { location: prefix.slice(0, -1) });
      info.res.end();
      return;
    }
    const asset = name === 'index.html' ? undefined : assets[name];
    if (!asset) {
      sendJson(info.res, 404, { error: `no such file: ${pathname}`, requestId: info.requestId });
      return;
    }
    sendAsset(info, asset);
  };
}

function sendAsset({ req, res }: Parameters<RouteHandler>[0], asset: Asset): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' });
    res.end();
    return;
  }
  const headers = {
    'content-type': asset.contentType,
    etag: asset.etag,
    // Package files change only with the package version, which is in the ETag; pages revalidate.
    'cache-control': asset.file ? 'public, max-age=86400' : 'no-cache',
    'x-content-type-options': 'nosniff',
  };
  if (ifNoneMatchMatches(header(req, 'if-none-match'), asset.etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const length = asset.file ? statSync(asset.file).size : Buffer.byteLength(asset.text!);
  res.writeHead(200, { ...headers, 'content-length': length });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  if (asset.text !== undefined) {
    res.end(asset.text);
    return;
  }
  createReadStream(asset.file!)
    .on('error', () => res.destroy())
    .pipe(res);
}
