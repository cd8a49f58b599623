import type { AnalysedOperation } from './operations.ts';

export interface CodeSample {
  lang: string;
  label: string;
  source: string;
}

/**
 * curl, JavaScript (fetch) and Python (requests) for one operation, filled in with the operation's
 * parameter examples. They read the base URL from IPAY_API_URL and the token from IPAY_TOKEN.
 */
export function codeSamples(op: AnalysedOperation, bodyExample: unknown): CodeSample[] {
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(String(op.variables.find((v) => v.name === name)!.example)));
  const query = op.variables.filter((v) => v.source === 'query' && v.example !== undefined).map((v) => [v.name, v.example] as const);
  const hasBody = bodyExample !== undefined;
  const idempotent = op.idempotency !== 'none';
  const result = camel(op.response.path.at(-1)!);
  return [
    { lang: 'Shell', label: 'curl', source: curl(op, path, query, hasBody ? bodyExample : undefined, idempotent) },
    { lang: 'JavaScript', label: 'JavaScript', source: javascript(op, path, query, hasBody ? bodyExample : undefined, idempotent, result) },
    { lang: 'Python', label: 'Python', source: python(op, path, query, hasBody ? bodyExample : undefined, idempotent, snake(result)) },
  ];
}

type Query = readonly (readonly [string, unknown])[];

function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [name, value] of query) for (const item of Array.isArray(value) ? value : [value]) params.append(name, String(item));
  const text = params.toString();
  return text ? `?${text}` : '';
}

function curl(op: AnalysedOperation, path: string, query: Query, body: unknown, idempotent: boolean): string {
  const lines = [
    `curl -sS${op.method === 'GET' ? '' : ` -X ${op.method}`} "$IPAY_API_URL${path}${queryString(query)}"`,
    `-H "Authorization: Bearer $IPAY_TOKEN"`,
  ];
  if (body !== undefined) lines.push(`-H "Content-Type: application/json"`);
  if (idempotent) lines.push(`-H "Idempotency-Key: $(uuidgen)"`);
  if (body !== undefined) lines.push(`-d '${JSON.stringify(body).replaceAll("'", "'\\''")}'`);
  return lines.join(' \\\n  ');
}

function javascript(op: AnalysedOperation, path: string, query: Query, body: unknown, idempotent: boolean, result: string): string {
  const lines = [`const url = new URL(${JSON.stringify(path)}, process.env.IPAY_API_URL);`];
  for (const [name, value] of query) {
    for (const item of Array.isArray(value) ? value : [value]) lines.push(`url.searchParams.append(${JSON.stringify(name)}, ${JSON.stringify(String(item))});`);
  }
  const headers = ['Authorization: `Bearer ${process.env.IPAY_TOKEN}`'];
  if (body !== undefined) headers.push(`'Content-Type': 'application/json'`);
  if (idempotent) headers.push(`'Idempotency-Key': crypto.randomUUID()`);
  lines.push('const response = await fetch(url, {');
  if (op.method !== 'GET') lines.push(`  method: '${op.method}',`);
  lines.push(`  headers: { ${headers.join(', ')} },`);
  if (body !== undefined) lines.push(`  body: JSON.stringify(${JSON.stringify(body)}),`);
  lines.push('});');
  lines.push('// Errors are RFC 9457 problem details: { type, title, status, detail, errors? }.');
  lines.push('if (!response.ok) throw new Error(`${response.status}: ${(await response.json()).detail}`);');
  lines.push(`const ${result} = await response.json();`);
  return lines.join('\n');
}

function python(op: AnalysedOperation, path: string, query: Query, body: unknown, idempotent: boolean, result: string): string {
  const lines = ['import os', ...(idempotent ? ['import uuid'] : []), '', 'import requests', ''];
  const headers = [`"Authorization": f"Bearer {os.environ['IPAY_TOKEN']}"`];
  if (idempotent) headers.push(`"Idempotency-Key": str(uuid.uuid4())`);
  lines.push(`response = requests.${op.method.toLowerCase()}(`);
  lines.push(`    f"{os.environ['IPAY_API_URL']}${path.replaceAll('{', '{{').replaceAll('}', '}}')}",`);
  if (query.length > 0) lines.push(`    params={${query.map(([name, value]) => `${JSON.stringify(name)}: ${py(value)}`).join(', ')}},`);
  if (body !== undefined) lines.push(`    json=${py(body)},`);
  lines.push(`    headers={${headers.join(', ')}},`);
  lines.push('    timeout=10,');
  lines.push(')');
  lines.push('response.raise_for_status()  # errors are RFC 9457 problem details (application/problem+json)');
  lines.push(`${result} = response.json()`);
  return lines.join('\n');
}

/** A JSON value as a Python literal. */
function py(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (Array.isArray(value)) return `[${value.map(py).join(', ')}]`;
  if (typeof value === 'object')
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${py(v)}`)
      .join(', ')}}`;
  return JSON.stringify(value);
}

const camel = (name: string) => name.replace(/[-_](\w)/g, (_, c: string) => c.toUpperCase());
const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
