import { createHash } from 'node:crypto';

/**
 * The sandbox world every subgraph seeds its own slice of. Ids are derived deterministically, so the
 * order commerce seeds is the order payments, logistics and finance refer to, without sharing a table.
 */
export function sandboxId(prefix: string, key: string): string {
  return `${prefix}_${createHash('sha256').update(`ipay-sandbox:${prefix}:${key}`).digest('hex').slice(0, 32)}`;
}

/**
 * The statuses the sandbox seeds an order in, one of each. A plain list: commerce's domain owns the order-status type
 * (commerce/src/domain/order-status.ts), and commerce's tests check every status here is one of its own.
 */
export const SANDBOX_ORDER_STATUSES = [
  'CREATED',
  'AWAITING_PAYMENT',
  'PAID',
  'OUT_FOR_DELIVERY',
  'RELEASED',
  'DELIVERED',
  'RETURNED',
  'REFUNDED',
  'CANCELLED',
] as const;
export type SandboxOrderStatus = (typeof SANDBOX_ORDER_STATUSES)[number];

export interface SandboxMerchant {
  id: string;
  slug: string;
  name: string;
  country: string;
  currency: string;
}

export interface SandboxOrder {
  id: string;
  merchantId: string;
  reference: string;
  status: SandboxOrderStatus;
  amount: number;
  currency: string;
  customerName: string;
  customerEmail: string;
  /** Where the parcel goes (the customer, in the merchant's country): carriers need it to book a shipment. */
  shippingAddress: { name: string; line1: string; city: string; postalCode: string; country: string };
  createdAt: Date;
}

export const SANDBOX_MERCHANTS: readonly SandboxMerchant[] = [
  { slug: 'acme-shop', name: 'Acme Shop', country: 'NL', currency: 'EUR' },
  { slug: 'nordic-goods', name: 'Nordic Goods', country: 'SE', currency: 'SEK' },
  { slug: 'bella-moda', name: 'Bella Moda', country: 'IT', currency: 'EUR' },
].map((m) => ({ ...m, id: sandboxId('mer', m.slug) }));

const STREETS: Record<string, { line1: string; city: string; postalCode: string }> = {
  NL: { line1: 'Damrak 1', city: 'Amsterdam', postalCode: '1012 LG' },
  SE: { line1: 'Drottninggatan 1', city: 'Stockholm', postalCode: '111 51' },
  IT: { line1: 'Via del Corso 1', city: 'Roma', postalCode: '00186' },
};

const CUSTOMERS = ['Ana Silva', 'Jonas Berg', 'Chloé Martin', 'Piotr Nowak', 'Emma de Vries', 'Luca Rossi', 'Sofia Lind', 'Tom Jansen', 'Mia Keller'];

/**
 * Newest first, the order a newcomer meets the sandbox in (`orders` lists newest first): something in flight, paid,
 * delivered, … with the cancelled ones oldest. Merchants are interleaved, so the first page mixes all three.
 */
const NEWEST_FIRST: readonly SandboxOrderStatus[] = [
  'OUT_FOR_DELIVERY',
  'PAID',
  'DELIVERED',
  'RELEASED',
  'AWAITING_PAYMENT',
  'RETURNED',
  'CREATED',
  'REFUNDED',
  'CANCELLED',
];
const NEWEST_CREATED_AT = Date.UTC(2026, 10, 9, 18, 0, 0);

/** When the sandbox order of merchant `m` in `status` was created: 7 hours apart, all within November 2026. */
function sandboxCreatedAt(m: number, status: SandboxOrderStatus): Date {
  const position = (NEWEST_FIRST.indexOf(status) - m + NEWEST_FIRST.length) % NEWEST_FIRST.length;
  return new Date(NEWEST_CREATED_AT - (position * SANDBOX_MERCHANTS.length + m) * 7 * 3600_000);
}

/** One order in every status for every merchant. */
export const SANDBOX_ORDERS: readonly SandboxOrder[] = SANDBOX_MERCHANTS.flatMap((merchant, m) =>
  SANDBOX_ORDER_STATUSES.map((status, s) => {
    const customerName = CUSTOMERS[(m * 3 + s) % CUSTOMERS.length]!;
    return {
      id: sandboxId('ord', `${merchant.slug}:${s}`),
      merchantId: merchant.id,
      reference: `${merchant.slug.toUpperCase().slice(0, 4)}-${1001 + s}`,
      status,
      amount: 1990 + s * 1250 + m * 310,
      currency: merchant.currency,
      customerName,
      customerEmail: `${customerName
        .toLowerCase()
        .normalize('NFD')
        .replace(/[^a-z ]/g, '')
        .replace(' ', '.')}@example.com`,
      shippingAddress: { name: customerName, ...STREETS[merchant.country]!, country: merchant.country },
      createdAt: sandboxCreatedAt(m, status),
    };
  }),
);

/** Orders whose money has been collected and which finance settles in the merchant's period. */
export const SETTLED_STATUSES: readonly SandboxOrderStatus[] = ['RELEASED', 'DELIVERED'];

export const sandboxSettlementId = (merchantId: string) => sandboxId('stl', `${merchantId}:2026-11`);
