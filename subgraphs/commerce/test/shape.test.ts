import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { subgraphShapeViolations } from '@ipay/platform/shape';

describe('commerce subgraph shape (issue 12)', () => {
  it('has only the shared layers, a pure domain and no static way into the sandbox', () => {
    expect(subgraphShapeViolations(fileURLToPath(new URL('..', import.meta.url)))).toEqual([]);
  });
});
