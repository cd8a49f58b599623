import { runSubgraphProcess } from '@ipay/platform';
import { commerce } from './server.ts';

await runSubgraphProcess(commerce);
