import type { InputObjectSpec, InputTypeRef, PersistedOperation, VariableSpec } from './manifest.ts';
import type { FieldError, FieldLocation } from './problems.ts';

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export interface RequestInput {
  /** Path parameters, already percent-decoded. */
  path: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body; undefined when there was none. */
  body: unknown;
}

/**
 * Builds the operation's GraphQL variables from the path, query string and body, coerced to the variables'
 * types, so the graph only ever sees well-typed values. Every problem is reported, each with its field.
 */
export function collectVariables(
  operation: PersistedOperation,
  inputObjects: Record<string, InputObjectSpec>,
  input: RequestInput,
): { variables: Record<string, unknown>; errors: FieldError[] } {
  const variables: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  const fail = (field: string, location: FieldLocation, detail: string) => errors.push({ field, in: location, detail });

  const queryNames = new Set(operation.variables.filter((v) => v.source === 'query').map((v) => v.name));
  for (const name of new Set(input.query.keys())) {
    if (!queryNames.has(name))
      fail(
        name,
        'query',
        queryNames.size > 0
          ? `is not a parameter of this endpoint (expected ${[...queryNames].join(', ')})`
          : 'is not a parameter of this endpoint, which takes none',
      );
  }

  for (const variable of operation.variables) {
    if (variable.source === 'path') {
      const raw = input.path[variable.name];
      if (raw === undefined) fail(variable.name, 'path', 'is required');
      else assign(variables, variable, fromString(raw, variable.type), 'path', fail);
    } else if (variable.source === 'query') {
      const values = input.query.getAll(variable.name);
      if (values.length === 0) {
        if (variable.required) fail(variable.name, 'query', `is required (${variable.graphqlType})`);
        continue;
      }
      const type = unwrapNonNull(variable.type);
      if (type.kind === 'LIST') {
        const items = values.map((value, i) => ({ i, result: fromString(value, type.ofType) }));
        const bad = items.find((item) => 'error' in item.result);
        if (bad && 'error' in bad.result) fail(variable.name, 'query', bad.result.error);
        else variables[variable.name] = items.map((item) => (item.result as { value: unknown }).value);
      } else if (values.length > 1) {
        fail(variable.name, 'query', 'is given more than once');
      } else assign(variables, variable, fromString(values[0]!, variable.type), 'query', fail);
    }
  }

  const bodyVariables = operation.variables.filter((v) => v.source === 'body');
  if (operation.body.kind === 'variable') {
    const variable = bodyVariables[0]!;
    if (input.body === undefined) {
      if (variable.required) errors.push({ in: 'body', detail: `a JSON body (${variable.graphqlType}) is required` });
    } else {
      const coerced = fromJson(input.body, variable.type, inputObjects, '');
      for (const error of coerced.errors) errors.push({ ...(error.path ? { field: error.path } : {}), in: 'body', detail: error.detail });
      if (coerced.errors.length === 0) variables[variable.name] = coerced.value;
    }
  } else if (operation.body.kind === 'properties') {
    const body = input.body ?? {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      errors.push({ in: 'body', detail: 'the body must be a JSON object' });
    } else {
      const known = new Set(bodyVariables.map((v) => v.name));
      for (const name of Object.keys(body)) {
        if (!known.has(name))
          fail(
            name,
            'body',
            known.size > 0 ? `is not a property of this request (expected ${[...known].join(', ')})` : 'is not a property of this request, which takes none',
          );
      }
      for (const variable of bodyVariables) {
        const value = (body as Record<string, unknown>)[variable.name];
        if (value === undefined) {
          if (variable.required) fail(variable.name, 'body', `is required (${variable.graphqlType})`);
          continue;
        }
        const coerced = fromJson(value, variable.type, inputObjects, variable.name);
        for (const error of coerced.errors) fail(error.path, 'body', error.detail);
        if (coerced.errors.length === 0) variables[variable.name] = coerced.value;
      }
    }
  }
  return { variables, errors };
}

function assign(
  variables: Record<string, unknown>,
  variable: VariableSpec,
  result: Coerced,
  location: FieldLocation,
  fail: (field: string, location: FieldLocation, detail: string) => void,
) {
  if ('error' in result) fail(variable.name, location, result.error);
  else variables[variable.name] = result.value;
}

type Coerced = { value: unknown } | { error: string };

const unwrapNonNull = (type: InputTypeRef): InputTypeRef => (type.kind === 'NON_NULL' ? type.ofType : type);

function describe(type: InputTypeRef): string {
  switch (type.kind) {
    case 'NON_NULL':
      return `${describe(type.ofType)}!`;
    case 'LIST':
      return `[${describe(type.ofType)}]`;
    default:
      return type.name;
  }
}

/** A path segment or query value (always text) as a value of a scalar or enum type. */
function fromString(raw: string, type: InputTypeRef): Coerced {
  const inner = unwrapNonNull(type);
  const expected = describe(type);
  switch (inner.kind) {
    case 'ENUM':
      return inner.values.includes(raw) ? { value: raw } : { error: `must be one of ${inner.values.join(', ')}; got ${JSON.stringify(raw)}` };
    case 'SCALAR':
      switch (inner.name) {
        case 'Int': {
          const n = Number(raw);
          return /^[+-]?\d+$/.test(raw) && n >= INT_MIN && n <= INT_MAX
            ? { value: n }
            : { error: `must be a 32-bit integer (${expected}); got ${JSON.stringify(raw)}` };
        }
        case 'Float':
          return DECIMAL.test(raw) && Number.isFinite(Number(raw))
            ? { value: Number(raw) }
            : { error: `must be a number (${expected}); got ${JSON.stringify(raw)}` };
        case 'Boolean':
          return raw === 'true' || raw === 'false' ? { value: raw === 'true' } : { error: `must be true or false; got ${JSON.stringify(raw)}` };
        case 'DateTime':
          return ISO_INSTANT.test(raw) && !Number.isNaN(Date.parse(raw))
            ? { value: raw }
            : { error: `must be an ISO 8601 instant with a zone, e.g. 2026-05-29T09:14:22Z; got ${JSON.stringify(raw)}` };
        case 'ID':
        case 'String':
          return { value: raw };
        default:
          // A custom scalar the facade does not know: the graph parses it (and refuses it with 422).
          return { value: raw };
      }
    default:
      return { error: `cannot be given as text (${expected})` };
  }
}

interface JsonCoercion {
  value: unknown;
  errors: { path: string; detail: string }[];
}

/** A JSON value as a value of any input type, with the same rules as GraphQL's input coercion (lists stay lists). */
function fromJson(value: unknown, type: InputTypeRef, inputObjects: Record<string, InputObjectSpec>, path: string): JsonCoercion {
  const errors: JsonCoercion['errors'] = [];
  const fail = (at: string, detail: string) => errors.push({ path: at, detail });
  const visit = (v: unknown, t: InputTypeRef, at: string): unknown => {
    if (t.kind === 'NON_NULL') {
      if (v === null || v === undefined) {
        fail(at, `must not be null (${describe(t)})`);
        return undefined;
      }
      return visit(v, t.ofType, at);
    }
    if (v === null) return null;
    switch (t.kind) {
      case 'LIST':
        if (!Array.isArray(v)) {
          fail(at, `must be an array (${describe(t)})`);
          return undefined;
        }
        return v.map((item, i) => visit(item, t.ofType, `${at}[${i}]`));
      case 'ENUM':
        if (typeof v !== 'string' || !t.values.includes(v)) fail(at, `must be one of ${t.values.join(', ')}; got ${JSON.stringify(v)}`);
        return v;
      case 'SCALAR':
        return scalarFromJson(v, t.name, at, fail);
      case 'INPUT_OBJECT': {
        const spec = inputObjects[t.name];
        if (!spec) {
          fail(at, `has an unknown type ${t.name}`);
          return undefined;
        }
        if (typeof v !== 'object' || Array.isArray(v)) {
          fail(at, `must be an object (${t.name})`);
          return undefined;
        }
        const object = v as Record<string, unknown>;
        const result: Record<string, unknown> = {};
        const join = (name: string) => (at ? `${at}.${name}` : name);
        for (const name of Object.keys(object)) if (!spec.fields[name]) fail(join(name), `is not a field of ${t.name}`);
        for (const [name, field] of Object.entries(spec.fields)) {
          if (object[name] === undefined) {
            if (field.type.kind === 'NON_NULL' && !field.hasDefault) fail(join(name), `is required (${describe(field.type)})`);
            continue;
          }
          result[name] = visit(object[name], field.type, join(name));
        }
        if (spec.oneOf) {
          const given = Object.keys(object).filter((name) => object[name] !== null && object[name] !== undefined);
          if (given.length !== 1) fail(at, `must have exactly one of ${Object.keys(spec.fields).join(', ')}`);
        }
        return result;
      }
    }
  };
  const coerced = visit(value, type, path);
  return { value: coerced, errors };
}

function scalarFromJson(v: unknown, scalar: string, at: string, fail: (at: string, detail: string) => void): unknown {
  switch (scalar) {
    case 'Int':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < INT_MIN || v > INT_MAX) fail(at, `must be a 32-bit integer; got ${JSON.stringify(v)}`);
      return v;
    case 'Float':
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(at, `must be a number; got ${JSON.stringify(v)}`);
      return v;
    case 'Boolean':
      if (typeof v !== 'boolean') fail(at, `must be true or false; got ${JSON.stringify(v)}`);
      return v;
    case 'String':
      if (typeof v !== 'string') fail(at, `must be a string; got ${JSON.stringify(v)}`);
      return v;
    case 'ID':
      if (typeof v === 'number' && Number.isInteger(v)) return String(v);
      if (typeof v !== 'string') fail(at, `must be a string; got ${JSON.stringify(v)}`);
      return v;
    case 'DateTime':
      if (typeof v !== 'string' || !ISO_INSTANT.test(v) || Number.isNaN(Date.parse(v)))
        fail(at, `must be an ISO 8601 instant with a zone, e.g. 2026-05-29T09:14:22Z; got ${JSON.stringify(v)}`);
      return v;
    default:
      return v;
  }
}
