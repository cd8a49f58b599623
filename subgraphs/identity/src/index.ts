import { runSubgraphProcess } from '@ipay/platform';
import { identity } from './server.ts';

await runSubgraphProcess(identity);
