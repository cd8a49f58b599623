import { runSubgraphProcess } from '@ipay/platform';
import { finance } from './server.ts';

await runSubgraphProcess(finance);
