/**
 * Identity's sandbox: seed data and the well-known test-mode credentials. Live code reaches it only through the
 * dynamic import in server.ts's seed hook, which the platform takes only when seeding (refused in production).
 */
export { SANDBOX_KEYS, SANDBOX_PASSWORD, SANDBOX_UPS_PARTNER_ID, SANDBOX_USERS, sandboxCredentials, seed, seedConsumerOrders } from './seed.ts';
export { sandboxApiKey } from './api-keys.ts';
