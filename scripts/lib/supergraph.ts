import { fileURLToPath } from 'node:url';
import { composeServices } from '@apollo/composition';
import { DEFAULT_PORTS, SUBGRAPH_NAMES, subgraphSdl } from '@ipay/platform';
import { parse } from 'graphql';

const root = new URL('../../', import.meta.url);
export const SUPERGRAPH_PATH = fileURLToPath(new URL('schema/supergraph.graphql', root));

export type CompositionOutcome =
  { ok: true; supergraphSdl: string; hints: { code: string; message: string }[] } | { ok: false; errors: string[]; hints: { code: string; message: string }[] };

/** Composes from the SDL files; the URLs baked in are the defaults, which the gateway overrides from env. */
export function composeSupergraph(): CompositionOutcome {
  const result = composeServices(
    SUBGRAPH_NAMES.map((name) => ({
      name,
      url: `http://localhost:${DEFAULT_PORTS[name]}/graphql`,
      typeDefs: parse(subgraphSdl(fileURLToPath(new URL(`subgraphs/${name}/schema.graphql`, root)))),
    })),
  );
  const hints = (result.hints ?? []).map((h) => ({ code: h.definition.code, message: h.message }));
  if (result.errors) return { ok: false, errors: result.errors.map((e) => e.message), hints };
  return { ok: true, supergraphSdl: result.supergraphSdl, hints };
}
