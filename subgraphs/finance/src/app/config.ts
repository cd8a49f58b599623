import { DEFAULT_MAIL_FROM, isProduction } from '@ipay/platform';
import { DEFAULT_CONTROL_PARAMETERS } from '../domain/controls.ts';
import type { ControlsConfig } from './controls.ts';

/** Finance back-office settings (env vars; tests pass `config` to the subgraph instead). */
export interface ReconciliationConfig {
  /** SMTP server for transactional mail (SMTP_URL); unset outside production: the sandbox capture server. */
  smtpUrl?: string;
  mailFrom: string;
  controls: ControlsConfig;
}

const num = (value: string | undefined, fallback: number) => (value !== undefined && value !== '' && Number.isFinite(Number(value)) ? Number(value) : fallback);

export function reconciliationConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ReconciliationConfig {
  const digestTo = (env.CONTROLS_DIGEST_TO ?? (isProduction(env) ? '' : 'finance-controls@ipay.localhost'))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    smtpUrl: env.SMTP_URL || undefined,
    mailFrom: env.MAIL_FROM || DEFAULT_MAIL_FROM,
    controls: {
      tickMs: num(env.CONTROLS_TICK_MS, 60_000),
      hourUtc: num(env.CONTROLS_HOUR_UTC, 6),
      settlementDays: num(env.CONTROLS_SETTLEMENT_DAYS, DEFAULT_CONTROL_PARAMETERS.settlementDays),
      reconciliationDays: num(env.CONTROLS_RECONCILIATION_DAYS, DEFAULT_CONTROL_PARAMETERS.reconciliationDays),
      attestationMaxAgeHours: num(env.CONTROLS_ATTESTATION_MAX_AGE_HOURS, DEFAULT_CONTROL_PARAMETERS.attestationMaxAgeHours),
      digestTo,
    },
  };
}

/** Env, overridden by `config.reconciliation` given to the subgraph (tests). */
export function resolveReconciliationConfig(overrides?: { smtpUrl?: string; mailFrom?: string; controls?: Partial<ControlsConfig> }): ReconciliationConfig {
  const env = reconciliationConfigFromEnv();
  return { ...env, ...overrides, controls: { ...env.controls, ...overrides?.controls } };
}
