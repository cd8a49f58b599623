import { newId, type Database } from '@ipay/platform';
import type { CapturedMail } from '@ipay/platform/mail/sandbox';
import { sandboxMail } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';

/** Stores what the sandbox SMTP server received, so the captured-mail API survives restarts. */
export async function storeCapturedMail(db: Database<typeof schema>, mail: CapturedMail): Promise<void> {
  await db.insert(sandboxMail).values({
    id: newId('mail'),
    messageId: mail.messageId,
    fromAddress: mail.from,
    recipients: mail.to,
    subject: mail.subject,
    text: mail.text,
    attachments: mail.attachments,
    raw: mail.raw,
    receivedAt: mail.receivedAt,
  });
}
