import type { Server } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { closeServer, createHttpServer, createLogger, listen, type DatabaseHandle, type RouteHandler } from '@ipay/platform';
import { DOWNLOAD_ROUTES } from '../../src/downloads.ts';
import { startTestSystem, type TestSystem } from '../../../subgraphs/system/e2e/support.ts';
import { DrizzleIdempotencyStore, openGatewayDatabase } from '../../src/db/idempotency-store.ts';
import { createRestFacade, readRestArtifacts, type ExecuteOperation, type PersistedOperationsManifest, type RestFacadeOptions } from '../../src/rest/index.ts';

/**
 * `execute` as the tests wire it: a GraphQL-over-HTTP POST to the test system's gateway (the lead wires an
 * in-process call of the gateway's Apollo server instead; the contract is the same).
 */
export function executeOverHttp(gatewayUrl: string): ExecuteOperation {
  return async ({ query, variables, operationName, headers }) => {
    const response = await fetch(gatewayUrl, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
      body: JSON.stringify({ query, variables, operationName }),
    });
    const passedOn: Record<string, string> = {};
    const retryAfter = response.headers.get('retry-after');
    if (retryAfter) passedOn['retry-after'] = retryAfter;
    return { status: response.status, body: await response.text(), headers: passedOn };
  };
}

/**
 * The streamed download routes are not persisted operations: the gateway serves them itself (gateway/src/downloads.ts).
 * The facade's own test server hands them on to the test system's gateway unchanged, so the documented REST surface
 * (and the Postman collection) is served from one base URL as on the real gateway.
 */
export function forwardDownloads(gatewayUrl: string): Record<string, RouteHandler> {
  const forward: RouteHandler = async ({ req, res }) => {
    const authorization = req.headers.authorization;
    const upstream = await fetch(new URL(req.url ?? '/', gatewayUrl), { method: req.method, headers: authorization ? { authorization } : {} });
    const headers: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      if (name !== 'transfer-encoding' && name !== 'connection' && name !== 'keep-alive') headers[name] = value;
    });
    res.writeHead(upstream.status, headers);
    if (!upstream.body) return void res.end();
    await pipeline(Readable.fromWeb(upstream.body as unknown as WebReadableStream<Uint8Array>), res);
  };
  return Object.fromEntries(Object.keys(DOWNLOAD_ROUTES).map((path) => [`${path}*`, forward]));
}

export interface RestSystem {
  system: TestSystem;
  /** Where the facade listens, e.g. http://127.0.0.1:54321 */
  baseUrl: string;
  gatewayDatabase: DatabaseHandle<Record<string, unknown>>;
  store: DrizzleIdempotencyStore;
  stop(): Promise<void>;
}

/**
 * The whole system (seeded), the gateway's database migrated, and the REST facade on an HTTP server of its
 * own, on an ephemeral port. The lead mounts the same routes on the gateway's server.
 */
export async function startRestSystem(
  options: {
    manifest?: PersistedOperationsManifest;
    openapi?: Record<string, unknown>;
    wrapExecute?: (execute: ExecuteOperation) => ExecuteOperation;
  } & Partial<Pick<RestFacadeOptions, 'now'>> = {},
): Promise<RestSystem> {
  const system = await startTestSystem({ seed: true });
  let server: Server | undefined;
  let gatewayDatabase: DatabaseHandle<Record<string, unknown>> | undefined;
  try {
    gatewayDatabase = (await openGatewayDatabase(system.database.target)) as unknown as DatabaseHandle<Record<string, unknown>>;
    const store = new DrizzleIdempotencyStore(gatewayDatabase.db as never);
    const committed = options.manifest ? undefined : readRestArtifacts();
    const execute = executeOverHttp(system.gatewayUrl);
    const logger = createLogger('rest-test');
    const facade = createRestFacade({
      manifest: options.manifest ?? committed!.manifest,
      openapi: options.openapi ?? committed!.openapi,
      execute: options.wrapExecute ? options.wrapExecute(execute) : execute,
      logger,
      idempotencyStore: store,
      now: options.now,
    });
    server = createHttpServer(logger, { ...facade.routes, ...forwardDownloads(system.gatewayUrl) });
    const port = await listen(server, 0, 'rest facade', 'REST_TEST_PORT', '127.0.0.1');
    const handle = gatewayDatabase;
    const listening = server;
    return {
      system,
      baseUrl: `http://127.0.0.1:${port}`,
      gatewayDatabase: handle,
      store,
      stop: async () => {
        await closeServer(listening);
        await handle.close();
        await system.stop();
      },
    };
  } catch (error) {
    if (server) await closeServer(server).catch(() => {});
    await gatewayDatabase?.close().catch(() => {});
    await system.stop().catch(() => {});
    throw error;
  }
}

/** Validates bodies against the schemas the OpenAPI document gives each response (JSON Schema 2020-12). */
export class ResponseValidator {
  private readonly ajv: Ajv2020;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(private readonly openapi: Record<string, any>) {
    // Not strict: the document holds OpenAPI keywords around its schemas.
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    (addFormatsModule as unknown as (ajv: Ajv2020) => void)(this.ajv);
    this.ajv.addSchema(openapi, 'openapi.json');
  }

  /** Errors of `body` against the documented response of path/method/status (empty when valid). */
  errors(path: string, method: string, status: number, contentType: string, body: unknown): string[] {
    const pointer = this.schemaPointer(path, method, status, contentType);
    let validate = this.cache.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `openapi.json#${pointer.split('/').map(encodeURIComponent).join('/')}` });
      this.cache.set(pointer, validate);
    }
    return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
  }

  private schemaPointer(path: string, method: string, status: number, contentType: string): string {
    const escape = (token: string) => token.replaceAll('~', '~0').replaceAll('/', '~1');
    const operation = this.openapi.paths[path]?.[method.toLowerCase()];
    if (!operation) throw new Error(`${method} ${path} is not documented`);
    const response = operation.responses[String(status)];
    if (!response) throw new Error(`${method} ${path} documents no ${status} response`);
    const base = response.$ref ? (response.$ref as string).slice(1) : `/paths/${escape(path)}/${method.toLowerCase()}/responses/${status}`;
    const resolved = response.$ref ? this.openapi.components.responses[(response.$ref as string).split('/').pop()!] : response;
    const media = Object.keys(resolved.content ?? {}).find((type) => contentType.startsWith(type));
    if (!media) throw new Error(`${method} ${path} ${status} documents no ${contentType} body`);
    return `${base}/content/${escape(media)}/schema`;
  }
}
