import {
  GraphQLObjectType,
  Kind,
  buildASTSchema,
  isAbstractType,
  isObjectType,
  parse,
  type ConstDirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';

export interface Supergraph {
  schema: GraphQLSchema;
  /** Root field name → the subgraphs resolving it, per root type (from `@join__field(graph:)`, else the type's graphs). */
  rootFieldOwners: Record<'query' | 'mutation', Map<string, string[]>>;
  /** Join graph enum value → subgraph name (e.g. COMMERCE → commerce). */
  graphNames: Map<string, string>;
}

/**
 * The supergraph as graphql-js sees it. Operations are validated against it; federation's own types
 * (join__*, link__*) are unreachable from the root types, and `@inaccessible` elements are refused
 * separately because graphql-js does not hide them.
 */
export function loadSupergraph(sdl: string): Supergraph {
  const ast = parse(sdl);
  const schema = buildASTSchema(ast);
  const graphNames = new Map<string, string>();
  const joinGraph = schema.getType('join__Graph');
  if (joinGraph && 'getValues' in joinGraph) {
    for (const value of joinGraph.getValues()) {
      const directive = value.astNode?.directives?.find((d) => d.name.value === 'join__graph');
      const name = directive?.arguments?.find((a) => a.name.value === 'name')?.value;
      graphNames.set(value.name, name?.kind === Kind.STRING ? name.value : value.name.toLowerCase());
    }
  }
  const graphsOf = (directives: readonly ConstDirectiveNode[] | undefined, name: string) =>
    (directives ?? [])
      .filter((d) => d.name.value === name)
      .map((d) => d.arguments?.find((a) => a.name.value === 'graph')?.value)
      .flatMap((v) => (v?.kind === Kind.ENUM ? [graphNames.get(v.value) ?? v.value.toLowerCase()] : []));
  // A field without @join__field is resolvable in every subgraph that defines its type (a shareable field).
  const owners = (type: GraphQLObjectType | null | undefined) => {
    const map = new Map<string, string[]>();
    if (!type) return map;
    const typeGraphs = graphsOf(type.astNode?.directives, 'join__type');
    for (const field of Object.values(type.getFields())) {
      const fieldGraphs = graphsOf(field.astNode?.directives, 'join__field');
      map.set(field.name, [...new Set(fieldGraphs.length > 0 ? fieldGraphs : typeGraphs)].sort());
    }
    return map;
  };
  return { schema, graphNames, rootFieldOwners: { query: owners(schema.getQueryType()), mutation: owners(schema.getMutationType()) } };
}

export const isInaccessible = (node: { directives?: readonly { name: { value: string } }[] } | null | undefined) =>
  Boolean(node?.directives?.some((d) => d.name.value === 'inaccessible'));

export function isFederationInternal(type: GraphQLNamedType): boolean {
  return type.name.startsWith('join__') || type.name.startsWith('link__');
}

export interface CollectedField {
  responseKey: string;
  fieldName: string;
  /** Undefined for __typename. */
  definition: GraphQLField<unknown, unknown> | undefined;
  nodes: FieldNode[];
  /** Only selected under @include/@skip with a variable: it may be absent from the response. */
  conditional: boolean;
}

/**
 * The fields a selection set yields for one concrete runtime type, merged by response key, the way
 * graphql-js's CollectFields does (fragments apply when their type condition matches).
 */
export function collectFields(
  schema: GraphQLSchema,
  runtimeType: GraphQLObjectType,
  selectionSets: readonly SelectionSetNode[],
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): Map<string, CollectedField> {
  const fields = new Map<string, CollectedField>();
  const visit = (selectionSet: SelectionSetNode, conditional: boolean, seen: Set<string>) => {
    for (const selection of selectionSet.selections) {
      const inclusion = includedBy(selection.directives ?? []);
      if (inclusion === 'never') continue;
      const isConditional = conditional || inclusion === 'maybe';
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const existing = fields.get(key);
        if (existing) {
          existing.nodes.push(selection);
          existing.conditional &&= isConditional;
        } else {
          const name = selection.name.value;
          fields.set(key, {
            responseKey: key,
            fieldName: name,
            definition: name === '__typename' ? undefined : runtimeType.getFields()[name],
            nodes: [selection],
            conditional: isConditional,
          });
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (!selection.typeCondition || conditionMatches(schema, selection.typeCondition.name.value, runtimeType))
          visit(selection.selectionSet, isConditional, seen);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || seen.has(name)) continue;
        if (conditionMatches(schema, fragment.typeCondition.name.value, runtimeType)) visit(fragment.selectionSet, isConditional, new Set([...seen, name]));
      }
    }
  };
  for (const selectionSet of selectionSets) visit(selectionSet, false, new Set());
  return fields;
}

function conditionMatches(schema: GraphQLSchema, condition: string, runtimeType: GraphQLObjectType): boolean {
  if (condition === runtimeType.name) return true;
  const type = schema.getType(condition);
  return Boolean(type && isAbstractType(type) && schema.isSubType(type, runtimeType));
}

/** `@include(if: false)` / `@skip(if: true)` remove a selection; a variable condition makes it optional. */
function includedBy(
  directives: readonly { name: { value: string }; arguments?: readonly { name: { value: string }; value: { kind: string; value?: unknown } }[] }[],
): 'always' | 'never' | 'maybe' {
  let result: 'always' | 'never' | 'maybe' = 'always';
  for (const directive of directives) {
    const name = directive.name.value;
    if (name !== 'include' && name !== 'skip') continue;
    const condition = directive.arguments?.find((a) => a.name.value === 'if')?.value;
    if (!condition) continue;
    if (condition.kind === Kind.BOOLEAN) {
      if ((name === 'include') !== Boolean(condition.value)) return 'never';
    } else result = 'maybe';
  }
  return result;
}

/** The concrete object types a composite type can be at runtime, in a stable order. */
export function possibleObjectTypes(schema: GraphQLSchema, type: GraphQLCompositeType): GraphQLObjectType[] {
  if (isObjectType(type)) return [type];
  return [...schema.getPossibleTypes(type)].sort((a, b) => a.name.localeCompare(b.name));
}

export function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  return new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
}
