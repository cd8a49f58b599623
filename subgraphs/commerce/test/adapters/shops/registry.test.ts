import { describe, expect, it } from 'vitest';
import { OUR_STATUSES, PLATFORMS } from '../../../src/adapters/shops/connector.ts';
import { ConnectorCredentialsError } from '../../../src/adapters/shops/errors.ts';
import { CONNECTORS, getConnector, listConnectors } from '../../../src/adapters/shops/registry.ts';

describe('connector registry', () => {
  it('has one connector per platform code, shops and marketplaces', () => {
    expect(Object.keys(CONNECTORS).sort()).toEqual([...PLATFORMS].sort());
    expect(listConnectors().length).toBeGreaterThanOrEqual(17);
    expect(listConnectors('shop').map((c) => c.platform)).toEqual(
      expect.arrayContaining(['shopify', 'prestashop', 'woocommerce', 'odoo', 'shopware', 'magento', 'bigcommerce', 'lightspeed']),
    );
    expect(listConnectors('marketplace').map((c) => c.platform)).toEqual(
      expect.arrayContaining(['bolcom', 'lazada', 'tiktok', 'amazon', 'shopee', 'temu', 'aliexpress', 'vinted', 'allegro', 'etsy']),
    );
    expect(() => getConnector('ebay')).toThrow(/unknown platform "ebay"/);
  });

  it.each(Object.values(CONNECTORS).map((c) => [c.platform, c] as const))(
    '%s declares an action (or none) for every status and a credential schema',
    (_, connector) => {
      expect(Object.keys(connector.statusActions).sort()).toEqual([...OUR_STATUSES].sort());
      expect(Object.values(connector.statusActions).some((a) => a !== null)).toBe(true);
      const required = connector.credentialFields.filter((f) => f.required);
      expect(required.length).toBeGreaterThan(0);
      // Missing field → error naming it; unknown field → error naming it; wrong shape → error naming it.
      const missing = (() => {
        try {
          connector.validateCredentials({});
        } catch (e) {
          return e;
        }
      })();
      expect(missing).toBeInstanceOf(ConnectorCredentialsError);
      expect((missing as ConnectorCredentialsError).field).toBe(required[0]!.key);
      expect(() => connector.validateCredentials({ nope: 'x' })).toThrow(/credentials\.nope: is not a/);
      expect(() => connector.validateCredentials('token')).toThrow(ConnectorCredentialsError);
      const patterned = connector.credentialFields.find((f) => f.pattern);
      if (patterned) {
        const input = Object.fromEntries(connector.credentialFields.map((f) => [f.key, f.key === patterned.key ? '!!' : 'x']));
        expect(() => connector.validateCredentials(input)).toThrow(new RegExp(`credentials\\.${patterned.key}: is malformed`));
      }
    },
  );
});
