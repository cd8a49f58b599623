/**
 * A Postman Collection v2.1 of the OpenAPI document: a request per operation with its parameters' and body's
 * examples filled in, bearer auth from the `token` variable and `baseUrl` where it was fetched. Requests run in the
 * document's `x-postman.order` (consecutive requests of a tag form a folder), so the collection passes top to bottom
 * on fresh sandbox data (`newman run`): values one request creates are kept in collection variables
 * (`x-postman.set`) and used by later ones (`x-postman.use`); a request sends another bearer token an earlier one
 * obtained (`x-postman.auth`, e.g. a consumer token) and waits, before it runs, for an asynchronous step an earlier
 * one started (`x-postman.wait`: a pre-request script polls a GET until its body shows the state, a bounded number
 * of times, and fails its own test if it never does). Every request tests its documented success status and the
 * shape of its body.
 */
interface OpenApiParameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  example?: unknown;
  $ref?: string;
}

interface PostmanExtension {
  order: number;
  use?: { path?: Record<string, string>; query?: Record<string, string>; body?: Record<string, string> };
  set?: Record<string, string>;
  /** The collection variable whose bearer token the request sends instead of `token`; `none`: no credential. */
  auth?: string;
  /** A GET (path relative to baseUrl, with collection variables) to poll until its body meets `until`. */
  wait?: { operationId: string; path: string; until: Record<string, string | string[] | true> };
}

interface OpenApiOperation {
  operationId: string;
  'x-postman'?: PostmanExtension;
  responses?: Record<string, { content?: Record<string, { example?: unknown }> }>;
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: OpenApiParameter[];
  requestBody?: { content?: Record<string, { example?: unknown }> };
}

export interface OpenApiDocument {
  info: { title: string; description?: string; version: string };
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { parameters?: Record<string, OpenApiParameter> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

export function postmanCollection(openapi: OpenApiDocument, baseUrl: string): Record<string, unknown> {
  const resolve = (parameter: OpenApiParameter): OpenApiParameter => {
    const name = parameter.$ref?.match(/^#\/components\/parameters\/(.+)$/)?.[1];
    return name ? (openapi.components?.parameters?.[name] ?? parameter) : parameter;
  };
  const descriptions = new Map((openapi.tags ?? []).map((tag) => [tag.name, tag.description]));
  const requests: { order: number; tag: string; item: unknown }[] = [];
  const variables = new Set<string>();

  for (const [path, item] of Object.entries(openapi.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const run = operation['x-postman'];
      const parameters = (operation.parameters ?? []).map(resolve);
      const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
      const fromVariable = (name: string) => `{{${name}}}`;
      const header = [{ key: 'Accept', value: 'application/json' }];
      const body = operation.requestBody?.content?.['application/json'];
      if (body) header.push({ key: 'Content-Type', value: 'application/json' });
      if (parameters.some((p) => p.in === 'header' && p.name === 'Idempotency-Key')) header.push({ key: 'Idempotency-Key', value: '{{$guid}}' });
      const segments = path
        .split('/')
        .slice(1)
        .map((segment) => segment.replace(/^\{(.+)\}$/, ':$1'));
      const query = parameters
        .filter((p) => p.in === 'query')
        .flatMap((p) => {
          const used = run?.use?.query?.[p.name];
          return (used ? [fromVariable(used)] : Array.isArray(p.example) ? p.example : [p.example]).map((example) => ({
            key: p.name,
            value: example === undefined ? '' : text(example),
            ...(p.description ? { description: p.description } : {}),
            // Optional parameters without an example are listed but not sent.
            ...(example === undefined && !p.required ? { disabled: true } : {}),
          }));
        });
      const sent = query.filter((q) => !('disabled' in q));
      const raw = `{{baseUrl}}/${segments.join('/')}${sent.length ? `?${sent.map((q) => `${q.key}=${q.value.startsWith('{{') ? q.value : encodeURIComponent(q.value)}`).join('&')}` : ''}`;
      let bodyValue: unknown = body?.example ?? {};
      for (const [field, variable] of Object.entries(run?.use?.body ?? {})) bodyValue = withValue(bodyValue, field.split('.'), fromVariable(variable));
      const bearer = run?.auth && run.auth !== 'none' ? run.auth : 'token';
      const waitedFor = run?.wait ? [...run.wait.path.matchAll(/\{\{([^}]+)\}\}/g)].map((m) => m[1]!) : [];
      for (const variable of [
        ...Object.values(run?.use?.path ?? {}),
        ...Object.values(run?.use?.query ?? {}),
        ...Object.values(run?.use?.body ?? {}),
        ...Object.keys(run?.set ?? {}),
        ...waitedFor,
        bearer,
      ]) {
        if (variable !== 'token') variables.add(variable);
      }
      const [successStatus, success] = Object.entries(operation.responses ?? {}).find(([status]) => /^2\d\d$/.test(status)) ?? [];
      const event: unknown[] = [];
      if (run?.wait)
        event.push({
          listen: 'prerequest',
          script: { type: 'text/javascript', exec: waitScript(operation.operationId, run.wait, run.auth === 'none' ? null : bearer) },
        });
      if (successStatus) {
        const exec =
          success?.content?.['application/json'] || !success?.content
            ? testScript(operation.operationId, Number(successStatus), success?.content?.['application/json']?.example, run?.set ?? {})
            : fileTestScript(operation.operationId, Number(successStatus), Object.keys(success.content));
        event.push({ listen: 'test', script: { type: 'text/javascript', exec } });
      }
      const request = {
        name: operation.summary ?? operation.operationId,
        event,
        request: {
          ...(run?.auth
            ? { auth: run.auth === 'none' ? { type: 'noauth' } : { type: 'bearer', bearer: [{ key: 'token', value: fromVariable(bearer), type: 'string' }] } }
            : {}),
          method: method.toUpperCase(),
          header,
          url: {
            raw,
            host: ['{{baseUrl}}'],
            path: segments,
            ...(query.length ? { query } : {}),
            variable: parameters
              .filter((p) => p.in === 'path')
              .map((p) => {
                const used = run?.use?.path?.[p.name];
                return {
                  key: p.name,
                  value: used ? fromVariable(used) : p.example === undefined ? '' : text(p.example),
                  ...(p.description ? { description: p.description } : {}),
                };
              }),
          },
          ...(body ? { body: { mode: 'raw', raw: JSON.stringify(bodyValue, null, 2), options: { raw: { language: 'json' } } } } : {}),
          ...(operation.description ? { description: operation.description } : {}),
        },
        response: [],
      };
      requests.push({ order: run?.order ?? Number.MAX_SAFE_INTEGER, tag: operation.tags?.[0] ?? 'Other', item: request });
    }
  }

  // Folders follow the run order: consecutive requests of one tag form a folder.
  const folders: { name: string; description?: string; item: unknown[] }[] = [];
  for (const request of requests.sort((a, b) => a.order - b.order)) {
    const last = folders.at(-1);
    if (last?.name === request.tag) last.item.push(request.item);
    else folders.push({ name: request.tag, ...(descriptions.get(request.tag) ? { description: descriptions.get(request.tag) } : {}), item: [request.item] });
  }

  return {
    info: {
      name: openapi.info.title,
      ...(openapi.info.description ? { description: openapi.info.description } : {}),
      version: openapi.info.version,
      // The v2.1 format's identifier (a schema URL Postman recognises, not something the collection loads).
      schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
    },
    auth: { type: 'bearer', bearer: [{ key: 'token', value: '{{token}}', type: 'string' }] },
    variable: [
      { key: 'baseUrl', value: baseUrl, type: 'string' },
      { key: 'token', value: '', type: 'string' },
      ...[...variables].sort().map((key) => ({ key, value: '', type: 'string' })),
    ],
    item: folders,
  };
}

/** A copy of `value` with the field at `path` set (the body example with a collection variable in it). */
function withValue(value: unknown, path: string[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path as [string, ...string[]];
  const object = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  return { ...object, [head]: withValue(object[head], rest, replacement) };
}

/** A file download's test (not JSON): the documented success status and one of the documented media types. */
function fileTestScript(operationId: string, status: number, mediaTypes: string[]): string[] {
  return [
    `pm.test(${JSON.stringify(`${operationId} answers ${status}`)}, function () {`,
    `  pm.response.to.have.status(${status});`,
    `});`,
    `pm.test(${JSON.stringify(`${operationId} answers a documented media type`)}, function () {`,
    `  const type = (pm.response.headers.get("Content-Type") || "").split(";")[0].trim();`,
    `  pm.expect(${JSON.stringify(mediaTypes)}).to.include(type);`,
    `});`,
  ];
}

/** The JSON type of a documented example value, as the test checks it. */
const kindOf = (value: unknown) => (Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value);

/**
 * The request's test: the documented success status, a JSON body with each top-level field of the documented
 * example (of the same JSON type unless null), and the values later requests need.
 */
function testScript(operationId: string, status: number, example: unknown, set: Record<string, string>): string[] {
  const shape = example && typeof example === 'object' && !Array.isArray(example) ? Object.entries(example).map(([key, value]) => [key, kindOf(value)]) : [];
  const lines = [
    `pm.test(${JSON.stringify(`${operationId} answers ${status}`)}, function () {`,
    `  pm.response.to.have.status(${status});`,
    `});`,
    `const body = pm.response.json();`,
    `pm.test(${JSON.stringify(`${operationId} answers with the documented shape`)}, function () {`,
    `  pm.expect(body).to.be.${example === undefined || (example !== null && typeof example === 'object') ? `an(${JSON.stringify(Array.isArray(example) ? 'array' : 'object')})` : `a(${JSON.stringify(kindOf(example))})`};`,
    `  const shape = ${JSON.stringify(Object.fromEntries(shape))};`,
    `  Object.keys(shape).forEach(function (key) {`,
    `    pm.expect(body, key).to.have.property(key);`,
    `    const value = body[key];`,
    `    const kind = Array.isArray(value) ? "array" : value === null ? "null" : typeof value;`,
    `    if (value !== null && shape[key] !== "null") pm.expect(kind, key).to.equal(shape[key]);`,
    `  });`,
    `});`,
  ];
  for (const [variable, path] of Object.entries(set)) {
    lines.push(
      `pm.collectionVariables.set(${JSON.stringify(variable)}, ${JSON.stringify(path.split('.'))}.reduce(function (v, k) { return v == null ? v : v[k]; }, body));`,
    );
  }
  return lines;
}

/** Polls between tries of a wait; 60 tries give an asynchronous step half a minute. */
const WAIT_TRIES = 60;
const WAIT_INTERVAL_MS = 500;

/**
 * The pre-request script of a request that waits: GET the path (with the request's bearer token) until every dotted
 * path of `until` holds its value, at most WAIT_TRIES times; one test records that the state was reached, or fails
 * with the last answer, so the run shows why the request behind it could not succeed.
 */
function waitScript(operationId: string, wait: NonNullable<PostmanExtension['wait']>, bearer: string | null): string[] {
  const condition = Object.entries(wait.until).map(
    ([path, expected]) => `${path} ${expected === true ? 'is set' : `is ${([] as string[]).concat(expected).join(' or ')}`}`,
  );
  return [
    `const until = ${JSON.stringify(wait.until)};`,
    `const url = pm.variables.replaceIn(${JSON.stringify(`{{baseUrl}}${wait.path}`)});`,
    `const header = { Accept: "application/json" };`,
    ...(bearer ? [`header.Authorization = "Bearer " + pm.variables.replaceIn(${JSON.stringify(`{{${bearer}}}`)});`] : []),
    `function valueAt(body, path) {`,
    `  return path.split(".").reduce(function (v, k) { return v == null ? v : v[k]; }, body);`,
    `}`,
    `function unmet(body) {`,
    `  return Object.keys(until).filter(function (path) {`,
    `    const value = valueAt(body, path);`,
    `    return until[path] === true ? value == null : [].concat(until[path]).indexOf(value) === -1;`,
    `  });`,
    `}`,
    `function poll(attempt) {`,
    `  pm.sendRequest({ url: url, method: "GET", header: header }, function (error, response) {`,
    `    let body = null;`,
    `    if (!error && response.code === 200) { try { body = response.json(); } catch (e) { body = null; } }`,
    `    const missing = body === null ? Object.keys(until) : unmet(body);`,
    `    if (missing.length > 0 && attempt < ${WAIT_TRIES}) return setTimeout(function () { poll(attempt + 1); }, ${WAIT_INTERVAL_MS});`,
    `    pm.test(${JSON.stringify(`${operationId} waits until ${wait.operationId} shows ${condition.join(' and ')}`)}, function () {`,
    `      if (error) throw new Error("GET " + url + ": " + error.message);`,
    `      pm.expect(response.code, "GET " + url + ": " + response.text()).to.equal(200);`,
    `      missing.forEach(function (path) {`,
    `        const wanted = until[path] === true ? "a value" : [].concat(until[path]).join(" or ");`,
    `        throw new Error(path + " is " + JSON.stringify(valueAt(body, path)) + " after " + attempt + " tries, not " + wanted);`,
    `      });`,
    `    });`,
    `  });`,
    `}`,
    `poll(1);`,
  ];
}
