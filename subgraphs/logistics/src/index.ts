import { runSubgraphProcess } from '@ipay/platform';
import { logistics } from './server.ts';

await runSubgraphProcess(logistics);
