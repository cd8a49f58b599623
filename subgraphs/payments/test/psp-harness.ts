import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newPaymentReference } from '../src/domain/reference.ts';
import {
  newSessionSnapshot,
  transition,
  type HistoryEntry,
  type PaymentEvent,
  type PaymentSessionSnapshot,
  type TransitionRefusal,
} from '../src/domain/state-machine.ts';
import {
  eventFromNotification,
  eventsFromCreatedPayment,
  type CreatedPayment,
  type NormalisedNotification,
  type PspAdapter,
} from '../src/adapters/psp/adapter.ts';
import { webhookHandler } from '../src/adapters/psp/webhook.ts';

export interface Applied {
  readonly event: PaymentEvent;
  readonly outcome: 'applied' | 'recorded' | 'ignored' | 'duplicate' | 'refused';
  readonly refusal?: TransitionRefusal;
}

/**
 * What the database wiring will do, in memory: sessions by IPAY reference, PSP references mapped to them, and every
 * event run through the state machine. A retryable refusal throws, so the webhook answers 500 and the PSP retries.
 */
export class Ledger {
  readonly sessions = new Map<string, PaymentSessionSnapshot>();
  readonly history = new Map<string, HistoryEntry[]>();
  readonly applied = new Map<string, Applied[]>();
  readonly notifications = new Map<string, NormalisedNotification[]>();
  readonly unknown: NormalisedNotification[] = [];
  readonly #byPspReference = new Map<string, string>();

  open(amount: number, currency: string): string {
    const reference = newPaymentReference();
    this.sessions.set(reference, newSessionSnapshot({ id: `pay_${reference}`, reference, amount, currency, createdAt: new Date() }));
    return reference;
  }

  session(reference: string): PaymentSessionSnapshot {
    const session = this.sessions.get(reference);
    if (!session) throw new Error(`no session ${reference}`);
    return session;
  }

  created(psp: PspAdapter['psp'], reference: string, created: CreatedPayment): void {
    this.#byPspReference.set(created.pspReference, reference);
    for (const event of eventsFromCreatedPayment(psp, created, new Date())) this.apply(reference, event);
  }

  apply(reference: string, event: PaymentEvent): Applied {
    const result = transition(this.session(reference), event);
    const applied: Applied = result.ok ? { event, outcome: result.outcome } : { event, outcome: 'refused', refusal: result.refusal };
    this.applied.set(reference, [...(this.applied.get(reference) ?? []), applied]);
    if (result.ok) {
      this.sessions.set(reference, result.snapshot);
      if (result.entry) this.history.set(reference, [...(this.history.get(reference) ?? []), result.entry]);
    }
    return applied;
  }

  async store(notifications: readonly NormalisedNotification[]): Promise<void> {
    for (const notification of notifications) {
      const reference = notification.merchantReference ?? this.#byPspReference.get(notification.pspReference);
      if (!reference || !this.sessions.has(reference)) {
        this.unknown.push(notification);
        continue;
      }
      this.notifications.set(reference, [...(this.notifications.get(reference) ?? []), notification]);
      const applied = this.apply(reference, eventFromNotification(notification));
      if (applied.refusal?.retryable) throw new Error(`not yet: ${applied.refusal.reason}`);
    }
  }

  outcomes(reference: string): string[] {
    return (this.applied.get(reference) ?? []).map((a) => `${a.event.type}:${a.outcome}`);
  }
}

/** A webhook endpoint on a random port, verifying with the adapter it is given and storing into the ledger. */
export async function startReceiver(adapter: () => PspAdapter, ledger: Ledger): Promise<{ url: string; close: () => Promise<void> }> {
  let handle: ReturnType<typeof webhookHandler> | null = null;
  const server: Server = createServer((req, res) => {
    handle ??= webhookHandler(adapter(), (n) => ledger.store(n));
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function until<T>(what: string | (() => string), probe: () => T | undefined | false, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export async function statusOf(
  ledger: Ledger,
  reference: string,
  status: PaymentSessionSnapshot['status'],
  timeoutMs?: number,
): Promise<PaymentSessionSnapshot> {
  return until(
    () => `${reference} to become ${status} (is ${ledger.session(reference).status}; ${ledger.outcomes(reference).join(', ')})`,
    () => {
      const session = ledger.session(reference);
      return session.status === status ? session : undefined;
    },
    timeoutMs,
  );
}
