import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { isProduction } from '../../config.ts';
import type { Logger } from '../../logger.ts';

/** What the sandbox SMTP server keeps of a received message. */
export interface CapturedMail {
  messageId: string | null;
  /** The From address. */
  from: string;
  /** Envelope recipients (RCPT TO). */
  to: string[];
  subject: string;
  text: string;
  attachments: { filename: string; contentType: string; size: number; sha256: string }[];
  /** The whole message as received (RFC 5322), so attachments can be read back. */
  raw: string;
  receivedAt: Date;
}

export interface SmtpCapture {
  /** `smtp://127.0.0.1:<port>`: hand it to `createMailSender`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

/**
 * The sandbox's own SMTP server, on loopback only: it accepts every message, parses it with mailparser and hands it
 * to `store` (a database table, so captured mail survives restarts). The SMTP transaction succeeds only once the
 * message is stored, so a sender sees a failure when the store fails. Never in production.
 */
export async function startSmtpCapture(options: { store(mail: CapturedMail): Promise<void>; logger: Logger; port?: number }): Promise<SmtpCapture> {
  if (isProduction()) throw new Error('the sandbox SMTP capture server is refused when NODE_ENV=production');
  const { store, logger } = options;
  const server = new SMTPServer({
    // Loopback sandbox: no TLS, no authentication.
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    size: MAX_MESSAGE_BYTES,
    logger: false,
    banner: 'IPAY sandbox mail capture',
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded)
          return callback(Object.assign(new Error('message too large'), { responseCode: 552 }));
        void (async () => {
          const parsed = await simpleParser(raw);
          const from = parsed.from?.value[0]?.address ?? (session.envelope.mailFrom ? session.envelope.mailFrom.address : '');
          await store({
            messageId: parsed.messageId ?? null,
            from,
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            attachments: parsed.attachments.map((a) => ({
              filename: a.filename ?? 'attachment',
              contentType: a.contentType,
              size: a.content.length,
              sha256: createHash('sha256').update(a.content).digest('hex'),
            })),
            raw: raw.toString('utf8'),
            receivedAt: new Date(),
          });
        })().then(
          () => callback(),
          (error: Error) => {
            logger.error({ err: error }, 'sandbox SMTP capture could not store a message');
            callback(Object.assign(new Error('could not store the message'), { responseCode: 451 }));
          },
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  server.on('error', (error) => logger.error({ err: error }, 'sandbox SMTP capture server error'));
  const port = (server as unknown as { server: { address(): AddressInfo } }).server.address().port;
  logger.info({ port }, 'sandbox SMTP capture server listening on loopback');
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
