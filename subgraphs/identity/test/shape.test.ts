import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { subgraphShapeViolations } from '@ipay/platform/shape';

describe('identity subgraph shape (issue 12)', () => {
  it('has only the shared layers, pure domain/, and no static import of sandbox/ from live code', () => {
    expect(subgraphShapeViolations(fileURLToPath(new URL('..', import.meta.url)))).toEqual([]);
  });
});
