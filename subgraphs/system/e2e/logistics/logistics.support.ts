import { and, eq } from 'drizzle-orm';
import { newId, SANDBOX_MERCHANTS, type Database, type DomainEvent, type EventType } from '@ipay/platform';
import * as logisticsSchema from '@ipay/logistics/src/db/schema.ts';
import type { LogisticsServices } from '@ipay/logistics/src/app/services.ts';
import type { TestSystem } from '../support.ts';

export const acme = SANDBOX_MERCHANTS.find((m) => m.slug === 'acme-shop')!;
export const codeOf = (body: { errors?: { extensions?: Record<string, unknown> }[] }) => body.errors?.[0]?.extensions?.code;

/** Polls until `check` returns a value (not undefined/null/false) or the timeout passes. */
export async function eventually<T>(check: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const logisticsDb = (system: TestSystem) => system.subgraphs.logistics.database.db as unknown as Database<typeof logisticsSchema>;

/** The simulator posts to the subgraph's own webhook routes; in tests the port is ephemeral. */
export function pointSimulatorAtSubgraph(system: TestSystem): string {
  const base = system.subgraphUrls.logistics.replace(/\/graphql$/, '');
  (system.subgraphs.logistics.services as unknown as LogisticsServices).webhookBaseUrl = base;
  return base;
}

/** Publishes an event as another domain would (commerce's order.created, payments' payment.*). */
export async function publish(
  system: TestSystem,
  type: EventType,
  subjectType: string,
  subjectId: string,
  payload: Record<string, unknown>,
  merchantId = acme.id,
) {
  const event: DomainEvent = {
    id: newId('evt'),
    type,
    version: 1,
    occurredAt: new Date().toISOString(),
    source: type.startsWith('order') && type !== 'order.payment_state_changed' ? 'commerce' : 'payments',
    merchantId,
    livemode: false,
    carrierCode: null,
    subjectType,
    subjectId,
    payload,
  };
  await system.bus.publish([event]);
  return event;
}

/** A new acme order in the sandbox, as commerce announces it (shipping to Amsterdam unless told otherwise). */
export async function announceOrder(system: TestSystem, amountMinor = 7840, address = { country: 'NL', postal_code: '1011 AB', city: 'Amsterdam' }) {
  const orderId = newId('ord');
  await publish(system, 'order.created', 'Order', orderId, {
    order_id: orderId,
    merchant: acme.slug,
    merchant_id: acme.id,
    reference: `T-${orderId.slice(-6)}`,
    status: 'AWAITING_PAYMENT',
    total: { amount: amountMinor / 100, amount_minor: amountMinor, currency: 'EUR' },
    customer: { name: 'Emma de Vries', email: 'emma@example.com' },
    shipping_address: { name: 'Emma de Vries', line1: 'Damrak 1', line2: null, ...address },
  });
  const db = logisticsDb(system);
  await eventually(async () => (await db.select().from(logisticsSchema.orderProjections).where(eq(logisticsSchema.orderProjections.orderId, orderId)))[0]);
  return orderId;
}

/** A payment.* event of one session, as payments publishes it; logistics no longer decides anything on it. */
export async function announcePayment(
  system: TestSystem,
  orderId: string,
  status: 'requested' | 'confirmed' | 'failed',
  amountMinor = 7840,
  sessionId = `pay_${orderId.slice(4)}`,
) {
  return publish(system, `payment.${status}`, 'PaymentSession', sessionId, {
    order_id: orderId,
    merchant: acme.slug,
    payment: {
      id: sessionId,
      reference: 'IPAY-TEST',
      psp: 'adyen',
      method: 'card',
      status,
      amount: amountMinor / 100,
      amount_minor: amountMinor,
      currency: 'EUR',
    },
  });
}

const money = (minor: number, currency = 'EUR') => ({ amount: minor / 100, amount_minor: minor, currency });

/**
 * order.payment_state_changed exactly per the contract (subgraphs/platform/src/events/payment-state.ts), as payments
 * publishes it; waits until logistics holds this version (or a higher one) unless told not to.
 */
export async function announcePaymentState(
  system: TestSystem,
  orderId: string,
  state: {
    version: number;
    state: 'UNPAID' | 'PARTIALLY_CAPTURED' | 'PAID' | 'PARTIALLY_REFUNDED' | 'REFUNDED';
    capturedMinor?: number;
    refundedMinor?: number;
    dueMinor?: number;
    sessionId?: string | null;
    psp?: string;
  },
  wait = true,
) {
  const due = state.dueMinor ?? 7840;
  const captured = state.capturedMinor ?? (state.state === 'UNPAID' ? 0 : due);
  const refunded = state.refundedMinor ?? (state.state === 'REFUNDED' ? captured : 0);
  const sessionId = state.sessionId === undefined ? (captured > 0 ? `pay_${orderId.slice(4)}` : null) : state.sessionId;
  const event = await publish(system, 'order.payment_state_changed', 'Order', orderId, {
    order_id: orderId,
    merchant: acme.slug,
    version: state.version,
    state: state.state,
    amount_due: money(due),
    captured: money(captured),
    refunded: money(refunded),
    outstanding: money(Math.max(0, due - captured)),
    payment_session_id: sessionId,
    psp: sessionId ? (state.psp ?? 'adyen') : null,
    paid_at: state.state === 'UNPAID' || state.state === 'PARTIALLY_CAPTURED' ? null : '2026-05-29T09:10:00Z',
  });
  if (wait) {
    const { orderPaymentStates } = logisticsSchema;
    await eventually(async () => {
      const [row] = await logisticsDb(system).select().from(orderPaymentStates).where(eq(orderPaymentStates.orderId, orderId));
      return row && row.version >= state.version ? row : null;
    });
  }
  return event;
}

/** Commerce moved the order (e.g. cancelOrder → CANCELLED); waits until logistics projected it. */
export async function announceOrderStatus(system: TestSystem, orderId: string, from: string, to: string) {
  const event = await publish(system, 'order.status_changed', 'Order', orderId, { order_id: orderId, merchant: acme.slug, from, to });
  const { orderProjections } = logisticsSchema;
  await eventually(
    async () =>
      (
        await logisticsDb(system)
          .select()
          .from(orderProjections)
          .where(and(eq(orderProjections.orderId, orderId), eq(orderProjections.statusEventId, event.id)))
      )[0],
  );
  return event;
}

/** Events of a type the logistics subgraph wrote to its outbox for a subject. */
export async function outboxEvents(system: TestSystem, type: string, subjectId?: string) {
  const { outbox } = logisticsSchema;
  const rows = await logisticsDb(system)
    .select()
    .from(outbox)
    .where(subjectId ? and(eq(outbox.type, type), eq(outbox.subjectId, subjectId)) : eq(outbox.type, type));
  return rows;
}

export const PARCEL = { weightGrams: 1000, dimensions: { lengthMm: 300, widthMm: 200, heightMm: 100 } };

export const CREATE_SHIPMENT = `mutation($input: CreateShipmentInput!) {
  createShipment(input: $input) {
    shipment { id trackingNumber status serviceLevel deliveryMethod carrier { code } price { total { amount currency } lines { kind amount { amount } } } }
    carrierChoice { chosen { carrierCode price { amount } } explanation }
  }
}`;

export async function createShipment(system: TestSystem, orderId: string, extra: Record<string, unknown> = {}, headers?: Record<string, string>) {
  const { body } = await system.query(
    CREATE_SHIPMENT,
    { input: { orderId, serviceLevel: 'STANDARD', deliveryMethod: 'DOOR', parcel: PARCEL, ...extra } },
    headers,
  );
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data.createShipment as { shipment: { id: string; trackingNumber: string; carrier: { code: string } }; carrierChoice: any };
}
