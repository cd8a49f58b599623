import { fileURLToPath } from 'node:url';
import { subgraphShapeViolations } from '@ipay/platform/shape';
import { describe, expect, it } from 'vitest';

describe('subgraph shape (issue 12)', () => {
  it('follows the one subgraph layout: known src/ layers, pure domain/, sandbox/ reached only dynamically', () => {
    expect(subgraphShapeViolations(fileURLToPath(new URL('..', import.meta.url)))).toEqual([]);
  });
});
