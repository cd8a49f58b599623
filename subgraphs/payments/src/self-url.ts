import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';

/**
 * Where this process's HTTP server was reached, for the request being handled. The sandbox PSPs must post their
 * notifications to our own public webhook routes, but with ephemeral ports (tests, `PAYMENTS_PORT=0`) the address is
 * only known once a request arrives: Node announces every incoming request on the `http.server.request.start`
 * diagnostics channel, and the socket it came in on carries the local address and port. PAYMENTS_PUBLIC_URL (or
 * config `publicUrl`) takes precedence; this is the fallback for local sandboxes.
 */
const current = new AsyncLocalStorage<IncomingMessage>();
let subscribed = false;

export function trackServedRequests(): void {
  if (subscribed) return;
  subscribed = true;
  subscribe('http.server.request.start', (message) => {
    const { request } = message as { request: IncomingMessage };
    current.enterWith(request);
  });
}

/** `http://<local address>:<port>` of the server handling the current request, or null outside one. */
export function currentServerOrigin(): string | null {
  const socket = current.getStore()?.socket;
  if (!socket?.localPort || !socket.localAddress) return null;
  const address = socket.localAddress.replace(/^::ffff:/, '');
  const host = address.includes(':') ? `[${address}]` : address;
  return `http://${host}:${socket.localPort}`;
}
