/**
 * A Postman Collection v2.1 of the OpenAPI document: a folder per tag, a request per operation with its
 * parameters' examples filled in, bearer auth from the `token` variable and `baseUrl` where it was fetched.
 */
interface OpenApiParameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  example?: unknown;
  $ref?: string;
}

interface OpenApiOperation {
  operationId: string;
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
  const folders = new Map<string, { name: string; description?: string; item: unknown[] }>();
  for (const tag of openapi.tags ?? []) folders.set(tag.name, { name: tag.name, ...(tag.description ? { description: tag.description } : {}), item: [] });

  for (const [path, item] of Object.entries(openapi.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const parameters = (operation.parameters ?? []).map(resolve);
      const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
      const header = [{ key: 'Accept', value: 'application/json' }];
      const body = operation.requestBody?.content?.['application/json'];
      if (body) header.push({ key: 'Content-Type', value: 'application/json' });
      if (parameters.some((p) => p.in === 'header' && p.name === 'Idempotency-Key')) header.push({ key: 'Idempotency-Key', value: '{{$guid}}' });
      const segments = path.split('/').slice(1).map((segment) => segment.replace(/^\{(.+)\}$/, ':$1'));
      const query = parameters
        .filter((p) => p.in === 'query')
        .flatMap((p) =>
          (Array.isArray(p.example) ? p.example : [p.example]).map((example) => ({
            key: p.name,
            value: example === undefined ? '' : text(example),
            ...(p.description ? { description: p.description } : {}),
            // Optional parameters without an example are listed but not sent.
            ...(example === undefined && !p.required ? { disabled: true } : {}),
          })),
        );
      const sent = query.filter((q) => !('disabled' in q));
      const raw = `{{baseUrl}}/${segments.join('/')}${sent.length ? `?${sent.map((q) => `${q.key}=${encodeURIComponent(q.value)}`).join('&')}` : ''}`;
      const request = {
        name: operation.summary ?? operation.operationId,
        request: {
          method: method.toUpperCase(),
          header,
          url: {
            raw,
            host: ['{{baseUrl}}'],
            path: segments,
            ...(query.length ? { query } : {}),
            variable: parameters.filter((p) => p.in === 'path').map((p) => ({ key: p.name, value: p.example === undefined ? '' : text(p.example), ...(p.description ? { description: p.description } : {}) })),
          },
          ...(body ? { body: { mode: 'raw', raw: JSON.stringify(body.example ?? {}, null, 2), options: { raw: { language: 'json' } } } } : {}),
          ...(operation.description ? { description: operation.description } : {}),
        },
        response: [],
      };
      const tag = operation.tags?.[0] ?? 'Other';
      if (!folders.has(tag)) folders.set(tag, { name: tag, item: [] });
      folders.get(tag)!.item.push(request);
    }
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
    ],
    item: [...folders.values()].filter((folder) => folder.item.length > 0),
  };
}
