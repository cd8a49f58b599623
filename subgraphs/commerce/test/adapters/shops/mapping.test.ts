import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MappedOrder, PlatformCode } from '../../../src/adapters/shops/connector.ts';
import { ConnectorPayloadError } from '../../../src/adapters/shops/errors.ts';
import { getConnector } from '../../../src/adapters/shops/registry.ts';

const fixture = (platform: string): unknown => JSON.parse(readFileSync(new URL(`../../fixtures/integrations/${platform}.order.json`, import.meta.url), 'utf8'));

/** Hand-checked expectations: every amount is worked out in minor units from the fixture's decimal strings. */
const expected: Record<string, Partial<MappedOrder> & { platform: PlatformCode }> = {
  shopify: {
    platform: 'shopify',
    externalId: '5801234567890',
    merchantReference: '#1042',
    currency: 'EUR',
    totalAmount: 4235, // 2×19.95 + 2.50 + 4.95 shipping − 5.00 discount, tax included
    amounts: { items: 4240, shipping: 495, discount: 500, tax: 735, fees: 0, taxIncluded: true, difference: 0 },
    lines: [
      { sku: 'TEE-BLK-M', name: 'T-shirt - Black / M', quantity: 2, unitAmount: 1995 },
      { sku: 'line:2', name: 'Gift wrap', quantity: 1, unitAmount: 250 },
    ],
    placedAt: '2025-03-04T09:15:00.000Z',
    updatedAt: '2025-03-04T10:02:41.000Z',
    paymentMethodHint: { kind: 'cash_on_delivery', label: 'Cash on Delivery (COD)' },
  },
  woocommerce: {
    platform: 'woocommerce',
    externalId: '727',
    totalAmount: 8740, // 74.79 − 7.48 + 5.00 + 15.09 tax
    amounts: { items: 7479, shipping: 500, discount: 748, tax: 1509, fees: 0, taxIncluded: false, difference: 0 },
    lines: [{ sku: 'HOOD-01', name: 'Hoodie', quantity: 3, unitAmount: 2493 }],
    shippingAddress: { name: 'Jules Peeters', line1: 'Rue Neuve 1', line2: 'Boîte 3', city: 'Bruxelles', postalCode: '1000', country: 'BE' },
    placedAt: '2025-03-04T09:15:00.000Z',
  },
  magento: {
    platform: 'magento',
    merchantReference: '000000311',
    totalAmount: 11350, // 80 + 2×5 + 10 shipping − 5 discount + 18.50 tax
    amounts: { items: 9000, shipping: 1000, discount: 500, tax: 1850, fees: 0, taxIncluded: false, difference: 0 },
    lines: [
      { sku: 'JKT-RED-L', name: 'Jacket', quantity: 1, unitAmount: 8000 },
      { sku: 'SOCK-2P', name: 'Socks (2 pairs)', quantity: 2, unitAmount: 500 },
    ],
    shippingAddress: {
      name: 'Camille Durand',
      line1: 'Rue de Rivoli 10',
      line2: 'Bât. B',
      city: 'Paris',
      postalCode: '75001',
      region: 'Île-de-France',
      country: 'FR',
    },
  },
  amazon: {
    platform: 'amazon',
    externalId: '302-1234567-7654321',
    totalAmount: 5997,
    amounts: { items: 5498, shipping: 499, discount: 0, tax: 878, fees: 0, taxIncluded: true, difference: 0 },
    lines: [
      { sku: 'MUG-01', name: 'Enamel mug', quantity: 3, unitAmount: 1499 }, // ItemPrice 44.97 is for all three
      { sku: 'COAST-4', name: 'Cork coasters (4)', quantity: 1, unitAmount: 1001 },
    ],
    paymentMethodHint: { kind: 'cash_on_delivery', label: 'COD, CashOnDelivery' },
  },
  etsy: {
    platform: 'etsy',
    currency: 'USD',
    totalAmount: 3650,
    amounts: { items: 2900, shipping: 500, discount: 0, tax: 250, fees: 0, taxIncluded: false, difference: 0 },
    lines: [{ sku: 'PRT-A4', name: 'Botanical print A4', quantity: 2, unitAmount: 1450 }],
    placedAt: '2025-04-01T09:33:20.000Z',
    paymentMethodHint: { kind: 'prepaid', label: 'cc' },
  },
  temu: {
    platform: 'temu',
    externalId: 'PO-211-01234567890123456',
    platformStatus: 'UN_SHIPPING',
    totalAmount: 2597, // already in minor units on Temu
    amounts: { items: 2398, shipping: 299, discount: 100, tax: 0, fees: 0, taxIncluded: true, difference: 0 },
    shippingAddress: { name: 'Sam Rivera', line1: '500 Congress Ave', line2: 'Suite 2', city: 'Austin', postalCode: '78701', region: 'Texas', country: 'US' },
  },
  tiktok: {
    platform: 'tiktok',
    currency: 'GBP',
    totalAmount: 2349,
    lines: [{ sku: 'CAP-1', name: 'Bucket hat', quantity: 2, unitAmount: 1100 }], // one row per unit on TikTok
    amounts: { items: 2200, shipping: 299, discount: 150, tax: 0, fees: 0, taxIncluded: true, difference: 0 },
    shippingAddress: { name: 'Olivia Brown', line1: '221B Baker Street', city: 'London', postalCode: 'NW1 6XE', country: 'GB' },
  },
  lazada: {
    platform: 'lazada',
    currency: 'SGD',
    totalAmount: 4379, // 45.80 + 2.99 − 5.00 voucher
    lines: [
      { sku: 'BAG-1', name: 'Tote bag', quantity: 2, unitAmount: 1990 },
      { sku: 'TAG-1', name: 'Luggage tag', quantity: 1, unitAmount: 600 }, // the canceled unit is dropped
    ],
    customer: { name: 'Wei Tan', email: null, phone: '6591234567' },
    placedAt: '2025-01-15T06:03:22.000Z',
  },
  allegro: {
    platform: 'allegro',
    currency: 'PLN',
    totalAmount: 10297,
    amounts: { items: 9998, shipping: 1299, discount: 1000, tax: 0, fees: 0, taxIncluded: true, difference: 0 },
    lines: [{ sku: 'KUB-1', name: 'Kubek ceramiczny', quantity: 2, unitAmount: 4999 }],
    paymentMethodHint: { kind: 'cash_on_delivery', label: 'CASH_ON_DELIVERY' },
  },
};

describe.each(Object.entries(expected))('mapOrder(%s fixture)', (platform, want) => {
  it('maps to the hand-checked MappedOrder', () => {
    const mapped = getConnector(platform).mapOrder(fixture(platform));
    expect(mapped).toMatchObject(want);
    // Invariants every mapped order satisfies.
    expect(mapped.lines.every((l) => Number.isSafeInteger(l.quantity) && l.quantity > 0 && Number.isSafeInteger(l.unitAmount))).toBe(true);
    expect(mapped.amounts.items).toBe(mapped.lines.reduce((s, l) => s + l.unitAmount * l.quantity, 0));
    expect(mapped.shippingAddress.country).toMatch(/^[A-Z]{2}$/);
    expect(Number.isNaN(Date.parse(mapped.updatedAt))).toBe(false);
  });

  it('names the field when the payload is broken', () => {
    const broken = JSON.parse(JSON.stringify(fixture(platform)), (key, value) =>
      ['quantity', 'QuantityOrdered', 'product_quantity', 'qty_ordered'].includes(key) ? 1.5 : value,
    );
    const lineless = JSON.parse(JSON.stringify(fixture(platform)));
    let error: unknown;
    try {
      getConnector(platform).mapOrder(broken);
    } catch (e) {
      error = e;
    }
    if (platform === 'lazada' || platform === 'tiktok') {
      // One row per unit: no quantity field to break; an unknown currency is broken instead.
      expect(() => getConnector(platform).mapOrder(JSON.parse(JSON.stringify(lineless).replaceAll('"SGD"', '"XYZ"').replaceAll('"GBP"', '"XYZ"')))).toThrow(
        ConnectorPayloadError,
      );
      return;
    }
    expect(error).toBeInstanceOf(ConnectorPayloadError);
    expect((error as ConnectorPayloadError).path).toMatch(/quantity|QuantityOrdered|qty_ordered/);
  });
});

it('refuses a currency amount with more precision than the currency has', () => {
  const order = fixture('shopify') as { total_price: string };
  order.total_price = '42.355';
  expect(() => getConnector('shopify').mapOrder(order)).toThrow(/\$\.total_price: .*more decimals/);
});
