import { sealingKeyFromEnv } from '@ipay/platform';

/**
 * The 32-byte key that seals integration credentials at rest. INTEGRATION_ENCRYPTION_KEY is 32 bytes as base64 or
 * hex; development derives one from a fixed phrase (refused in production). Sealing itself is the platform `Sealer`.
 */
export const integrationKey = (value: string | undefined = process.env.INTEGRATION_ENCRYPTION_KEY): Buffer =>
  sealingKeyFromEnv('INTEGRATION_ENCRYPTION_KEY', value, 'ipay-development-integration-key-change-me');
