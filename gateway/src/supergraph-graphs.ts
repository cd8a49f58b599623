import { Kind, parse, validate, type GraphQLSchema } from 'graphql';
import { SUBGRAPH_NAMES, subgraphUrl, type SubgraphName } from '@ipay/platform';

/** One subgraph of a composed supergraph, as its `join__Graph` enum names it. */
export interface SupergraphGraph {
  /** The subgraph's name at composition (`@join__graph(name:)`), e.g. `identity`. */
  name: string;
  /** The URL composed into the supergraph (`@join__graph(url:)`). */
  url: string;
}

/** The subgraphs a supergraph is composed of, in the order the supergraph lists them. */
export function supergraphGraphs(supergraphSdl: string): SupergraphGraph[] {
  const document = parse(supergraphSdl, { noLocation: true });
  const graphs: SupergraphGraph[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== 'join__Graph') continue;
    for (const value of definition.values ?? []) {
      const directive = value.directives?.find((d) => d.name.value === 'join__graph');
      const argument = (name: string) => {
        const node = directive?.arguments?.find((a) => a.name.value === name)?.value;
        return node?.kind === Kind.STRING ? node.value : undefined;
      };
      const url = argument('url');
      graphs.push({ name: argument('name') ?? value.name.value.toLowerCase(), url: url ?? '' });
    }
  }
  if (graphs.length === 0) throw new Error('the supergraph has no join__Graph enum: is it a composed Federation 2 supergraph?');
  return graphs;
}

/** `<NAME>_URL` for any subgraph name (upper case, other characters as `_`), like ours (IDENTITY_URL …). */
export const graphUrlEnvVar = (name: string) => `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`;

/**
 * Where each subgraph of the supergraph is: the caller's URL, else `<NAME>_URL`, else (our own subgraphs) localhost
 * on `<NAME>_PORT`, else the URL composed into the supergraph.
 */
export function resolveGraphUrls(
  graphs: readonly SupergraphGraph[],
  overrides: Record<string, string | undefined> = {},
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const ours = new Set<string>(SUBGRAPH_NAMES);
  return Object.fromEntries(
    graphs.map(({ name, url }) => {
      const resolved = overrides[name] || env[graphUrlEnvVar(name)] || (ours.has(name) ? subgraphUrl(name as SubgraphName, env) : url);
      if (!resolved) throw new Error(`no URL for subgraph ${name}: the supergraph names none; set ${graphUrlEnvVar(name)}`);
      return [name, resolved];
    }),
  );
}

/** Why the persisted operations do not run on this API schema (the first document that fails), or undefined when they do. */
export function manifestMismatch(apiSchema: GraphQLSchema, manifest: { operations: Record<string, { name: string; document: string }> }): string | undefined {
  for (const operation of Object.values(manifest.operations)) {
    const errors = validate(apiSchema, parse(operation.document));
    if (errors.length > 0) return `${operation.name}: ${errors[0]!.message}`;
  }
  return undefined;
}
