/**
 * Composes the five subgraph SDLs into schema/supergraph.graphql.
 *   pnpm compose          writes the file (prints composition hints)
 *   pnpm compose --check  fails when the committed file differs from a fresh composition
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { composeSupergraph, SUPERGRAPH_PATH } from './lib/supergraph.ts';

const check = process.argv.includes('--check');
const result = composeSupergraph();
// AuditTrail groups one field per subgraph (each subgraph's own chain): that it differs between subgraphs is by design.
const intended = (hint: { code: string; message: string }) => hint.code === 'INCONSISTENT_OBJECT_VALUE_TYPE_FIELD' && hint.message.includes('"AuditTrail.');
for (const hint of result.hints.filter((h) => !intended(h))) console.warn(`hint ${hint.code}: ${hint.message}`);
if (!result.ok) {
  for (const error of result.errors) console.error(`composition error: ${error}`);
  process.exit(1);
}
if (check) {
  let committed = '';
  try {
    committed = readFileSync(SUPERGRAPH_PATH, 'utf8');
  } catch {
    // a missing file is stale too
  }
  if (committed !== result.supergraphSdl) {
    console.error('schema/supergraph.graphql is stale: run `pnpm compose` and commit it.');
    process.exit(1);
  }
  console.log('schema/supergraph.graphql is up to date.');
} else {
  writeFileSync(SUPERGRAPH_PATH, result.supergraphSdl);
  console.log(`wrote ${SUPERGRAPH_PATH}`);
}
