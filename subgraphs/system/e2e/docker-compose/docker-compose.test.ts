import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_PORTS, SUBGRAPH_NAMES, portEnvVar, urlEnvVar } from '@ipay/platform';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
// Docker cannot run here, so the file is checked against the code's configuration instead.
const compose = parse(readFileSync(`${root}docker-compose.yml`, 'utf8'), { merge: true });

describe('docker-compose.yml matches the code configuration', () => {
  it('has PostgreSQL, the five subgraphs and the gateway', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['postgres', 'gateway', ...SUBGRAPH_NAMES]));
  });

  it.each(SUBGRAPH_NAMES)('runs %s from its index on its configured port against PostgreSQL', (name) => {
    const service = compose.services[name];
    const entry = service.command.at(-1);
    expect(entry).toBe(`subgraphs/${name}/src/index.ts`);
    expect(existsSync(`${root}${entry}`)).toBe(true);
    expect(service.environment[portEnvVar(name)]).toBe(String(DEFAULT_PORTS[name]));
    // Subgraphs are reachable only on the compose network: nothing but the gateway is published.
    expect(service.ports).toBeUndefined();
    expect(service.expose).toEqual([String(DEFAULT_PORTS[name])]);
    expect(service.environment.DATABASE_URL).toMatch(/^postgres:\/\/.+@postgres:5432\//);
    expect(service.environment.HOST).toBe('0.0.0.0');
    expect(service.depends_on.postgres.condition).toBe('service_healthy');
  });

  it('points the gateway at every subgraph service with the same internal secret', () => {
    const gateway = compose.services.gateway;
    expect(gateway.command.at(-1)).toBe('gateway/src/index.ts');
    expect(gateway.environment[portEnvVar('gateway')]).toBe(String(DEFAULT_PORTS.gateway));
    expect(gateway.ports).toContain(`${DEFAULT_PORTS.gateway}:${DEFAULT_PORTS.gateway}`);
    for (const name of SUBGRAPH_NAMES) {
      expect(gateway.environment[urlEnvVar(name)]).toBe(`http://${name}:${DEFAULT_PORTS[name]}/graphql`);
      expect(compose.services[name].environment.INTERNAL_TOKEN_SECRET).toBe(gateway.environment.INTERNAL_TOKEN_SECRET);
    }
    // A required variable, never a default written in this file.
    expect(gateway.environment.INTERNAL_TOKEN_SECRET).toMatch(/^\$\{INTERNAL_TOKEN_SECRET:\?/);
  });

  it('runs every service in production mode, with its secrets from the environment and no sandbox data', () => {
    const secrets: Record<string, string[]> = {
      identity: ['INTERNAL_TOKEN_SECRET', 'API_KEY_PEPPER', 'IDENTITY_JWT_PRIVATE_JWK', 'WEBHOOK_SECRET_ENCRYPTION_KEY'],
      commerce: ['INTERNAL_TOKEN_SECRET', 'INTEGRATION_ENCRYPTION_KEY'],
      payments: ['INTERNAL_TOKEN_SECRET', 'PAYMENT_RETURN_URL'],
      logistics: ['INTERNAL_TOKEN_SECRET', 'LOGISTICS_WEBHOOK_SECRETS', 'RELEASE_SIGNING_SECRET', 'RELEASE_ENCRYPTION_SECRET'],
      finance: ['INTERNAL_TOKEN_SECRET', 'AUDIT_CHAIN_SECRET'],
      gateway: ['INTERNAL_TOKEN_SECRET'],
    };
    for (const [name, required] of Object.entries(secrets)) {
      const environment = compose.services[name].environment;
      expect(environment.IPAY_ENV, name).toBe('production');
      expect(environment.SEED_SANDBOX, name).toBeUndefined();
      expect(environment.NODE_ENV, name).toBeUndefined();
      for (const variable of required) expect(environment[variable], `${name} ${variable}`).toMatch(new RegExp(`^\\$\\{${variable}:\\?`));
      expect(environment.DATABASE_URL, name).toMatch(/\$\{POSTGRES_PASSWORD:\?/);
    }
    expect(compose.services.postgres.ports).toBeUndefined();
  });
});
