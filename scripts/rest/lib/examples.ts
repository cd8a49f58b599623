import { createHash } from 'node:crypto';
import {
  isEnumType,
  isListType,
  isNonNullType,
  isScalarType,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { collectFields, possibleObjectTypes } from './schema.ts';

/**
 * Documentation examples for response bodies, synthesised from the selection set so they always have the
 * response's exact shape. Values come, in order, from: an example the operation's parameters give for the
 * same field (so GET /v1/orders/{id} shows that id), an `e.g.` in the field's or scalar's description, the
 * platform's id prefixes, and a few plain samples by field name; otherwise a neutral value of the type.
 */
export interface ExampleHints {
  /** Values the operation's parameters use, by field name (e.g. id → ord_…). */
  knownValues: Record<string, unknown>;
}

/** The id prefixes the platform gives each entity (`newId('ord')`); unknown types get a generic one. */
const ID_PREFIXES: Record<string, string> = { Merchant: 'mer', Order: 'ord', PaymentSession: 'pay', Shipment: 'shp', Settlement: 'stl' };

const STRING_SAMPLES: Record<string, string> = {
  currency: 'EUR',
  defaultCurrency: 'EUR',
  country: 'NL',
  email: 'ana.silva@example.com',
  'Customer.name': 'Ana Silva',
  'Merchant.name': 'Acme Shop',
  'Carrier.name': 'PostNL',
  'Carrier.code': 'postnl',
  merchantReference: 'ACME-1004',
  trackingNumber: 'POSTNL000100023757',
  psp: 'adyen',
  method: 'card',
};

const INT_SAMPLES: Record<string, number> = { amount: 7840 };

export function exampleFor(
  schema: GraphQLSchema,
  type: GraphQLOutputType,
  selectionSets: readonly SelectionSetNode[],
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  hints: ExampleHints,
  field?: { parent: GraphQLObjectType; definition: GraphQLField<unknown, unknown>; parentIsRoot: boolean },
  isRoot = true,
): unknown {
  if (isNonNullType(type)) return exampleFor(schema, type.ofType, selectionSets, fragments, hints, field, isRoot);
  if (isListType(type)) return [exampleFor(schema, type.ofType, selectionSets, fragments, hints, field, isRoot)];
  if (isEnumType(type)) {
    const known = field && hints.knownValues[field.definition.name];
    return type.getValues().find((v) => v.name === known)?.name ?? type.getValues()[0]?.name;
  }
  if (isScalarType(type)) return scalarExample(type.name, type.description, field, hints);
  const [objectType] = possibleObjectTypes(schema, type);
  if (!objectType) return {};
  const value: Record<string, unknown> = {};
  for (const selected of collectFields(schema, objectType, selectionSets, fragments).values()) {
    if (!selected.definition) {
      value[selected.responseKey] = objectType.name;
      continue;
    }
    const sub = selected.nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
    value[selected.responseKey] = exampleFor(
      schema,
      selected.definition.type,
      sub,
      fragments,
      hints,
      { parent: objectType, definition: selected.definition, parentIsRoot: isRoot },
      false,
    );
  }
  return value;
}

function scalarExample(
  scalar: string,
  scalarDescription: string | null | undefined,
  field: { parent: GraphQLObjectType; definition: GraphQLField<unknown, unknown>; parentIsRoot: boolean } | undefined,
  hints: ExampleHints,
): unknown {
  const name = field?.definition.name ?? '';
  const qualified = field ? `${field.parent.name}.${name}` : '';
  // Only the response's own entity takes the id the request names; nested entities have ids of their own.
  if (field?.parentIsRoot || name !== 'id') {
    if (name in hints.knownValues && typeof hints.knownValues[name] !== 'object') return hints.knownValues[name];
  }
  const fromDescription = eg(field?.definition.description) ?? eg(scalarDescription);
  switch (scalar) {
    case 'ID':
      return `${ID_PREFIXES[field?.parent.name ?? ''] ?? 'id'}_${createHash('sha256').update(qualified).digest('hex').slice(0, 32)}`;
    case 'Int':
      return Number(fromDescription) || INT_SAMPLES[name] || 1;
    case 'Float':
      return Number(fromDescription) || 1.5;
    case 'Boolean':
      return true;
    case 'JSON':
      // JSON fields hold objects (PSP next actions, shop credentials, changes); a name would read as a string.
      return {};
    case 'String':
      if (name === 'endCursor' || name === 'cursor') return 'WyIyMDI2LTExLTA5VDA5OjAwOjAwLjAwMFoiLCJvcmRfMSJd';
      return fromDescription ?? STRING_SAMPLES[qualified] ?? STRING_SAMPLES[name] ?? name;
    default:
      return fromDescription ?? name;
  }
}

/** The token after "e.g." in a description: "(e.g. acme-shop)" → acme-shop. */
function eg(description: string | null | undefined): string | undefined {
  const match = description?.match(/\be\.g\.\s+([^\s),;]+)/);
  return match?.[1]?.replace(/[.)]+$/, '');
}
