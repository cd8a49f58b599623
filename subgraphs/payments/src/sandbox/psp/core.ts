import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PspCode } from '../../adapters/psp/adapter.ts';

export type { PspSandbox, SandboxDelivery, SandboxOperation, SandboxOutcome, SandboxScenario } from '../../app/sandbox-port.ts';
import type { PspSandbox, SandboxDelivery, SandboxOperation, SandboxScenario } from '../../app/sandbox-port.ts';

export const DEFAULT_SCENARIO: SandboxScenario = {
  outcome: 'succeed',
  notificationDelayMs: 0,
  duplicate: false,
  reverse: false,
  hold: false,
  hang: [],
  badSignature: false,
  redeliverAfterMs: [],
  awaitShopper: false,
};

export interface OutgoingNotification {
  readonly url: string;
  readonly describe: string;
  /** Built when sent, so timestamps and signatures are fresh on every (re)delivery. */
  readonly build: (options: { badSignature: boolean }) => { headers: Record<string, string>; body: string };
}

export interface SandboxRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface SandboxResponse {
  readonly status: number;
  readonly body: unknown;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
}

/** Returned by a route to leave the request unanswered until the sandbox closes. */
export const HANG = Symbol('hang');

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomId(length: number, alphabet = ALPHANUMERIC): string {
  const bytes = randomBytes(length);
  let id = '';
  for (const byte of bytes) id += alphabet[byte % alphabet.length];
  return id;
}

/** The plumbing every PSP sandbox shares: HTTP server, scenarios, idempotency, timed and held deliveries. */
export class SandboxCore {
  readonly #scenarios = new Map<string, Partial<SandboxScenario>>();
  readonly #held = new Map<string, OutgoingNotification[]>();
  readonly #deliveries: SandboxDelivery[] = [];
  readonly #idempotency = new Map<string, { fingerprint: string; response: SandboxResponse }>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #events = new EventEmitter();
  readonly #awaiting = new Map<string, () => void>();
  #server: Server | null = null;
  #closed = false;
  url = '';

  constructor(
    readonly psp: PspCode,
    private readonly defaults: Partial<SandboxScenario>,
    private readonly route: (request: SandboxRequest) => Promise<SandboxResponse | typeof HANG>,
  ) {
    this.#events.setMaxListeners(0);
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request: SandboxRequest = {
          method: req.method ?? 'GET',
          path: (req.url ?? '/').split('?')[0]!,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.route(request).then(
          (response) => {
            if (response === HANG) return;
            const text = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
            res.writeHead(response.status, {
              'content-type': response.contentType ?? 'application/json',
              'content-length': Buffer.byteLength(text),
              ...response.headers,
            });
            res.end(text);
          },
          (error: unknown) => {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(`sandbox error: ${error instanceof Error ? error.message : String(error)}`);
          },
        );
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  setScenario(reference: string, scenario: Partial<SandboxScenario>): void {
    this.#scenarios.set(reference, { ...this.#scenarios.get(reference), ...scenario });
  }

  scenarioFor(reference: string): SandboxScenario {
    return { ...DEFAULT_SCENARIO, ...this.defaults, ...this.#scenarios.get(reference) };
  }

  hangs(reference: string, operation: SandboxOperation): boolean {
    return this.scenarioFor(reference).hang.includes(operation);
  }

  /** Replays the first answer for a repeated idempotency key; a different request under the same key is a conflict. */
  async idempotent(
    key: string | undefined,
    request: SandboxRequest,
    answer: () => Promise<SandboxResponse>,
    conflict: () => SandboxResponse,
  ): Promise<SandboxResponse> {
    if (!key) return answer();
    const scoped = `${request.method} ${request.path} ${key}`;
    const fingerprint = createHash('sha256').update(request.body).digest('hex');
    const previous = this.#idempotency.get(scoped);
    if (previous)
      return previous.fingerprint === fingerprint
        ? { ...previous.response, headers: { ...previous.response.headers, 'idempotent-replayed': 'true' } }
        : conflict();
    const response = await answer();
    if (response.status < 500) this.#idempotency.set(scoped, { fingerprint, response });
    return response;
  }

  /** Sends one burst of notifications for a payment, as its scenario says. */
  notify(reference: string, notifications: readonly OutgoingNotification[]): void {
    if (notifications.length === 0 || this.#closed) return;
    const scenario = this.scenarioFor(reference);
    const ordered = scenario.reverse ? [...notifications].reverse() : [...notifications];
    if (scenario.hold) {
      this.#held.set(reference, [...(this.#held.get(reference) ?? []), ...ordered]);
      return;
    }
    this.#schedule(scenario.notificationDelayMs, () => this.#send(reference, ordered, scenario));
  }

  async release(reference: string, options: { reverse?: boolean; duplicate?: boolean } = {}): Promise<void> {
    const held = this.#held.get(reference) ?? [];
    this.#held.delete(reference);
    const scenario = this.scenarioFor(reference);
    await this.#track(this.#send(reference, options.reverse ? held.reverse() : held, { ...scenario, duplicate: options.duplicate ?? scenario.duplicate }));
  }

  held(reference: string): number {
    return this.#held.get(reference)?.length ?? 0;
  }

  deliveries(reference?: string): readonly SandboxDelivery[] {
    return reference === undefined ? [...this.#deliveries] : this.#deliveries.filter((d) => d.reference === reference);
  }

  waitForDeliveries(reference: string, count: number, timeoutMs = 5_000): Promise<readonly SandboxDelivery[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.deliveries(reference);
        if (found.length < count) return;
        cleanup();
        resolve(found);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.psp} sandbox: ${this.deliveries(reference).length} of ${count} notifications for ${reference} posted within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.#events.off('delivery', check);
      };
      this.#events.on('delivery', check);
      check();
    });
  }

  /** The shopper's turn on a new payment: at once, or when `complete` is called (scenario `awaitShopper`). */
  shopper(reference: string, act: () => void): void {
    if (this.scenarioFor(reference).awaitShopper) this.#awaiting.set(reference, act);
    else this.#schedule(0, act);
  }

  awaitingShopper(reference: string): boolean {
    return this.#awaiting.has(reference);
  }

  complete(reference: string, scenario: Partial<SandboxScenario>): boolean {
    const act = this.#awaiting.get(reference);
    if (!act || this.#closed) return false;
    this.#awaiting.delete(reference);
    this.setScenario(reference, { ...scenario, awaitShopper: false });
    act();
    return true;
  }

  /** Runs `fn` after `ms`, unless the sandbox closes first. */
  schedule(ms: number, fn: () => void | Promise<void>): void {
    this.#schedule(ms, fn);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#awaiting.clear();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await Promise.allSettled([...this.#inFlight]);
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections(); // hung requests hold their sockets open
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #schedule(ms: number, fn: () => void | Promise<void>): void {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#closed) void this.#track(Promise.resolve().then(fn));
    }, ms);
    this.#timers.add(timer);
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inFlight.add(promise);
    void promise.finally(() => this.#inFlight.delete(promise)).catch(() => {});
    return promise;
  }

  async #send(reference: string, notifications: readonly OutgoingNotification[], scenario: SandboxScenario): Promise<void> {
    // One at a time, in order: the receiver sees exactly the order the scenario asks for.
    for (const notification of notifications) {
      for (let copy = 0; copy < (scenario.duplicate ? 2 : 1); copy += 1) {
        if (this.#closed) return;
        await this.#post(reference, notification, scenario, 0);
      }
    }
  }

  async #post(reference: string, notification: OutgoingNotification, scenario: SandboxScenario, attempt: number): Promise<void> {
    const { headers, body } = notification.build({ badSignature: scenario.badSignature });
    let status: number | null = null;
    let responseBody = '';
    let error: string | null = null;
    try {
      const response = await fetch(notification.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(5_000) });
      status = response.status;
      responseBody = await response.text();
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    }
    this.#deliveries.push({
      reference,
      describe: notification.describe,
      url: notification.url,
      requestBody: body,
      status,
      responseBody,
      error,
      attempt,
      at: new Date(),
    });
    this.#events.emit('delivery');
    const accepted = status !== null && status >= 200 && status < 300;
    const retryIn = scenario.redeliverAfterMs[attempt];
    // Redeliveries run on their own: like a PSP's retry queue, they do not hold back later notifications.
    if (!accepted && retryIn !== undefined) this.#schedule(retryIn, () => this.#post(reference, notification, scenario, attempt + 1));
  }
}

/** Wraps a core as the public sandbox handle. */
export function sandboxHandle(core: SandboxCore): PspSandbox {
  return {
    psp: core.psp,
    get url() {
      return core.url;
    },
    scenario: (reference, scenario) => core.setScenario(reference, scenario),
    release: (reference, options) => core.release(reference, options),
    held: (reference) => core.held(reference),
    deliveries: (reference) => core.deliveries(reference),
    waitForDeliveries: (reference, count, timeoutMs) => core.waitForDeliveries(reference, count, timeoutMs),
    awaitingShopper: (reference) => core.awaitingShopper(reference),
    complete: (reference, scenario) => core.complete(reference, scenario),
    close: () => core.close(),
  };
}

export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.authorization;
  return typeof value === 'string' && value.startsWith('Bearer ') ? value.slice('Bearer '.length) : undefined;
}

export function headerString(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return typeof value === 'string' ? value : undefined;
}

export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}
