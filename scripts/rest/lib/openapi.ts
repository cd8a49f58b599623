import { GraphQLNonNull, isListType, isNonNullType, type GraphQLInputType, type GraphQLOutputType } from 'graphql';
import { codeSamples } from './code-samples.ts';
import { downloadPaths } from './downloads.ts';
import { exampleFor } from './examples.ts';
import { SchemaComponents, type JsonSchema } from './json-schema.ts';
import { OperationError, type AnalysedOperation, type PostmanWait } from './operations.ts';
import { fragmentsOf, type Supergraph } from './schema.ts';
import { ERROR_CATALOGUE, type ErrorCode } from '../../../subgraphs/platform/src/errors.ts';
import { operationStatuses, type DocumentedStatus } from './statuses.ts';
import { EVENT_CATALOGUE } from '../../../subgraphs/platform/src/events/catalogue.ts';

export interface TagSpec {
  name: string;
  description?: string;
}

/** Problems every operation can answer with, by status; documented once under components.responses. */
const PROBLEM_RESPONSES: Record<string, { name: string; title: string; description: string; retryAfter?: boolean; example: Record<string, unknown> }> = {
  '400': {
    name: 'BadRequest',
    title: 'Bad Request',
    description: 'A parameter or the body is missing, malformed or of the wrong type; `errors` names each field at fault.',
    example: {
      type: 'urn:ipay:problem:invalid-parameter',
      title: 'Bad Request',
      status: 400,
      detail: 'first: must be an integer (Int!), got "ten"',
      errors: [{ field: 'first', in: 'query', detail: 'must be an integer (Int!), got "ten"' }],
    },
  },
  '401': {
    name: 'Unauthorized',
    title: 'Unauthorized',
    description: 'No valid bearer token was sent (`Authorization: Bearer <token>`).',
    example: { type: 'urn:ipay:problem:unauthenticated', title: 'Unauthorized', status: 401, detail: 'a bearer token is required', code: 'UNAUTHENTICATED' },
  },
  '403': {
    name: 'Forbidden',
    title: 'Forbidden',
    description: 'The token is valid but may not do this.',
    example: {
      type: 'urn:ipay:problem:forbidden',
      title: 'Forbidden',
      status: 403,
      detail: 'this token may not read orders of that merchant',
      code: 'FORBIDDEN',
    },
  },
  '404': {
    name: 'NotFound',
    title: 'Not Found',
    description: 'Nothing exists with that identifier (or it is not visible to this token).',
    example: { type: 'urn:ipay:problem:not-found', title: 'Not Found', status: 404, detail: 'Order not found (id: ord_0000)', code: 'NOT_FOUND' },
  },
  '409': {
    name: 'Conflict',
    title: 'Conflict',
    description: 'A request with the same Idempotency-Key is still being processed, or the change conflicts with the current state.',
    example: {
      type: 'urn:ipay:problem:idempotency-key-in-use',
      title: 'Conflict',
      status: 409,
      detail: 'a request with this Idempotency-Key is still being processed; retry later',
    },
  },
  '413': {
    name: 'ContentTooLarge',
    title: 'Content Too Large',
    description: 'The request body is larger than 1 MiB.',
    example: { type: 'urn:ipay:problem:content-too-large', title: 'Content Too Large', status: 413, detail: 'request body exceeds 1048576 bytes' },
  },
  '415': {
    name: 'UnsupportedMediaType',
    title: 'Unsupported Media Type',
    description: 'The request body is not `application/json`.',
    example: { type: 'urn:ipay:problem:unsupported-media-type', title: 'Unsupported Media Type', status: 415, detail: 'send the body as application/json' },
  },
  '422': {
    name: 'UnprocessableContent',
    title: 'Unprocessable Content',
    description:
      'Well-formed, but the graph refused a value (e.g. a page size out of range or an unknown cursor), or the Idempotency-Key was already used with a different request.',
    example: {
      type: 'urn:ipay:problem:invalid-input',
      title: 'Unprocessable Content',
      status: 422,
      detail: 'first: must be an integer from 1 to 100',
      code: 'BAD_USER_INPUT',
      errors: [{ field: 'first', in: 'query', detail: 'must be an integer from 1 to 100' }],
    },
  },
  '429': {
    name: 'TooManyRequests',
    title: 'Too Many Requests',
    description: 'Rate limited; retry after the number of seconds in `Retry-After`.',
    retryAfter: true,
    example: { type: 'urn:ipay:problem:rate-limited', title: 'Too Many Requests', status: 429, detail: 'rate limit exceeded', code: 'RATE_LIMITED' },
  },
  '500': {
    name: 'InternalServerError',
    title: 'Internal Server Error',
    description: 'An unexpected error; quote `requestId` when reporting it.',
    example: {
      type: 'urn:ipay:problem:internal',
      title: 'Internal Server Error',
      status: 500,
      detail: 'an unexpected error occurred',
      requestId: '7d1f0c4e-2b5a-4f1e-9c3d-8a6b5e4f3a2b',
    },
  },
  '502': {
    name: 'BadGateway',
    title: 'Bad Gateway',
    description: 'A service behind the gateway answered with an error.',
    example: { type: 'urn:ipay:problem:upstream-error', title: 'Bad Gateway', status: 502, detail: 'a service behind the gateway failed' },
  },
  '503': {
    name: 'ServiceUnavailable',
    title: 'Service Unavailable',
    description: 'A service behind the gateway cannot be reached; retry after `Retry-After` seconds.',
    retryAfter: true,
    example: {
      type: 'urn:ipay:problem:upstream-unavailable',
      title: 'Service Unavailable',
      status: 503,
      detail: 'a service behind the gateway is unavailable',
    },
  },
  '504': {
    name: 'GatewayTimeout',
    title: 'Gateway Timeout',
    description: 'A service behind the gateway did not answer in time.',
    example: { type: 'urn:ipay:problem:upstream-timeout', title: 'Gateway Timeout', status: 504, detail: 'a service behind the gateway timed out' },
  },
};

const API_DESCRIPTION = `REST access to the IPAY graph for partners who do not use GraphQL. Every endpoint runs one persisted
GraphQL operation through the gateway (the same authorization, validation and data as \`/graphql\`) and returns
that operation's result without the GraphQL envelope.

**Authentication.** Send \`Authorization: Bearer <token>\` on every request.

**Errors** are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) problem details (\`application/problem+json\`) with
\`type\`, \`title\`, \`status\`, \`detail\`, the graph's error \`code\` when there is one, the \`requestId\` to quote, and
for 400/422 an \`errors\` list naming each field at fault.

**Caching.** Successful GET responses carry a strong \`ETag\`; send it back in \`If-None-Match\` to get
\`304 Not Modified\` when nothing changed.

**Pagination.** Lists are cursor paged: pass \`first\` (page size) and \`after\` (the previous page's
\`pageInfo.endCursor\`). The \`Link\` header ([RFC 8288](https://www.rfc-editor.org/rfc/rfc8288)) holds the next
page's URL as \`rel="next"\` while there is one.

**Idempotency.** POST endpoints accept an \`Idempotency-Key\` (up to 255 characters, e.g. a UUID). A retry with the
same key and the same request replays the first response (marked \`Idempotent-Replayed: true\`) instead of running
it again; the same key with a different request is refused with 422, and while the first request is still running
a retry gets 409. Keys are kept for 24 hours. Where the body has an \`idempotencyKey\` of its own (orders, payment
sessions, refunds), the header is that key: it fills \`idempotencyKey\` when the body leaves it out, and the service
keeps it, so the same key over GraphQL is the same request; a retry answers with the same resource, and the same
key with a different request is refused with 422 \`IDEMPOTENCY_KEY_REUSED\`.

**Code samples** read the base URL from \`IPAY_API_URL\` and the token from \`IPAY_TOKEN\`.`;

export function buildOpenApi(supergraph: Supergraph, operations: AnalysedOperation[], tags: TagSpec[]): Record<string, unknown> {
  const components = new SchemaComponents(supergraph.schema);
  const paths: Record<string, Record<string, unknown>> = {};
  const sorted = [...operations].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));

  const runOrder = postmanRunOrder(sorted, tags);
  for (const op of sorted) {
    const fragments = fragmentsOf(op.ast);
    const responseName = `${op.name}Response`;
    // The 200 body is never null: a null entity is a 404.
    components.schemas.set(responseName, {
      ...(op.description ? { description: op.description } : {}),
      ...components.output(nonNullOutput(op.response.type), op.response.selectionSets, fragments),
    });
    const knownValues = Object.fromEntries(op.variables.filter((v) => v.example !== undefined).map((v) => [v.name, v.example]));
    const responseExample = exampleFor(supergraph.schema, op.response.type, op.response.selectionSets, fragments, { knownValues });

    const parameters: unknown[] = op.variables
      .filter((v) => v.source !== 'body')
      .map((v) => ({
        name: v.name,
        in: v.source,
        required: v.source === 'path' || v.required,
        ...(v.description ? { description: v.description } : {}),
        schema: { ...parameterSchema(components, v.type), ...(v.defaultValue !== undefined ? { default: v.defaultValue } : {}) },
        ...(isListType(nonNullInput(v.type)) ? { style: 'form', explode: true } : {}),
        ...(v.example !== undefined ? { example: v.example } : {}),
      }));
    if (op.method === 'GET') parameters.push({ $ref: '#/components/parameters/IfNoneMatch' });
    if (op.idempotency !== 'none')
      parameters.push({ $ref: `#/components/parameters/${op.idempotency === 'required' ? 'IdempotencyKeyRequired' : 'IdempotencyKey'}` });

    let requestBody: Record<string, unknown> | undefined;
    let bodyExample: unknown;
    if (op.body.kind !== 'none') {
      const bodyVariables = op.variables.filter((v) => v.source === 'body');
      const requestName = `${op.name}Request`;
      if (op.body.kind === 'variable') {
        const variable = bodyVariables[0]!;
        components.schemas.set(requestName, {
          ...(variable.description ? { description: variable.description } : {}),
          ...components.inputValue(variable.type),
        });
        bodyExample = variable.example;
      } else {
        const required = bodyVariables.filter((v) => v.required).map((v) => v.name);
        components.schemas.set(requestName, {
          type: 'object',
          properties: Object.fromEntries(
            bodyVariables.map((v) => [
              v.name,
              {
                ...components.input(v.type),
                ...(v.description ? { description: v.description } : {}),
                ...(v.defaultValue !== undefined ? { default: v.defaultValue } : {}),
              },
            ]),
          ),
          ...(required.length > 0 ? { required } : {}),
          additionalProperties: false,
        });
        bodyExample = Object.fromEntries(bodyVariables.filter((v) => v.example !== undefined).map((v) => [v.name, v.example]));
      }
      const bodyRequired = op.body.kind === 'variable' ? bodyVariables[0]!.required : bodyVariables.some((v) => v.required);
      requestBody = {
        required: bodyRequired,
        content: { 'application/json': { schema: components.ref(requestName), ...(bodyExample !== undefined ? { example: bodyExample } : {}) } },
      };
    }

    const successHeaders: Record<string, unknown> = { 'X-Request-Id': { $ref: '#/components/headers/XRequestId' } };
    if (op.method === 'GET') successHeaders.ETag = { $ref: '#/components/headers/ETag' };
    if (op.response.pagination) successHeaders.Link = { $ref: '#/components/headers/Link' };
    if (op.idempotency !== 'none') successHeaders['Idempotent-Replayed'] = { $ref: '#/components/headers/IdempotentReplayed' };
    const responses: Record<string, unknown> = {
      [String(op.successStatus)]: {
        description: `\`data.${op.response.path.join('.')}\` of the GraphQL operation ${op.name}.`,
        headers: successHeaders,
        content: { 'application/json': { schema: components.ref(responseName), example: responseExample } },
      },
    };
    if (op.method === 'GET')
      responses['304'] = { description: 'Not Modified: the representation matches `If-None-Match`.', headers: { ETag: { $ref: '#/components/headers/ETag' } } };
    for (const documented of operationStatuses(supergraph.schema, op)) responses[String(documented.status)] = problemResponse(documented);
    const describedAs = [op.description, `Runs the persisted GraphQL ${op.operationType} \`${op.name}\`.`].filter(Boolean).join('\n\n');
    (paths[op.path] ??= {})[op.method.toLowerCase()] = {
      operationId: op.name,
      tags: [op.tag],
      summary: op.summary,
      description: describedAs,
      ...(op.deprecated ? { deprecated: true } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      responses,
      'x-codeSamples': codeSamples(op, bodyExample),
      'x-graphql-operation': { name: op.name, id: op.id, source: op.file },
      'x-postman': postmanExtension(op, runOrder.get(op.name)!, operations),
    };
  }

  // Streamed downloads (not GraphQL operations), documented with the operation that issues their link and run in the
  // Postman collection right after it (gateway/test/rest/settlement-download.e2e.test.ts validates against this entry).
  for (const download of downloadPaths()) {
    const after = runOrder.get(download.issuedBy);
    // A document of other operations (test fixtures) has no link to download: no route either.
    if (after === undefined) continue;
    (paths[download.path] ??= {}).get = { ...download.item, 'x-postman': { order: after + 0.5, use: { path: { token: download.tokenVariable } } } };
  }

  const usedTags = [...new Set(sorted.map((op) => op.tag))];
  const orderedTags = [
    ...tags.filter((t) => usedTags.includes(t.name)),
    ...usedTags
      .filter((name) => !tags.some((t) => t.name === name))
      .sort()
      .map((name) => ({ name })),
  ];

  const schemas = Object.fromEntries([...components.schemas.entries()].sort(([a], [b]) => a.localeCompare(b)));
  return withoutUnusedComponents({
    openapi: '3.1.0',
    info: {
      title: 'IPAY REST API',
      version: '1.0.0',
      summary: 'Pay-on-arrival orders, payment sessions, shipments and settlements over REST.',
      description: API_DESCRIPTION,
      contact: { name: 'IPAY', url: 'https://portal.ipay.global' },
      license: { name: 'Proprietary', url: 'https://portal.ipay.global' },
    },
    servers: [{ url: '/', description: 'The gateway serving this document' }],
    security: [{ bearerAuth: [] }],
    tags: orderedTags,
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    webhooks: webhooks(),
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'A bearer token, sent as `Authorization: Bearer <token>`; the REST facade forwards it to the gateway, which authenticates it.',
        },
      },
      schemas: { ...schemas, Problem: problemSchema(), ...webhookSchemas() },
      parameters: {
        IfNoneMatch: {
          name: 'If-None-Match',
          in: 'header',
          required: false,
          description: 'An `ETag` from an earlier response: when the representation still matches, the answer is `304 Not Modified` without a body.',
          schema: { type: 'string' },
          example: '"sA1b2C3d4E5f6G7h8I9j0K1l2M3"',
        },
        IdempotencyKey: idempotencyParameter(false),
        IdempotencyKeyRequired: idempotencyParameter(true),
      },
      headers: {
        ETag: { description: 'A strong validator of the response body, for `If-None-Match`.', schema: { type: 'string' } },
        Link: {
          description: 'RFC 8288 links; `rel="next"` is the next page while there is one.',
          schema: { type: 'string' },
          example: '</v1/orders?first=20&after=WyIyMDI2LTExLTA5VDA5OjAwOjAwLjAwMFoiLCJvcmRfMSJd>; rel="next"',
        },
        RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 0 } },
        IdempotentReplayed: {
          description: '`true` when this response is the stored response to an earlier request with the same Idempotency-Key.',
          schema: { type: 'string', enum: ['true'] },
        },
        XRequestId: { description: 'The request id every log line of this request carries; quote it when reporting a problem.', schema: { type: 'string' } },
      },
      responses: Object.fromEntries(
        Object.entries(PROBLEM_RESPONSES).map(([status, p]) => [
          p.name,
          {
            description: p.description,
            headers: {
              'X-Request-Id': { $ref: '#/components/headers/XRequestId' },
              ...(p.retryAfter ? { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } } : {}),
            },
            content: { 'application/problem+json': { schema: problemSchemaOf(Number(status), genericCodes(Number(status))), example: p.example } },
          },
        ]),
      ),
    },
  });
}

/** Payload fields that are money on the wire: `{ amount (major units), amount_minor, currency }`. */
const MONEY_FIELDS = new Set(['total', 'gross', 'fees', 'net', 'amount_due', 'captured', 'refunded', 'outstanding']);

const webhookSchemaName = (type: string) =>
  `WebhookEvent${type
    .split(/[._]/)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('')}`;

/** One schema per event of the catalogue (subgraphs/platform/src/events/catalogue.ts): the delivery envelope with its payload. */
function webhookSchemas(): Record<string, JsonSchema> {
  const schemas: Record<string, JsonSchema> = {
    WireMoney: {
      type: 'object',
      description: 'Money on the wire: major units (formatted from the minor units, never by float arithmetic), integer minor units and the ISO 4217 currency.',
      required: ['amount', 'amount_minor', 'currency'],
      properties: {
        amount: { type: 'number', examples: [78.4] },
        amount_minor: { type: 'integer', examples: [7840] },
        currency: { type: 'string', pattern: '^[A-Z]{3}$', examples: ['EUR'] },
      },
    },
  };
  for (const [type, event] of Object.entries(EVENT_CATALOGUE)) {
    const required: readonly string[] = event.required;
    schemas[webhookSchemaName(type)] = {
      type: 'object',
      description: `${event.description} (\`${type}\` version ${event.version}, about a ${event.subject}).`,
      required: ['type', 'id', 'occurred_at', 'livemode', 'data'],
      properties: {
        type: { type: 'string', const: type },
        id: { type: 'string', description: 'The event id (`evt_<uuidv7>`), also sent as `webhook-id`: deduplicate on it.', pattern: '^evt_' },
        occurred_at: { type: 'string', format: 'date-time' },
        livemode: { type: 'boolean', description: 'false for sandbox (test-mode) events.' },
        data: {
          type: 'object',
          description: 'The event payload; every event of this type carries at least these fields.',
          required: [...required],
          properties: Object.fromEntries(
            required.map((field) => [
              field,
              MONEY_FIELDS.has(field) ? { $ref: '#/components/schemas/WireMoney' } : { description: `\`${field}\` of the ${type} payload.` },
            ]),
          ),
        },
      },
    };
  }
  return schemas;
}

/** The OpenAPI `webhooks` section: every event IPAY delivers to a merchant's endpoints, signed the Standard Webhooks way. */
function webhooks(): Record<string, unknown> {
  const header = (name: string, description: string) => ({ name, in: 'header', required: true, description, schema: { type: 'string' } });
  return Object.fromEntries(
    Object.entries(EVENT_CATALOGUE).map(([type, event]) => [
      type,
      {
        post: {
          operationId: `webhook${webhookSchemaName(type).slice('WebhookEvent'.length)}`,
          tags: ['Webhooks'],
          summary: type,
          description: `${event.description}\n\nDelivered to every enabled endpoint subscribed to \`${type}\` (POST, JSON), signed per [Standard Webhooks](https://www.standardwebhooks.com/); retried with backoff for about three days until the endpoint answers 2xx.`,
          security: [],
          parameters: [
            header('webhook-id', 'The event id; the same on every retry, so deliveries can be deduplicated.'),
            header('webhook-timestamp', 'Seconds since the epoch when this attempt was signed; refuse old ones.'),
            header('webhook-signature', 'Space-separated `v1,<base64 HMAC-SHA256>` signatures of `id.timestamp.body` with the endpoint secret(s).'),
          ],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${webhookSchemaName(type)}` } } } },
          responses: {
            '200': { description: 'Any 2xx acknowledges the delivery.' },
            '410': { description: 'Gone: IPAY disables the endpoint.' },
          },
        },
      },
    ]),
  );
}

/**
 * The order in which the Postman collection runs the operations: the documentation's order (tags, then paths)
 * except that an operation runs after the ones its `postman.after` names (the collection groups consecutive requests
 * of one tag into a folder).
 */
function postmanRunOrder(operations: AnalysedOperation[], tags: TagSpec[]): Map<string, number> {
  const tagRank = (tag: string) => {
    const index = tags.findIndex((t) => t.name === tag);
    return index === -1 ? tags.length : index;
  };
  const base = [...operations].sort(
    (a, b) => tagRank(a.tag) - tagRank(b.tag) || a.tag.localeCompare(b.tag) || a.path.localeCompare(b.path) || a.method.localeCompare(b.method),
  );
  const byName = new Map(base.map((op) => [op.name, op]));
  const done = new Set<string>();
  const order: AnalysedOperation[] = [];
  const visit = (op: AnalysedOperation, trail: string[]) => {
    if (done.has(op.name)) return;
    if (trail.includes(op.name)) throw new OperationError(op.file, `postman.after makes a cycle: ${[...trail, op.name].join(' → ')}`);
    for (const name of op.postman?.after ?? []) {
      const before = byName.get(name);
      if (!before) throw new OperationError(op.file, `postman.after: no operation ${name}`);
      visit(before, [...trail, op.name]);
    }
    done.add(op.name);
    order.push(op);
  };
  for (const op of base) visit(op, []);
  return new Map(order.map((op, i) => [op.name, i + 1]));
}

/**
 * `x-postman`: the collection's run order, which request values come from collection variables, which response values
 * are kept, the bearer token the request sends (when not `token`) and what it waits for first.
 */
function postmanExtension(op: AnalysedOperation, order: number, operations: AnalysedOperation[]): Record<string, unknown> {
  const use: Record<string, Record<string, string>> = {};
  for (const [target, variable] of Object.entries(op.postman?.use ?? {})) {
    const [name, ...rest] = target.split('.');
    const spec = op.variables.find((v) => v.name === name);
    if (!spec) throw new OperationError(op.file, `postman.use: ${name} is not a variable of ${op.name}`);
    const where = spec.source;
    // In the body: relative to the body (a body that is one variable is that variable's value).
    const key = where === 'body' ? (op.body.kind === 'variable' ? rest.join('.') : target) : name!;
    if (where === 'body' && key === '') throw new OperationError(op.file, `postman.use: name a field inside ${name}`);
    (use[where] ??= {})[key] = variable;
  }
  return {
    order,
    ...(Object.keys(use).length ? { use } : {}),
    ...(op.postman?.set ? { set: op.postman.set } : {}),
    ...(op.postman?.auth ? { auth: op.postman.auth } : {}),
    ...(op.postman?.wait ? { wait: postmanWait(op, op.postman.wait, operations) } : {}),
  };
}

/** `x-postman.wait`: the GET to poll (its path with collection variables or examples in it) and the condition. */
function postmanWait(op: AnalysedOperation, wait: PostmanWait, operations: AnalysedOperation[]): Record<string, unknown> {
  const target = operations.find((o) => o.name === wait.for);
  if (!target) throw new OperationError(op.file, `postman.wait.for: no operation ${wait.for}`);
  if (target.method !== 'GET') throw new OperationError(op.file, `postman.wait.for: ${wait.for} is not a GET`);
  for (const name of Object.keys(wait.use ?? {})) {
    if (!target.variables.some((v) => v.name === name && v.source === 'path'))
      throw new OperationError(op.file, `postman.wait.use: ${name} is not a path variable of ${wait.for}`);
  }
  const required = target.variables.find((v) => v.source !== 'path' && v.required && v.defaultValue === undefined);
  if (required) throw new OperationError(op.file, `postman.wait.for: ${wait.for} needs ${required.name}, which a wait does not send`);
  const path = target.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const variable = wait.use?.[name];
    if (variable) return `{{${variable}}}`;
    const example = target.variables.find((v) => v.name === name)?.example;
    if (example === undefined) throw new OperationError(op.file, `postman.wait.use: name a collection variable for ${name} of ${wait.for}`);
    return encodeURIComponent(String(example));
  });
  return { operationId: target.name, path, until: wait.until };
}

/** Catalogue codes of a status that any operation can get (no `raisedBy`). */
function genericCodes(status: number): ErrorCode[] {
  return (Object.entries(ERROR_CATALOGUE) as [ErrorCode, (typeof ERROR_CATALOGUE)[ErrorCode]][])
    .filter(([, spec]) => spec.status === status && !('raisedBy' in spec))
    .map(([code]) => code);
}

/** A problem body of a status: `code` is one of the codes that status stands for (500 takes any: it also reports codes nobody catalogued). */
function problemSchemaOf(status: number, codes: readonly ErrorCode[]): JsonSchema {
  if (status === 500 || codes.length === 0) return { $ref: '#/components/schemas/Problem' };
  return { allOf: [{ $ref: '#/components/schemas/Problem' }, { type: 'object', properties: { code: { type: 'string', enum: [...codes].sort() } } }] };
}

/**
 * The documented problem of one status of one operation: the shared component when only generic codes apply,
 * else a response of the operation's own naming its domain codes (from the error catalogue).
 */
function problemResponse(documented: DocumentedStatus): Record<string, unknown> {
  const shared = PROBLEM_RESPONSES[String(documented.status)];
  const domain = documented.codes.filter((code) => 'raisedBy' in ERROR_CATALOGUE[code]);
  if (shared && domain.length === 0) return { $ref: `#/components/responses/${shared.name}` };
  const codes = [...new Set([...genericCodes(documented.status), ...documented.codes])];
  const first = ERROR_CATALOGUE[domain[0] ?? codes[0]!];
  const lines = codes.map(
    (code) => `- \`${code}\` (\`${ERROR_CATALOGUE[code].type}\`${ERROR_CATALOGUE[code].retryable ? ', retryable' : ''}): ${ERROR_CATALOGUE[code].description}`,
  );
  return {
    description: [shared?.description ?? first.title, 'Codes:', ...lines].join('\n'),
    headers: {
      'X-Request-Id': { $ref: '#/components/headers/XRequestId' },
      ...(shared?.retryAfter ? { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } } : {}),
    },
    content: {
      'application/problem+json': {
        schema: problemSchemaOf(documented.status, codes),
        example: { type: first.type, title: first.title, status: documented.status, detail: first.description, code: domain[0] ?? codes[0] },
      },
    },
  };
}

/** Drops shared parameters, headers and responses no operation refers to (e.g. idempotency before any POST). */
function withoutUnusedComponents(document: Record<string, unknown> & { components: Record<string, Record<string, unknown>> }) {
  const used = new Set<string>();
  const collect = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === '$ref' && typeof inner === 'string' && !used.has(inner)) {
          used.add(inner);
          const [, section, name] = inner.match(/^#\/components\/([^/]+)\/(.+)$/) ?? [];
          if (section && name) collect(document.components[section]?.[name]);
        } else collect(inner);
      }
    }
  };
  collect(document.paths);
  for (const section of ['parameters', 'headers', 'responses']) {
    const entries = Object.entries(document.components[section] ?? {}).filter(([name]) => used.has(`#/components/${section}/${name}`));
    document.components[section] = Object.fromEntries(entries);
  }
  return document;
}

function idempotencyParameter(required: boolean) {
  return {
    name: 'Idempotency-Key',
    in: 'header',
    required,
    description:
      'Makes a retry safe: the same key with the same request replays the first response; with a different request it is refused (422); while the first is running a retry gets 409. Kept for 24 hours, per bearer token.',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
    example: '5f0c7a52-3f4b-4c57-9a43-0c9d2b1e6f11',
  };
}

function problemSchema(): JsonSchema {
  return {
    type: 'object',
    description: 'RFC 9457 problem details.',
    required: ['type', 'title', 'status'],
    properties: {
      type: { type: 'string', format: 'uri', description: 'Identifies the kind of problem (a URN); branch on it or on `code`, never on `detail`.' },
      title: { type: 'string', description: 'The HTTP reason phrase of `status`.' },
      status: { type: 'integer', format: 'int32' },
      detail: { type: 'string', description: 'What went wrong with this request, for people.' },
      instance: { type: 'string', description: 'The request path.' },
      code: { type: 'string', description: 'The GraphQL error code (`extensions.code`), when the graph reported the problem.' },
      requestId: { type: 'string' },
      errors: {
        type: 'array',
        description: 'Each field at fault (400 and 422).',
        items: {
          type: 'object',
          required: ['detail'],
          properties: {
            field: { type: 'string', description: 'The parameter or body property.' },
            in: { type: 'string', enum: ['path', 'query', 'body', 'header'] },
            detail: { type: 'string' },
          },
        },
      },
    },
  };
}

function nonNullOutput(type: GraphQLOutputType): GraphQLOutputType {
  return isNonNullType(type) ? type : new GraphQLNonNull(type);
}

function nonNullInput(type: GraphQLInputType): GraphQLInputType {
  return isNonNullType(type) ? type.ofType : type;
}

/** A query or path parameter is never null; list items of a query parameter are never null either. */
function parameterSchema(components: SchemaComponents, type: GraphQLInputType): JsonSchema {
  const inner = nonNullInput(type);
  if (isListType(inner)) return { type: 'array', items: components.inputValue(inner.ofType) };
  return components.inputValue(inner);
}
