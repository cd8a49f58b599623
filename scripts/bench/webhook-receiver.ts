/** The merchant's receiver of benchmark 5 (scripts/bench/webhooks.ts), in a process of its own: answers 200 and reports each delivery's arrival over IPC. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const arrivals: { seq: number; sentAt: number; at: number }[] = [];
const server = createServer((req, res) => {
  let raw = '';
  req.on('data', (chunk: Buffer) => (raw += chunk));
  req.on('end', () => {
    const at = Date.now();
    res.writeHead(200, { 'content-type': 'text/plain' }).end('received');
    try {
      const data = (JSON.parse(raw) as { data?: { seq?: number; sent_at?: number } }).data;
      if (data?.seq !== undefined && data.sent_at !== undefined) arrivals.push({ seq: data.seq, sentAt: data.sent_at, at });
    } catch {
      // not ours
    }
  });
});
server.listen(0, '127.0.0.1', () => process.send!({ kind: 'listening', port: (server.address() as AddressInfo).port }));
process.on('message', (message: { kind: string }) => {
  if (message.kind === 'arrivals') process.send!({ kind: 'arrivals', arrivals: arrivals.splice(0) });
  if (message.kind === 'stop') server.close(() => process.exit(0));
});
