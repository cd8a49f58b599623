import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MappedOrder, PlatformCode } from '../../../src/adapters/shops/connector.ts';
import { ConnectorPayloadError } from '../../../src/adapters/shops/errors.ts';
import { getConnector } from '../../../src/adapters/shops/registry.ts';

const fixture = (platform: string): any => JSON.parse(readFileSync(new URL(`../../fixtures/integrations/${platform}.order.json`, import.meta.url), 'utf8'));

/**
 * The nine connectors that had no fixture: each fixture is the platform's real payload shape (as the connector's
 * load step assembles it), and every expected amount is worked out by hand in minor units.
 */
const expected: Record<string, { want: MappedOrder; quantity: (payload: any) => void; quantityPath: RegExp }> = {
  prestashop: {
    want: {
      platform: 'prestashop',
      externalId: '412',
      merchantReference: 'XKBKNABJK',
      platformStatus: 'state:3',
      currency: 'EUR',
      totalAmount: 6490, // 2×14.28 + 34.34 (34.339999 rounded) + 7.00 shipping − 5.00 discount, tax included
      amounts: { items: 6290, shipping: 700, discount: 500, tax: 1082, fees: 0, taxIncluded: true, difference: 0 },
      customer: { name: 'Claire Lefèvre', email: 'claire.lefevre@example.fr', phone: '+33612345678' },
      shippingAddress: { name: 'Claire Lefèvre', line1: '12 rue des Martyrs', line2: 'Escalier B', city: 'Paris', postalCode: '75009', country: 'FR' },
      lines: [
        { sku: 'demo_12', name: 'Mug The best is yet to come', quantity: 2, unitAmount: 1428 },
        { sku: 'product:5:19', name: 'Today is a good day Framed poster - Dimension : 40x60cm', quantity: 1, unitAmount: 3434 },
      ],
      placedAt: '2025-03-04T09:15:00.000Z', // 10:15 in Paris (UTC+1)
      updatedAt: '2025-03-04T10:02:41.000Z',
      paymentMethodHint: { kind: 'cash_on_delivery', label: 'ps_cashondelivery' },
    },
    quantity: (p) => (p.order.associations.order_rows[0].product_quantity = '1.5'),
    quantityPath: /order_rows\[0\]\.product_quantity/,
  },
  bigcommerce: {
    want: {
      platform: 'bigcommerce',
      externalId: '118',
      merchantReference: '118',
      platformStatus: 'Awaiting Fulfillment',
      currency: 'USD',
      totalAmount: 6650, // 2×25.00 + 3×4.00 + 9.50 shipping − 5.00 coupon
      amounts: { items: 6200, shipping: 950, discount: 500, tax: 420, fees: 0, taxIncluded: true, difference: 0 },
      customer: { name: 'Jordan Lee', email: 'jordan.lee@example.com', phone: '5125550123' },
      shippingAddress: { name: 'Jordan Lee', line1: '1100 S Lamar Blvd', city: 'Austin', postalCode: '78704', region: 'Texas', country: 'US' },
      lines: [
        { sku: 'TEE-BLU-L', name: 'Organic Cotton Tee - Blue / L', quantity: 2, unitAmount: 2500 },
        { sku: 'product:80', name: 'Sticker pack', quantity: 3, unitAmount: 400 },
      ],
      placedAt: '2025-03-04T09:15:00.000Z',
      updatedAt: '2025-03-04T10:02:41.000Z',
      paymentMethodHint: { kind: 'cash_on_delivery', label: 'Cash on Delivery' },
    },
    quantity: (p) => (p.products[0].quantity = 1.5),
    quantityPath: /products\[0\]\.quantity/,
  },
  odoo: {
    want: {
      platform: 'odoo',
      externalId: '57',
      merchantReference: 'S00057',
      platformStatus: 'sale',
      currency: 'EUR',
      totalAmount: 9680, // lines 80.00 (2×30.00 −10% + 20.00), delivery 6.00, tax 16.80 on top
      amounts: { items: 8000, shipping: 600, discount: 600, tax: 1680, fees: 0, taxIncluded: false, difference: 0 },
      customer: { name: 'Lotte Mertens', email: 'lotte.mertens@example.be', phone: '+32 470 12 34 56' },
      shippingAddress: { name: 'Lotte Mertens', line1: 'Meir 24', line2: 'Bus 3', city: 'Antwerpen', postalCode: '2000', country: 'BE' },
      lines: [
        { sku: 'DESK-LAMP', name: '[DESK-LAMP] Desk lamp', quantity: 2, unitAmount: 3000 },
        { sku: 'product:32', name: 'Cable tidy', quantity: 1, unitAmount: 2000 },
      ],
      placedAt: '2025-03-04T09:15:00.000Z',
      updatedAt: '2025-03-04T10:02:41.000Z',
    },
    quantity: (p) => (p.lines[1].product_uom_qty = 1.5),
    quantityPath: /lines\[1\]\.product_uom_qty/,
  },
  shopware: {
    want: {
      platform: 'shopware',
      externalId: '0190a8c0a4f87c2d9d8e6f1b2a3c4d5e',
      merchantReference: '10042',
      platformStatus: 'open',
      currency: 'EUR',
      totalAmount: 9298, // 79.99 + 2×6.50 + 4.99 shipping − 5.00 promotion, gross prices
      amounts: { items: 9299, shipping: 499, discount: 500, tax: 1485, fees: 0, taxIncluded: true, difference: 0 },
      customer: { name: 'Max Mustermann', email: 'max.mustermann@example.de', phone: '+49 30 1234567' },
      shippingAddress: { name: 'Max Mustermann', line1: 'Friedrichstraße 43', line2: 'Hinterhaus', city: 'Berlin', postalCode: '10117', country: 'DE' },
      lines: [
        { sku: 'SW10001', name: 'Trekking backpack 40 L', quantity: 1, unitAmount: 7999 },
        { sku: 'SW10007', name: 'Water bottle', quantity: 2, unitAmount: 650 },
      ],
      placedAt: '2025-03-04T09:15:00.000Z',
      updatedAt: '2025-03-04T10:02:41.120Z',
      paymentMethodHint: { kind: 'cash_on_delivery', label: 'payment_cashpayment' },
    },
    quantity: (p) => (p.lineItems[1].quantity = 1.5),
    quantityPath: /lineItems\[1\]\.quantity/,
  },
  lightspeed: {
    want: {
      platform: 'lightspeed',
      externalId: '30512345',
      merchantReference: 'ORD00042',
      platformStatus: 'processing_awaiting_shipment',
      currency: 'EUR',
      totalAmount: 5135, // 2×19.95 + 5.50 + 5.95 shipping, prices incl. VAT
      amounts: { items: 4540, shipping: 595, discount: 0, tax: 891, fees: 0, taxIncluded: true, difference: 0 },
      customer: { name: 'Femke Smit', email: 'femke.smit@example.nl', phone: '+31201234567' },
      shippingAddress: { name: 'Femke Smit', line1: 'Oudegracht 158 bis', city: 'Utrecht', postalCode: '3511 AZ', region: 'Utrecht', country: 'NL' },
      lines: [
        { sku: 'TOTE-NAT', name: 'Canvas tote – Naturel', quantity: 2, unitAmount: 1995 },
        { sku: 'KEY-01', name: 'Keychain', quantity: 1, unitAmount: 550 },
      ],
      placedAt: '2025-03-04T09:15:00.000Z',
      updatedAt: '2025-03-04T10:02:41.000Z',
      paymentMethodHint: { kind: 'cash_on_delivery', label: 'cod' },
    },
    quantity: (p) => (p.products[0].quantityOrdered = 1.5),
    quantityPath: /products\[0\]\.quantityOrdered/,
  },
  bolcom: {
    want: {
      platform: 'bolcom',
      externalId: '1043946570',
      merchantReference: '1043946570',
      platformStatus: 'OPEN',
      currency: 'EUR',
      totalAmount: 5048, // 2×12.99 + 24.50; the cancelled vase is dropped
      amounts: { items: 5048, shipping: 0, discount: 0, tax: 0, fees: 0, taxIncluded: true, difference: 0 },
      customer: { name: 'Anouk de Boer', email: '2a9d1c8e7f@verkopen.bol.com', phone: '0612345678' },
      shippingAddress: {
        name: 'Anouk de Boer',
        line1: 'Laan van Meerdervoort 88 A',
        line2: '2e verdieping',
        city: 'Den Haag',
        postalCode: '2517 AN',
        country: 'NL',
      },
      lines: [
        { sku: 'MUG-BOL-1', name: 'Stoneware mok 350 ml', quantity: 2, unitAmount: 1299 },
        { sku: '8712345000028', name: 'Theedoek linnen', quantity: 1, unitAmount: 2450 },
      ],
      placedAt: '2025-03-04T09:15:00.000Z',
      updatedAt: '2025-03-04T10:02:41.000Z', // the latest change of any item
      paymentMethodHint: { kind: 'prepaid', label: 'bol.com' },
    },
    quantity: (p) => (p.orderItems[0].quantity = 1.5),
    quantityPath: /orderItems\[0\]\.quantity/,
  },
  shopee: {
    want: {
      platform: 'shopee',
      externalId: '250304K7QW3NTB',
      merchantReference: '250304K7QW3NTB',
      platformStatus: 'READY_TO_SHIP',
      currency: 'SGD',
      totalAmount: 3690, // 2×12.00 (discounted) + 10.00 + 2.90 estimated shipping
      amounts: { items: 3400, shipping: 290, discount: 0, tax: 0, fees: 0, taxIncluded: true, difference: 0 },
      customer: { name: 'Tan Wei Ming', email: null, phone: '6591234567' },
      shippingAddress: {
        name: 'Tan Wei Ming',
        line1: 'Blk 123 Lorong 1 Toa Payoh #05-67',
        line2: 'Toa Payoh',
        city: 'Singapore',
        postalCode: '310123',
        country: 'SG',
      },
      lines: [
        { sku: 'LB-BAMBOO-G1', name: 'Bamboo Lunch Box – Green,1 tier', quantity: 2, unitAmount: 1200 },
        { sku: 'CHOP-SET', name: 'Chopstick Set', quantity: 1, unitAmount: 1000 },
      ],
      placedAt: '2025-03-04T09:15:00.000Z',
      updatedAt: '2025-03-04T10:02:41.000Z',
      paymentMethodHint: { kind: 'cash_on_delivery', label: 'Cash on Delivery' },
    },
    quantity: (p) => (p.item_list[0].model_quantity_purchased = 1.5),
    quantityPath: /item_list\[0\]\.model_quantity_purchased/,
  },
  aliexpress: {
    want: {
      platform: 'aliexpress',
      externalId: '8151234567890123',
      merchantReference: '8151234567890123',
      platformStatus: 'WAIT_SELLER_SEND_GOODS',
      currency: 'USD',
      totalAmount: 4580, // 2×14.95 + 14.00 + 3.90 shipping − 2.00 discount
      amounts: { items: 4390, shipping: 390, discount: 200, tax: 0, fees: 0, taxIncluded: true, difference: 0 },
      customer: { name: 'Sam Rivera', email: null, phone: '5125550199' },
      shippingAddress: { name: 'Sam Rivera', line1: '500 Congress Ave', line2: 'Apt 4B', city: 'Austin', postalCode: '78701', region: 'Texas', country: 'US' },
      lines: [
        { sku: 'PM-MAG-BLK', name: 'Magnetic phone mount', quantity: 2, unitAmount: 1495 },
        { sku: 'product:1005006123456790', name: 'USB-C cable 1m', quantity: 1, unitAmount: 1400 },
      ],
      placedAt: '2025-03-04T09:15:00.000Z', // 01:15 Pacific (UTC−8)
      updatedAt: '2025-03-04T10:02:41.000Z',
      paymentMethodHint: { kind: 'prepaid', label: 'CREDIT_CARD' },
    },
    quantity: (p) => (p.detail.child_order_list.global_aeop_tp_child_order_dto[0].product_count = 1.5),
    quantityPath: /global_aeop_tp_child_order_dto\[0\]\.product_count/,
  },
  vinted: {
    want: {
      platform: 'vinted',
      externalId: '98765432',
      merchantReference: '98765432',
      platformStatus: 'paid',
      currency: 'EUR',
      totalAmount: 2710, // 22.00 + 3.49 shipping + 1.61 buyer protection
      amounts: { items: 2200, shipping: 349, discount: 0, tax: 0, fees: 161, taxIncluded: true, difference: 0 },
      customer: { name: 'Lena Vogel', email: null },
      shippingAddress: { name: 'Lena Vogel', line1: 'Schönhauser Allee 80', city: 'Berlin', postalCode: '10439', country: 'DE' },
      lines: [{ sku: 'CARD-M-GRY', name: 'Wool cardigan, size M', quantity: 1, unitAmount: 2200 }],
      placedAt: '2025-03-04T09:15:00.000Z',
      updatedAt: '2025-03-04T10:02:41.000Z',
      paymentMethodHint: { kind: 'prepaid', label: 'vinted_wallet' },
    },
    quantity: (p) => (p.items[0].quantity = 1.5),
    quantityPath: /items\[0\]\.quantity/,
  },
};

describe.each(Object.entries(expected))('mapOrder(%s fixture)', (platform, { want, quantity, quantityPath }) => {
  it('maps to exactly the hand-checked MappedOrder', () => {
    const mapped = getConnector(platform as PlatformCode).mapOrder(fixture(platform));
    expect(mapped).toEqual(want);
    expect(mapped.amounts.items).toBe(mapped.lines.reduce((s, l) => s + l.unitAmount * l.quantity, 0));
  });

  it('names the field when a quantity is not an integer', () => {
    const broken = fixture(platform);
    quantity(broken);
    let error: unknown;
    try {
      getConnector(platform as PlatformCode).mapOrder(broken);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConnectorPayloadError);
    expect((error as ConnectorPayloadError).path).toMatch(quantityPath);
  });
});
