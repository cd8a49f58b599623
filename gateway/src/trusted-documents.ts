import { GraphQLError, print } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { InMemoryLRUCache, type KeyValueCache } from '@apollo/utils.keyvaluecache';
import { operationId, type PersistedOperationsManifest } from './rest/index.ts';

/**
 * The persisted-operation manifest (what the REST facade runs) is also the gateway's list of trusted documents.
 * Clients may send a manifest document by its id in the persisted-query extension
 * (`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"<id>"}}}`); with `persistedOnly`, any other
 * document is refused, so production can run persisted-only.
 */
export function trustedDocumentsCache(manifest: PersistedOperationsManifest): KeyValueCache<string> {
  const cache = new InMemoryLRUCache<string>();
  for (const [id, operation] of Object.entries(manifest.operations)) void cache.set(`apq:${id}`, operation.document);
  return cache;
}

export function persistedOnlyPlugin(manifest: PersistedOperationsManifest): ApolloServerPlugin {
  const trusted = new Set(Object.keys(manifest.operations));
  return {
    async requestDidStart() {
      return {
        // Thrown here, the error answers the request (with its HTTP status) instead of being an internal failure.
        async didResolveOperation({ document }) {
          // Formatting does not matter: a document is trusted when its normalised form is in the manifest.
          if (!trusted.has(operationId(print(document)))) {
            throw new GraphQLError('only persisted operations are accepted here; send a document from the manifest or its id', {
              extensions: { code: 'PERSISTED_QUERY_NOT_ALLOWED', http: { status: 403 } },
            });
          }
        },
      };
    },
  };
}
