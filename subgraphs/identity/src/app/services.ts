import type { JWK } from 'jose';
import { isProduction, useDevelopmentSecret, type Database, type JobQueue, type Logger, type SubgraphOptions } from '@ipay/platform';
import { BUILT_IN_ROLES } from '@ipay/platform';
import { roles } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { BUILT_IN_ROLE_IDS } from '../domain/grants.ts';
import type { CrmAdapter } from '../domain/crm.ts';
import { SandboxCrmAdapter } from '../adapters/crm.ts';
import { runCrmSync } from './crm-sync.ts';
import { TokenService } from '../adapters/tokens.ts';
import { projectOrderForConsumers } from './consumer-projection.ts';
import { ConsumerMailer, consumerMailConfigFromEnv, type ConsumerMailConfig } from './consumer-mail.ts';
import { ensurePlatformDefaults } from './templates.ts';
import { startWebhooks, webhookConfigFromEnv, type WebhookConfig, type WebhookDispatcher } from './webhooks/index.ts';

export interface IdentityConfig extends WebhookConfig {
  /** ES256 private JWK that signs access tokens (IDENTITY_JWT_PRIVATE_JWK). */
  jwtPrivateJwk?: JWK;
  accessTokenTtlSeconds?: number;
  /** Server-side secret mixed into API key hashes (API_KEY_PEPPER). */
  apiKeyPepper?: string;
  /** How often the `crm-sync` job looks for due work (CRM_SYNC_INTERVAL_MS); 0 turns its schedule off (tests drive it). */
  crmSyncIntervalMs?: number;
  /** Outgoing consumer mail (src/consumer/mail.ts). */
  consumerMail?: ConsumerMailConfig;
}

export interface IdentityServices {
  tokens: TokenService;
  apiKeyPepper: string;
  crm: CrmAdapter;
  runCrmSync(): ReturnType<typeof runCrmSync>;
  /** Outbound webhooks: the fan-out consumer and the delivery worker (src/webhooks). */
  webhooks: WebhookDispatcher;
  /** Sends the consumer mail the order projection queues, in the consumer's locale. */
  consumerMail: ConsumerMailer;
  close(): Promise<void>;
}

const DEVELOPMENT_PEPPER = 'ipay-development-api-key-pepper-change-me';

export function identityConfigFromEnv(env = process.env): IdentityConfig {
  return {
    jwtPrivateJwk: env.IDENTITY_JWT_PRIVATE_JWK ? (JSON.parse(env.IDENTITY_JWT_PRIVATE_JWK) as JWK) : undefined,
    accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS ? Number(env.ACCESS_TOKEN_TTL_SECONDS) : undefined,
    apiKeyPepper: env.API_KEY_PEPPER,
    crmSyncIntervalMs: env.CRM_SYNC_INTERVAL_MS ? Number(env.CRM_SYNC_INTERVAL_MS) : undefined,
    consumerMail: consumerMailConfigFromEnv(env),
    ...webhookConfigFromEnv(env),
  };
}

export const apiKeyPepper = (config: IdentityConfig) => {
  if (config.apiKeyPepper) return config.apiKeyPepper;
  useDevelopmentSecret('API_KEY_PEPPER');
  return DEVELOPMENT_PEPPER;
};

export async function createServices(
  db: Database<typeof schema>,
  options: SubgraphOptions,
  logger: Logger,
  platform?: { jobs: JobQueue },
): Promise<IdentityServices> {
  const config: IdentityConfig = { ...identityConfigFromEnv(), ...(options.config as IdentityConfig | undefined) };
  await ensureBuiltInRoles(db);
  await ensurePlatformDefaults(db);
  const tokens = await TokenService.create({ privateJwk: config.jwtPrivateJwk, ttlSeconds: config.accessTokenTtlSeconds, production: isProduction() });
  const crm = new SandboxCrmAdapter(db);
  const sync = () => runCrmSync(db, crm, logger);
  const interval = config.crmSyncIntervalMs ?? 15_000;
  // Each sync keeps its row (attempts, backoff, FAILED: what Merchant.crmSync shows); the scan for due ones is a job.
  platform?.jobs.define({ name: 'crm-sync', schedule: { everyMs: interval }, handler: async () => void (await sync()) });
  const webhooks = await startWebhooks(db, options.bus, config, logger, platform?.jobs);
  const env = identityConfigFromEnv();
  const consumerMail = new ConsumerMailer(db, { ...env.consumerMail, ...config.consumerMail }, logger.child({ component: 'consumer-mail' }));
  consumerMail.schedule(platform?.jobs);
  const consumerOrders = options.bus
    ? await options.bus.consume('identity-consumer-orders', (event) => projectOrderForConsumers(db, event, logger))
    : undefined;
  return {
    tokens,
    apiKeyPepper: apiKeyPepper(config),
    crm,
    runCrmSync: sync,
    webhooks,
    consumerMail,
    close: async () => {
      await webhooks.close();
      await consumerOrders?.close();
      await consumerMail.close();
    },
  };
}

/** Built-in roles exist in every deployment and follow the code: their permissions are rewritten on start. */
async function ensureBuiltInRoles(db: Database<typeof schema>) {
  for (const role of BUILT_IN_ROLES) {
    const values = { id: BUILT_IN_ROLE_IDS[role.key]!, key: role.key, name: role.name, permissions: [...role.permissions], builtIn: true };
    await db
      .insert(roles)
      .values(values)
      .onConflictDoUpdate({ target: roles.id, set: { name: values.name, permissions: values.permissions } });
  }
}
