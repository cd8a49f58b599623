import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { subgraphShapeViolations } from '../src/shape.ts';

/** A throwaway subgraph folder with the given files under src/. */
function subgraph(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'shape-'));
  for (const [path, body] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, 'src', path)), { recursive: true });
    writeFileSync(join(dir, 'src', path), body);
  }
  return dir;
}

describe('subgraph shape checker', () => {
  it('accepts the one layout', () => {
    const dir = subgraph({
      'server.ts': `import { seedIfSandbox } from './app/services.ts';\nexport const s = () => import('./sandbox/index.ts');`,
      'domain/rules.ts': `import { Money } from '@ipay/platform';\nimport { other } from './other.ts';`,
      'domain/other.ts': 'export const other = 1;',
      'app/services.ts': `import { eq } from 'drizzle-orm';\nimport { rules } from '../domain/rules.ts';`,
      'sandbox/index.ts': `import { rules } from '../domain/rules.ts';`,
    });
    expect(subgraphShapeViolations(dir)).toEqual([]);
  });

  it('names an unknown top-level entry, I/O in the domain, and a static import of sandbox code', () => {
    const dir = subgraph({
      'services.ts': 'export {};',
      'domain/rules.ts': `import { eq } from 'drizzle-orm';\nimport type { Db } from '../db/schema.ts';\nexport { x } from '../app/x.ts';`,
      'app/x.ts': `import { fixtures } from '../sandbox/fixtures.ts';`,
      'sandbox/fixtures.ts': 'export const fixtures = [];',
    });
    expect(subgraphShapeViolations(dir).sort()).toEqual([
      'src/app/x.ts: live code imports sandbox/ statically (../sandbox/fixtures.ts)',
      'src/domain/rules.ts: domain imports I/O (drizzle-orm)',
      'src/domain/rules.ts: domain imports app/ (../app/x.ts)',
      'src/domain/rules.ts: domain imports db/ (../db/schema.ts)',
      'src/services.ts: not one of server.ts, index.ts, context.ts, domain, app, adapters, resolvers, db, sandbox, generated',
    ]);
  });
});
