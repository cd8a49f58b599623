/**
 * Everything commerce runs only in the sandbox. Live code reaches it through the one dynamic import in server.ts,
 * taken when sandbox seeding is on; the simulated shops under shops/ are for tests and local runs and are never
 * reachable from the live connectors.
 */
export { seed } from './seed.ts';
