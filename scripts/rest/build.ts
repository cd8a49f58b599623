/**
 * Builds the REST facade's artifacts from schema/operations/**.graphql and schema/supergraph.graphql:
 *   schema/persisted-operations.json   the persisted operations and their REST mappings (what the gateway runs)
 *   schema/openapi.json                the OpenAPI 3.1 document
 *   gateway/test/rest/generated/openapi.ts   openapi-typescript types of that document (for typed clients)
 *
 *   pnpm rest:build          writes them
 *   pnpm rest:check          fails when a committed file differs from a fresh build
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { CLIENT_TYPES_FILE, MANIFEST_FILE, OPENAPI_FILE, ROOT, buildRestArtifacts, generateClientTypes, serialize } from './lib/artifacts.ts';
import { OperationError } from './lib/operations.ts';

const check = process.argv.includes('--check');
try {
  const artifacts = buildRestArtifacts();
  for (const warning of artifacts.warnings) console.warn(`warning: ${warning}`);
  const files: [string, string][] = [
    [MANIFEST_FILE, serialize(artifacts.manifest)],
    [OPENAPI_FILE, serialize(artifacts.openapi)],
    [CLIENT_TYPES_FILE, await generateClientTypes(artifacts.openapi)],
  ];
  const stale = files.filter(([file, content]) => read(file) !== content).map(([file]) => relative(ROOT, file));
  if (check) {
    if (stale.length > 0) {
      console.error(`stale REST artifacts: ${stale.join(', ')}. Run \`pnpm rest:build\` and commit them.`);
      process.exit(1);
    }
    console.log(`REST artifacts are up to date (${artifacts.operations.length} operations).`);
  } else {
    for (const [file, content] of files) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
    console.log(
      `${artifacts.operations.length} operations → ${files.map(([file]) => relative(ROOT, file)).join(', ')}${stale.length ? ` (changed: ${stale.join(', ')})` : ' (unchanged)'}`,
    );
  }
} catch (error) {
  if (!(error instanceof OperationError)) throw error;
  console.error(error.message);
  process.exit(1);
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
