import type { SubgraphContext } from '@ipay/platform';
import type * as schema from './db/schema.ts';
import type { Loaders } from './loaders.ts';
import type { CommerceServices } from './services/index.ts';

export type Context = SubgraphContext<typeof schema, Loaders, CommerceServices>;
