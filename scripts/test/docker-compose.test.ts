import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_PORTS, SUBGRAPH_NAMES, portEnvVar, urlEnvVar } from '@ipay/platform';

const root = fileURLToPath(new URL('../../', import.meta.url));
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
    expect(service.ports).toContain(`${DEFAULT_PORTS[name]}:${DEFAULT_PORTS[name]}`);
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
    expect(gateway.environment.INTERNAL_TOKEN_SECRET.length).toBeGreaterThanOrEqual(32);
  });
});
