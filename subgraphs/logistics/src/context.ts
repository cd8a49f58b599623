import type { SubgraphContext } from '@ipay/platform';
import type * as schema from './db/schema.ts';
import type { Loaders } from './db/loaders.ts';
import type { LogisticsServices } from './app/services.ts';

export type Context = SubgraphContext<typeof schema, Loaders, LogisticsServices>;
