/**
 * The required message keys: every consumer-facing text IPAY renders (payment, notification and support
 * messages, email subjects and bodies, consumer app texts), with the arguments each may use. A locale is
 * complete when it has a template for every key; the platform defaults cover en, nl, de and fr.
 */
export type MessageCategory = 'PAYMENT' | 'NOTIFICATION' | 'SUPPORT';
/** MONEY arguments take `{ amount, currency }` in integer minor units and are written `{name, number, money}`. */
export type MessageArgumentType = 'STRING' | 'NUMBER' | 'MONEY';

export interface MessageKeySpec {
  key: string;
  category: MessageCategory;
  description: string;
  arguments: Readonly<Record<string, MessageArgumentType>>;
}

const spec = (key: string, category: MessageCategory, description: string, args: Record<string, MessageArgumentType>): MessageKeySpec => ({
  key,
  category,
  description,
  arguments: args,
});

export const MESSAGE_KEYS: readonly MessageKeySpec[] = [
  spec('payment.request.email.subject', 'PAYMENT', 'Subject of the email that asks the consumer to pay on arrival.', {
    merchant: 'STRING',
    reference: 'STRING',
  }),
  spec('payment.request.email.body', 'PAYMENT', 'Body of the email that asks the consumer to pay on arrival.', {
    name: 'STRING',
    merchant: 'STRING',
    amount: 'MONEY',
    reference: 'STRING',
    link: 'STRING',
  }),
  spec('payment.confirmed.email.subject', 'PAYMENT', 'Subject of the payment confirmation email.', { merchant: 'STRING', reference: 'STRING' }),
  spec('payment.confirmed.email.body', 'PAYMENT', 'Body of the payment confirmation email.', { name: 'STRING', amount: 'MONEY', reference: 'STRING' }),
  spec('consumer.payment.due', 'PAYMENT', 'Consumer app: what is to pay, on the pay-on-arrival screen.', { amount: 'MONEY', merchant: 'STRING' }),
  spec('consumer.payment.paid', 'PAYMENT', 'Consumer app: the order is paid.', { amount: 'MONEY' }),
  spec('notification.out_for_delivery.sms', 'NOTIFICATION', 'Text message when the parcel is out for delivery.', {
    merchant: 'STRING',
    reference: 'STRING',
    trackingNumber: 'STRING',
  }),
  spec('notification.pickup.ready.email.subject', 'NOTIFICATION', 'Subject of the email that the parcel waits at a pickup point or locker.', {
    reference: 'STRING',
  }),
  spec('notification.pickup.ready.email.body', 'NOTIFICATION', 'Body of the email that the parcel waits at a pickup point or locker.', {
    name: 'STRING',
    reference: 'STRING',
    days: 'NUMBER',
  }),
  spec('consumer.tracking.status', 'NOTIFICATION', 'Consumer app: the shipment status line (status is a ShipmentStatus).', { status: 'STRING' }),
  spec('consumer.tracking.parcels', 'NOTIFICATION', 'Consumer app: how many scans the timeline shows.', { count: 'NUMBER' }),
  spec('consumer.pickup.instructions', 'NOTIFICATION', 'Consumer app: how to collect the parcel (method is DOOR, PICKUP_POINT or LOCKER).', {
    method: 'STRING',
  }),
  spec('consumer.pickup.code_pending', 'NOTIFICATION', 'Consumer app: the release code appears once payment is confirmed.', {}),
  spec('consumer.return.started', 'SUPPORT', 'Consumer app: a return was started.', { reference: 'STRING' }),
  spec('support.contact', 'SUPPORT', 'Where the consumer gets help.', { merchant: 'STRING' }),
];

export const MESSAGE_KEY_SPECS: ReadonlyMap<string, MessageKeySpec> = new Map(MESSAGE_KEYS.map((k) => [k.key, k]));
export const messageKeySpec = (key: string) => MESSAGE_KEY_SPECS.get(key);
