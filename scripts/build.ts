/**
 * `pnpm build`: compiles the runnable entry points to plain JavaScript with esbuild, so a process starts without
 * transpiling TypeScript on the fly (tsx stays for development and tests).
 *
 * Each entry becomes one ESM file holding our own code (the @ipay/* workspace packages); third-party packages stay
 * in node_modules and are imported by a path relative to the output, because pnpm gives each package only its own
 * dependencies (the gateway's output could not find the platform's). `import.meta.url` keeps pointing at the source
 * file, so files found next to the sources (schema/, migrations, the dashboard build) are found as before.
 */
import { readFile } from 'node:fs/promises';
import { dirname, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));

/** Source entry → compiled output (both relative to the repository root). */
export const BUILD_ENTRIES: Record<string, string> = {
  'gateway/src/index.ts': 'gateway/dist/index.js',
  // Imported by index.js at run time (not bundled into it), so a cluster primary does not load the gateway.
  'gateway/src/serve.ts': 'gateway/dist/serve.js',
  'scripts/start.ts': 'scripts/dist/start.js',
  'subgraphs/identity/src/index.ts': 'subgraphs/identity/dist/index.js',
  'subgraphs/commerce/src/index.ts': 'subgraphs/commerce/dist/index.js',
  'subgraphs/payments/src/index.ts': 'subgraphs/payments/dist/index.js',
  'subgraphs/logistics/src/index.ts': 'subgraphs/logistics/dist/index.js',
  'subgraphs/finance/src/index.ts': 'subgraphs/finance/dist/index.js',
};

const toSpecifier = (fromDir: string, file: string) => {
  const path = relative(fromDir, file).split(sep).join('/');
  return path.startsWith('.') ? path : `./${path}`;
};

function layoutPreserving(outDir: string): Plugin {
  return {
    name: 'ipay-layout',
    setup(builder) {
      // Bare imports of third-party packages: resolved as Node would from the importing file, then left external.
      builder.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.path.startsWith('@ipay/') || args.path.startsWith('node:') || args.pluginData === 'resolving') return undefined;
        const resolved = await builder.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'resolving' });
        if (resolved.errors.length > 0 || resolved.external || !resolved.path.includes(`${sep}node_modules${sep}`)) return undefined;
        return { path: toSpecifier(outDir, resolved.path), external: true };
      });
      builder.onLoad({ filter: /\.ts$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        if (!source.includes('import.meta.url')) return undefined;
        const url = `new URL(${JSON.stringify(toSpecifier(outDir, args.path))}, import.meta.url).href`;
        return { contents: source.replaceAll('import.meta.url', url), loader: 'ts', resolveDir: dirname(args.path) };
      });
    },
  };
}

/** Compiles the given entries (source → output, relative to the repository root); the benchmarks build their own too. */
export async function buildEntries(entries: Record<string, string>): Promise<void> {
  await Promise.all(
    Object.entries(entries).map(([entry, out]) =>
      build({
        entryPoints: [`${root}${entry}`],
        outfile: `${root}${out}`,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        sourcemap: 'linked',
        logLevel: 'warning',
        // Compiled processes start their children compiled too (scripts/start.ts).
        define: { 'process.env.IPAY_COMPILED': '"true"' },
        plugins: [layoutPreserving(dirname(`${root}${out}`))],
      }),
    ),
  );
}

export async function buildAll(): Promise<void> {
  const started = performance.now();
  await buildEntries(BUILD_ENTRIES);
  process.stdout.write(`built ${Object.keys(BUILD_ENTRIES).length} entries in ${Math.round(performance.now() - started)} ms\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await buildAll();
