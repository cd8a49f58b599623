import nodemailer, { type Transporter } from 'nodemailer';

/** A file attached to a mail (e.g. a PDF statement). */
export interface MailAttachment {
  filename: string;
  content: Buffer;
  contentType?: string;
}

export interface OutgoingMail {
  to: string | readonly string[];
  subject: string;
  text: string;
  attachments?: readonly MailAttachment[];
}

export interface SentMail {
  messageId: string;
  accepted: string[];
  rejected: string[];
}

/** Transactional mail over SMTP (nodemailer). One sender per process; `close` releases pooled connections. */
export interface MailSender {
  /** Where mail goes (the SMTP URL without its password). */
  readonly target: string;
  send(mail: OutgoingMail): Promise<SentMail>;
  close(): void;
}

export interface MailConfig {
  /** `smtp://user:pass@host:port` or `smtps://…` (SMTP_URL). */
  smtpUrl?: string;
  /** The From header (MAIL_FROM). */
  from?: string;
}

export const DEFAULT_MAIL_FROM = 'IPAY Finance <finance@ipay.localhost>';

export function mailConfigFromEnv(env: NodeJS.ProcessEnv = process.env): MailConfig {
  return { smtpUrl: env.SMTP_URL || undefined, from: env.MAIL_FROM || undefined };
}

const redact = (url: string) => {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'smtp (unparsable URL)';
  }
};

/** A sender to one SMTP server. A mail the server refuses, or one no recipient accepted, fails the call. */
export function createMailSender(smtpUrl: string, from: string = DEFAULT_MAIL_FROM): MailSender {
  const transport: Transporter = nodemailer.createTransport(smtpUrl);
  return {
    target: redact(smtpUrl),
    async send(mail) {
      const info = await transport.sendMail({
        from,
        to: typeof mail.to === 'string' ? mail.to : [...mail.to],
        subject: mail.subject,
        text: mail.text,
        attachments: mail.attachments?.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })),
      });
      const accepted = (info.accepted ?? []).map(String);
      const rejected = (info.rejected ?? []).map(String);
      if (!accepted.length) throw new Error(`no recipient accepted the mail "${mail.subject}" (${rejected.join(', ')})`);
      return { messageId: String(info.messageId), accepted, rejected };
    },
    close: () => transport.close(),
  };
}
