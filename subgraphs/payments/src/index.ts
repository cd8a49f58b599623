import { runSubgraphProcess } from '@ipay/platform';
import { payments } from './server.ts';

await runSubgraphProcess(payments);
