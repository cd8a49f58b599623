import type { PspCode } from '../adapters/psp/adapter.ts';

/**
 * What live code may know of the sandbox PSPs (types only): the in-process simulators themselves live in src/sandbox/
 * and are loaded by a dynamic import only when the sandbox is enabled (app/services.ts).
 */

/** What the simulated shopper and PSP do with one payment. */
export type SandboxOutcome = 'succeed' | 'decline' | 'expire';
export type SandboxOperation = 'create' | 'capture' | 'refund' | 'cancel' | 'get';

export interface SandboxScenario {
  readonly outcome: SandboxOutcome;
  /** Wait this long before posting each burst of notifications. */
  readonly notificationDelayMs: number;
  /** Post every notification twice, as PSPs do when an acknowledgement is lost. */
  readonly duplicate: boolean;
  /** Post the notifications of a burst last-first (e.g. CAPTURE before AUTHORISATION). */
  readonly reverse: boolean;
  /** Keep notifications back until `release()`, to interleave them across operations at will. */
  readonly hold: boolean;
  /** API operations on this payment that never answer, to exercise client timeouts. */
  readonly hang: readonly SandboxOperation[];
  /** Sign notifications with a wrong key, to exercise the receiver's verification over HTTP. */
  readonly badSignature: boolean;
  /** Like PSPs, post a notification again after these delays while the receiver does not accept it (2xx). */
  readonly redeliverAfterMs: readonly number[];
  /**
   * The shopper does nothing until `complete()` is called (the payments subgraph's sandbox control drives payments
   * this way); otherwise the shopper acts at once, as the scenario's outcome says.
   */
  readonly awaitShopper: boolean;
}

export interface SandboxDelivery {
  readonly reference: string;
  /** What was sent, e.g. "AUTHORISATION true" or "payment_intent.succeeded". */
  readonly describe: string;
  readonly url: string;
  readonly requestBody: string;
  /** HTTP status the receiver answered, or null when it could not be reached. */
  readonly status: number | null;
  readonly responseBody: string;
  readonly error: string | null;
  /** 0 for the first delivery, then 1, 2, ... for redeliveries. */
  readonly attempt: number;
  readonly at: Date;
}

/** A local PSP that speaks the real PSP's API shape and posts real, signed notifications. */
export interface PspSandbox {
  readonly psp: PspCode;
  /** Base URL of the mock API (http://127.0.0.1:<random port>). */
  readonly url: string;
  /** Sets what happens to the payment with this merchant reference (our IPAY reference); call before creating it. */
  scenario(reference: string, scenario: Partial<SandboxScenario>): void;
  /** Posts the notifications held for a payment (scenario `hold`), optionally reversed or duplicated. */
  release(reference: string, options?: { reverse?: boolean; duplicate?: boolean }): Promise<void>;
  /** How many notifications are held for a payment (scenario `hold`), waiting for `release`. */
  held(reference: string): number;
  /** Notifications posted so far, for one payment or all. */
  deliveries(reference?: string): readonly SandboxDelivery[];
  waitForDeliveries(reference: string, count: number, timeoutMs?: number): Promise<readonly SandboxDelivery[]>;
  /** Whether a payment with this reference waits for its shopper (scenario `awaitShopper`). */
  awaitingShopper(reference: string): boolean;
  /** The waiting shopper acts now, with this scenario (outcome, duplicate, reverse, ...); false if none waits. */
  complete(reference: string, scenario: Partial<SandboxScenario>): boolean;
  close(): Promise<void>;
}
