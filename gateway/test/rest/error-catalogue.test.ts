import type { Server } from 'node:http';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { ERROR_CATALOGUE, closeServer, createHttpServer, createLogger, listen, type ErrorCode } from '@ipay/platform';
import { ROOT, buildRestArtifacts } from '../../../scripts/rest/lib/artifacts.ts';
import { operationStatuses } from '../../../scripts/rest/lib/statuses.ts';
import {
  DrizzleIdempotencyStore,
  createRestFacade,
  openGatewayDatabase,
  readRestArtifacts,
  type ExecuteResult,
  type PersistedOperation,
  type PersistedOperationsManifest,
} from '../../src/rest/index.ts';
import type { InputTypeRef } from '../../src/rest/manifest.ts';
import { ResponseValidator } from './support.ts';

/**
 * Issue 11, defect 6: one error catalogue (subgraphs/platform/src/errors.ts). Every code the source throws is in
 * it; every code answers its catalogued status, type and title through the REST facade, on an operation whose
 * OpenAPI document lists that status, and the problem validates against the documented schema (Prism-style);
 * a 5xx is never stored under an Idempotency-Key; a 401 carries WWW-Authenticate.
 */

// ---------------------------------------------------------------------------------------------------------------
// 1. The source: every thrown code is catalogued.

function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'generated') walk(full);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(full);
    }
  };
  for (const subgraph of readdirSync(join(ROOT, 'subgraphs'))) walk(join(ROOT, 'subgraphs', subgraph, 'src'));
  walk(join(ROOT, 'gateway/src'));
  return files;
}

interface ThrownCode {
  code: string;
  at: string;
}

/**
 * The codes put into `extensions: { code }` (any GraphQL error, thrown or answered) and passed to `domainError(code)`.
 * A code that is not a literal must be typed as a union of literals (e.g. payments' RefusalCode) so it can be read.
 */
function thrownCodes(): { codes: ThrownCode[]; unreadable: string[] } {
  const files = sourceFiles();
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile).config;
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
  const program = ts.createProgram(files, { ...options, noEmit: true });
  const checker = program.getTypeChecker();
  const codes: ThrownCode[] = [];
  const unreadable: string[] = [];
  const where = (node: ts.Node) => {
    const source = node.getSourceFile();
    return `${relative(ROOT, source.fileName)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  };
  const read = (expression: ts.Expression, shorthand?: ts.ShorthandPropertyAssignment) => {
    // `{ code }`: the type of the variable, not of the (widened) property.
    const symbol = shorthand && checker.getShorthandAssignmentValueSymbol(shorthand);
    const type = symbol ? checker.getTypeOfSymbolAtLocation(symbol, shorthand) : checker.getTypeAtLocation(expression);
    const members = type.isUnion() ? type.types : [type];
    const literals = members.filter((t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)));
    if (literals.length > 0 && literals.every((t) => t.isStringLiteral()))
      for (const t of literals) codes.push({ code: (t as ts.StringLiteralType).value, at: where(expression) });
    else unreadable.push(`${where(expression)} (${checker.typeToString(type)})`);
  };
  for (const file of files) {
    const source = program.getSourceFile(file)!;
    const visit = (node: ts.Node) => {
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'domainError' && node.arguments[0]) read(node.arguments[0]);
      if (ts.isPropertyAssignment(node) && node.name.getText(source) === 'extensions' && ts.isObjectLiteralExpression(node.initializer)) {
        for (const property of node.initializer.properties) {
          if (ts.isPropertyAssignment(property) && property.name.getText(source) === 'code') read(property.initializer);
          if (ts.isShorthandPropertyAssignment(property) && property.name.text === 'code') read(property.name, property);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { codes, unreadable };
}

describe('the error catalogue', () => {
  it('holds every code the subgraphs and the gateway throw', () => {
    const { codes, unreadable } = thrownCodes();
    expect(unreadable, 'error codes must be literals or typed as unions of literals').toEqual([]);
    // The walk finds what it should: codes thrown through wrappers, literals and typed unions alike.
    const found = new Set(codes.map((c) => c.code));
    for (const code of [
      'ORDER_NOT_PAYABLE',
      'ILLEGAL_TRANSITION',
      'IDEMPOTENCY_KEY_REUSED',
      'PSP_UNAVAILABLE',
      'PSP_REFUSED',
      'REFUND_EXCEEDS_CAPTURED',
      'MERCHANT_NOT_ACTIVE',
      'NOT_FOUND',
    ])
      expect(found).toContain(code);
    const missing = codes.filter((c) => !Object.prototype.hasOwnProperty.call(ERROR_CATALOGUE, c.code)).map((c) => `${c.code} at ${c.at}`);
    expect(missing, 'add these codes to ERROR_CATALOGUE in subgraphs/platform/src/errors.ts').toEqual([]);
  }, 120_000);

  it('gives every code a status, a problem type URN, a title and whether to retry; 5xx are retryable', () => {
    for (const [code, spec] of Object.entries(ERROR_CATALOGUE)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(spec.status, code).toBeGreaterThanOrEqual(400);
      expect(spec.status, code).toBeLessThan(600);
      expect(spec.type, code).toMatch(/^urn:ipay:problem:[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(spec.title.length, code).toBeGreaterThan(0);
      if (spec.status >= 500 || spec.status === 429) expect(spec.retryable, code).toBe(true);
    }
  });

  it('names only root fields the graph has in raisedBy', () => {
    const { supergraph } = buildRestArtifacts();
    const known = (coordinate: string) => {
      const [type, field] = coordinate.split('.') as [string, string];
      const root = type === 'Mutation' ? supergraph.schema.getMutationType() : supergraph.schema.getQueryType();
      return Boolean(root?.getFields()[field]);
    };
    const unknown = Object.values(ERROR_CATALOGUE).flatMap((spec) => (('raisedBy' in spec ? spec.raisedBy : []) as readonly string[]).filter((c) => !known(c)));
    expect(unknown).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// 2. Through the REST facade: each code answers its status, documented for the operation, valid per the document.

const { manifest, openapi } = readRestArtifacts();
const built = buildRestArtifacts();
const validator = new ResponseValidator(openapi);

/** A value of a GraphQL input type that passes the facade's checks (required fields only). */
function sample(type: InputTypeRef): unknown {
  switch (type.kind) {
    case 'NON_NULL':
      return sample(type.ofType);
    case 'LIST':
      return [sample(type.ofType)];
    case 'ENUM':
      return type.values[0];
    case 'SCALAR':
      return ({ Int: 1, Float: 1.5, Boolean: true, DateTime: '2026-11-26T10:00:00Z', JSON: {} } as Record<string, unknown>)[type.name] ?? 'x_1';
    case 'INPUT_OBJECT': {
      const spec = manifest.inputObjects[type.name]!;
      const entries = Object.entries(spec.fields);
      const chosen = spec.oneOf ? entries.slice(0, 1) : entries.filter(([, f]) => f.type.kind === 'NON_NULL' && !f.hasDefault);
      return Object.fromEntries(chosen.map(([name, f]) => [name, sample(f.type)]));
    }
  }
}

function requestFor(operation: PersistedOperation): { url: string; init: RequestInit } {
  let path = operation.http.path;
  const query = new URLSearchParams();
  const body: Record<string, unknown> = {};
  let whole: unknown;
  for (const v of operation.variables) {
    if (!v.required && v.source !== 'path') continue;
    const value = sample(v.type);
    if (v.source === 'path') path = path.replace(`{${v.name}}`, encodeURIComponent(String(value)));
    else if (v.source === 'query') for (const item of Array.isArray(value) ? value : [value]) query.append(v.name, String(item));
    else if (operation.body.kind === 'variable') whole = value;
    else body[v.name] = value;
  }
  const headers: Record<string, string> = { authorization: 'Bearer ipk_test_x' };
  const init: RequestInit = { method: operation.http.method, headers };
  if (operation.body.kind !== 'none') {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(operation.body.kind === 'variable' ? (whole ?? {}) : body);
  }
  if (operation.http.idempotency !== 'none') headers['idempotency-key'] = `k-${Math.random()}`;
  return { url: `${path}${query.size ? `?${query}` : ''}`, init };
}

describe('every catalogued code through the REST facade', () => {
  const pglite = new PGlite();
  let server: Server;
  let baseUrl: string;
  let next: () => Promise<ExecuteResult>;
  let executions = 0;

  beforeAll(async () => {
    const store = new DrizzleIdempotencyStore((await openGatewayDatabase({ kind: 'pglite', client: pglite })).db);
    const logger = createLogger('error-catalogue-test', 'silent');
    const facade = createRestFacade({
      manifest: manifest as PersistedOperationsManifest,
      openapi,
      logger,
      idempotencyStore: store,
      execute: () => ((executions += 1), next()),
    });
    server = createHttpServer(logger, facade.routes);
    baseUrl = `http://127.0.0.1:${await listen(server, 0, 'rest facade', 'REST_TEST_PORT', '127.0.0.1')}`;
  });
  afterAll(async () => {
    await closeServer(server);
    await pglite.close();
  });

  const byName = new Map(Object.values(manifest.operations).map((op) => [op.name, op]));
  /** The code as a subgraph's resolver raises it: a field error with the root field's path. */
  const fieldError = (operation: PersistedOperation, code: string) => async (): Promise<ExecuteResult> => ({
    status: 200,
    body: {
      data: null,
      errors: [
        {
          message: `${code.toLowerCase()}: the message for people`,
          path: [operation.response.path[0]!],
          extensions: { code, ...(code === 'BAD_USER_INPUT' ? { field: 'x' } : {}) },
        },
      ],
    },
  });

  const graphCodes = (Object.keys(ERROR_CATALOGUE) as ErrorCode[]).filter((code) => ERROR_CATALOGUE[code].layer !== 'rest');
  it.each(graphCodes)('%s answers its catalogued status on an operation that documents it', async (code) => {
    const spec = ERROR_CATALOGUE[code];
    const candidates = built.operations.filter((op) => operationStatuses(built.supergraph.schema, op).some((s) => s.codes.includes(code)));
    const raisedBy = ('raisedBy' in spec ? spec.raisedBy : []) as readonly string[];
    if (candidates.length === 0) {
      // Only codes of root fields not served over REST (subscriptions, or fields still being built) have none.
      expect(
        raisedBy.length > 0 ||
          [
            'PERSISTED_QUERY_NOT_ALLOWED',
            'LIMIT_EXCEEDED',
            'SUBSCRIBER_TOO_SLOW',
            'BAD_REQUEST',
            'GRAPHQL_PARSE_FAILED',
            'OPERATION_RESOLUTION_FAILURE',
            'PERSISTED_QUERY_NOT_FOUND',
            // The GraphQL endpoint's own refusals before execution; REST answers these as problem+json of its own.
            'OPERATION_LIMIT_EXCEEDED',
            'BATCHING_NOT_SUPPORTED',
            'METHOD_NOT_ALLOWED',
            'PAYLOAD_TOO_LARGE',
            'UNSUPPORTED_MEDIA_TYPE',
            'SERVER_BUSY',
          ].includes(code),
        `${code} is documented on no operation`,
      ).toBe(true);
      return;
    }
    for (const analysed of candidates.slice(0, 3)) {
      const operation = byName.get(analysed.name)!;
      next = fieldError(operation, code);
      const { url, init } = requestFor(operation);
      const response = await fetch(`${baseUrl}${url}`, init);
      const body = (await response.json()) as Record<string, unknown>;
      expect(response.status, `${code} on ${operation.name}`).toBe(spec.status);
      expect(body).toMatchObject({ status: spec.status, type: spec.type, title: spec.title, code: spec.status === 500 ? code : code });
      expect(response.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
      expect(
        validator.errors(operation.http.path, operation.http.method, spec.status, 'application/problem+json', body),
        `${code} on ${operation.name}`,
      ).toEqual([]);
      if (spec.status === 401) expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
      if (spec.status === 429 || spec.status === 503) expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    }
  });

  it('documents a 404 on every operation that looks an entity up or names one by ID', () => {
    const withoutNotFound = built.operations.filter((op) => !(openapi as any).paths[op.path][op.method.toLowerCase()].responses['404']);
    for (const op of withoutNotFound) {
      expect(
        op.response.segments.some((s) => s.nullable),
        op.name,
      ).toBe(false);
      expect(JSON.stringify(op.variables.map((v) => v.graphqlType)), op.name).not.toMatch(/\bID\b/);
    }
    expect(withoutNotFound.length).toBeLessThan(built.operations.length / 4);
  });

  it('never stores a 5xx under an Idempotency-Key: the retry runs again; a 4xx refusal is replayed', async () => {
    // An operation without an idempotency variable of its own: the gateway's store keeps its keys.
    const operation = byName.get('SendCarrierStatement')!;
    const { url, init } = requestFor(operation);
    const keyed = { ...init, headers: { ...(init.headers as Record<string, string>), 'idempotency-key': 'statement-mail-down' } };
    next = fieldError(operation, 'MAIL_UNAVAILABLE');
    const before = executions;
    const failed = await fetch(`${baseUrl}${url}`, keyed);
    expect(failed.status).toBe(503);
    expect(((await failed.json()) as { retryable?: unknown; code: string }).code).toBe('MAIL_UNAVAILABLE');
    next = fieldError(operation, 'NO_STATEMENT_RECIPIENTS');
    const retried = await fetch(`${baseUrl}${url}`, keyed);
    expect(retried.status).toBe(422);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect(executions - before).toBe(2);
    // The 4xx answer is the request's answer: replayed, not run again.
    const replayed = await fetch(`${baseUrl}${url}`, keyed);
    expect(replayed.status).toBe(422);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(executions - before).toBe(2);
  });

  it('keeps no second key for an operation with its own idempotency variable: every retry reaches the graph, which keeps the key', async () => {
    const operation = byName.get('CreateRefund')!;
    const { url, init } = requestFor(operation);
    const keyed = { ...init, headers: { ...(init.headers as Record<string, string>), 'idempotency-key': 'refund-psp-down' } };
    next = fieldError(operation, 'REFUND_EXCEEDS_CAPTURED');
    const before = executions;
    for (let i = 0; i < 2; i++) {
      const answer = await fetch(`${baseUrl}${url}`, keyed);
      expect(answer.status).toBe(422);
      expect(answer.headers.get('idempotent-replayed')).toBeNull();
    }
    expect(executions - before).toBe(2);
  });

  it('puts WWW-Authenticate on the 401 of a request refused as a whole', async () => {
    next = async () => ({ status: 401, body: { errors: [{ message: 'API key has been revoked', extensions: { code: 'UNAUTHENTICATED' } }] } });
    const response = await fetch(`${baseUrl}/v1/orders/ord_1`, { headers: { authorization: 'Bearer ipk_test_x' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="ipay", error="invalid_token"');
  });
});
