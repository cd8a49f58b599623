/**
 * Generates drizzle-kit migrations for every subgraph from its src/db/schema.ts.
 *   pnpm db:generate [name]   writes new migrations (optionally named)
 *   pnpm db:check             fails when a schema has changes with no committed migration
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SUBGRAPH_NAMES } from '@ipay/platform';

const root = fileURLToPath(new URL('../', import.meta.url));
const check = process.argv.includes('--check');
const name = process.argv.slice(2).find((arg) => !arg.startsWith('--'));
const drizzleKit = `${root}node_modules/.bin/drizzle-kit`;

// Every package with its own schema: the five subgraphs, the event bus log (platform) and the gateway.
const packages = [...SUBGRAPH_NAMES.map((name) => `subgraphs/${name}`), 'subgraphs/platform', 'gateway'];
const stale: string[] = [];
for (const subgraph of packages) {
  const cwd = `${root}${subgraph}`;
  const output = execFileSync(drizzleKit, ['generate', ...(name ? ['--name', name] : [])], { cwd, encoding: 'utf8' });
  const changed = !output.includes('No schema changes');
  console.log(`${subgraph}: ${changed ? 'new migration written' : 'up to date'}`);
  if (changed) stale.push(subgraph);
}
if (check && stale.length > 0) {
  console.error(`schema changes without a committed migration in: ${stale.join(', ')}. Run \`pnpm db:generate <name>\` and commit drizzle/.`);
  process.exit(1);
}
