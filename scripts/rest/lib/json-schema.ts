import {
  isEnumType,
  isListType,
  isNonNullType,
  isScalarType,
  type FragmentDefinitionNode,
  type GraphQLEnumType,
  type GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLScalarType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { collectFields, possibleObjectTypes } from './schema.ts';

/** JSON Schema 2020-12, as OpenAPI 3.1 uses it. */
export type JsonSchema = { [keyword: string]: unknown };

/** Named schemas (enums, input objects) shared by all operations, collected while deriving. */
export class SchemaComponents {
  readonly schemas = new Map<string, JsonSchema>();
  constructor(readonly schema: GraphQLSchema) {}

  ref(name: string): JsonSchema {
    return { $ref: `#/components/schemas/${name}` };
  }

  enum(type: GraphQLEnumType): JsonSchema {
    if (!this.schemas.has(type.name)) {
      const values = type.getValues();
      const documented = values.filter((v) => v.description);
      const description = [type.description, documented.length > 0 ? documented.map((v) => `- \`${v.name}\`: ${v.description}`).join('\n') : undefined]
        .filter(Boolean)
        .join('\n\n');
      this.schemas.set(type.name, { type: 'string', enum: values.map((v) => v.name), ...(description ? { description } : {}) });
    }
    return this.ref(type.name);
  }

  inputObject(type: GraphQLInputObjectType): JsonSchema {
    if (!this.schemas.has(type.name)) {
      const schema: JsonSchema = { type: 'object' };
      this.schemas.set(type.name, schema); // registered before its fields: input objects may be recursive
      const properties: Record<string, JsonSchema> = {};
      const required: string[] = [];
      for (const field of Object.values(type.getFields())) {
        properties[field.name] = describe(this.input(field.type), field.description, field.deprecationReason);
        if (field.defaultValue !== undefined) (properties[field.name] as JsonSchema).default = field.defaultValue;
        if (isNonNullType(field.type) && field.defaultValue === undefined) required.push(field.name);
      }
      Object.assign(schema, {
        ...(type.description ? { description: type.description } : {}),
        properties,
        ...(required.length > 0 ? { required } : {}),
        ...((type as { isOneOf?: boolean }).isOneOf ? { minProperties: 1, maxProperties: 1 } : {}),
        additionalProperties: false,
      });
    }
    return this.ref(type.name);
  }

  /** The JSON a GraphQL input value of this type is sent as (in a body, a nullable input may be null). */
  input(type: GraphQLInputType): JsonSchema {
    return isNonNullType(type) ? this.inputValue(type.ofType) : nullable(this.inputValue(type));
  }

  /** A present, non-null input value (what a path or query parameter can carry). */
  inputValue(type: GraphQLInputType): JsonSchema {
    if (isNonNullType(type)) return this.inputValue(type.ofType);
    if (isListType(type)) return { type: 'array', items: this.input(type.ofType) };
    if (isEnumType(type)) return this.enum(type);
    if (isScalarType(type)) return scalarSchema(type);
    return this.inputObject(type as GraphQLInputObjectType);
  }

  /** The JSON a selection on a field of this type yields, following the selection exactly. */
  output(type: GraphQLOutputType, selectionSets: readonly SelectionSetNode[], fragments: ReadonlyMap<string, FragmentDefinitionNode>): JsonSchema {
    if (isNonNullType(type)) return this.outputNonNull(type.ofType, selectionSets, fragments);
    return nullable(this.outputNonNull(type, selectionSets, fragments));
  }

  private outputNonNull(
    type: GraphQLOutputType,
    selectionSets: readonly SelectionSetNode[],
    fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  ): JsonSchema {
    if (isNonNullType(type)) return this.outputNonNull(type.ofType, selectionSets, fragments);
    if (isListType(type)) return { type: 'array', items: this.output(type.ofType, selectionSets, fragments) };
    if (isEnumType(type)) return this.enum(type);
    if (isScalarType(type)) return scalarSchema(type);
    const variants = possibleObjectTypes(this.schema, type).map((objectType) => {
      const properties: Record<string, JsonSchema> = {};
      const required: string[] = [];
      for (const field of collectFields(this.schema, objectType, selectionSets, fragments).values()) {
        if (!field.conditional) required.push(field.responseKey);
        if (!field.definition) {
          properties[field.responseKey] = { type: 'string', const: objectType.name, description: 'The GraphQL type name.' };
          continue;
        }
        const sub = field.nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
        properties[field.responseKey] = describe(
          this.output(field.definition.type, sub, fragments),
          field.definition.description,
          field.definition.deprecationReason,
        );
      }
      return { type: 'object', properties, required, additionalProperties: false } satisfies JsonSchema;
    });
    return variants.length === 1 ? variants[0]! : { oneOf: variants };
  }
}

/** Built-in and custom scalars as JSON; an unknown custom scalar is any JSON value, described. */
export function scalarSchema(type: GraphQLScalarType): JsonSchema {
  switch (type.name) {
    case 'ID':
      return { type: 'string' };
    case 'String':
      return { type: 'string' };
    case 'Int':
      return { type: 'integer', format: 'int32' };
    case 'Float':
      return { type: 'number', format: 'double' };
    case 'Boolean':
      return { type: 'boolean' };
    case 'DateTime':
      return { type: 'string', format: 'date-time' };
    default:
      return { description: type.description ?? `The GraphQL scalar ${type.name}.` };
  }
}

/** Adds `null` to a schema's allowed values. */
export function nullable(schema: JsonSchema): JsonSchema {
  if (typeof schema.$ref === 'string' || Array.isArray(schema.oneOf)) {
    const { description, deprecated, ...rest } = schema;
    const options = Array.isArray(rest.oneOf) && Object.keys(rest).length === 1 ? (rest.oneOf as JsonSchema[]) : [rest];
    return { ...(description ? { description } : {}), ...(deprecated ? { deprecated } : {}), oneOf: [...options, { type: 'null' }] };
  }
  if (typeof schema.type === 'string') return { ...schema, type: [schema.type, 'null'] };
  if (Object.keys(schema).every((k) => k === 'description')) return schema; // any JSON value already includes null
  return { oneOf: [schema, { type: 'null' }] };
}

function describe(schema: JsonSchema, description: string | null | undefined, deprecationReason: string | null | undefined): JsonSchema {
  const described: JsonSchema = { ...schema };
  if (description) described.description = description;
  if (deprecationReason) {
    described.deprecated = true;
    described.description = [description, `Deprecated: ${deprecationReason}`].filter(Boolean).join('\n\n');
  }
  return described;
}
