import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The one layout every subgraph has (issue 12): a newcomer who knows one subgraph knows them all.
 * `subgraphShapeViolations` lists what breaks it; each subgraph's `test/shape.test.ts` asserts the list is empty.
 */
export const SUBGRAPH_SRC_ENTRIES = [
  'server.ts', // factory
  'index.ts', // listens
  'context.ts',
  'domain', // pure rules and state machines, no I/O
  'app', // use cases over the unit of work, projections, workers, the services composition
  'adapters', // PSPs, carriers, shop connectors, HTTP routes, mail, documents
  'resolvers', // thin
  'db', // drizzle schema and loaders
  'sandbox', // sandbox-only code: live code never imports it statically
  'generated', // codegen output
] as const;

/** Import specifiers that mean I/O, forbidden in `domain/`. */
const IO_SPECIFIERS = [
  /^drizzle-orm/,
  /^postgres$/,
  /^@electric-sql\//,
  /^node:(http|https|net|dgram|fs|fs\/promises|child_process|worker_threads)$/,
  /^(http|https|net|fs)$/,
  /^undici/,
  /^nodemailer/,
  /^nats/,
  /^ioredis/,
  /^pdfkit/,
  /^pdf-lib/,
  /^dataloader/,
];
/** Layers a domain module must not reach into. */
const NON_DOMAIN_LAYERS = ['app', 'adapters', 'resolvers', 'db', 'sandbox', 'generated'];

const STATIC_IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|js|mjs)$/.test(entry) ? [path] : [];
  });
}

function specifiers(source: string, pattern: RegExp): string[] {
  return [...source.matchAll(pattern)].map((m) => m[1]!);
}

/** The layer (top-level entry of src/) a file belongs to. */
const layerOf = (src: string, file: string) => relative(src, file).split(sep)[0]!;

/**
 * What breaks the shape in `subgraphDir`: unknown top-level entries of src/, I/O or outer layers imported from
 * domain/, and static imports of sandbox/ from outside it (a dynamic `import()` taken only when the sandbox is
 * enabled is the one way in).
 */
export function subgraphShapeViolations(subgraphDir: string): string[] {
  // Absolute, so imports resolved against a file's folder compare with it.
  const src = resolve(subgraphDir, 'src');
  const violations: string[] = [];
  for (const entry of readdirSync(src)) {
    if (!(SUBGRAPH_SRC_ENTRIES as readonly string[]).includes(entry)) violations.push(`src/${entry}: not one of ${SUBGRAPH_SRC_ENTRIES.join(', ')}`);
  }
  for (const file of sourceFiles(src)) {
    const layer = layerOf(src, file);
    if (layer === 'generated') continue;
    const source = readFileSync(file, 'utf8');
    const name = relative(subgraphDir, file);
    for (const specifier of specifiers(source, STATIC_IMPORT)) {
      const target = specifier.startsWith('.') ? resolve(dirname(file), specifier) : undefined;
      const targetLayer = target && target.startsWith(src + sep) ? layerOf(src, target) : undefined;
      if (layer === 'domain') {
        if (IO_SPECIFIERS.some((re) => re.test(specifier))) violations.push(`${name}: domain imports I/O (${specifier})`);
        if (targetLayer && NON_DOMAIN_LAYERS.includes(targetLayer)) violations.push(`${name}: domain imports ${targetLayer}/ (${specifier})`);
      }
      if (layer !== 'sandbox' && targetLayer === 'sandbox') violations.push(`${name}: live code imports sandbox/ statically (${specifier})`);
    }
    if (layer === 'domain') {
      for (const specifier of specifiers(source, DYNAMIC_IMPORT)) violations.push(`${name}: domain imports dynamically (${specifier})`);
    }
  }
  return [...new Set(violations)];
}
