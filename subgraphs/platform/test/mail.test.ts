import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { createLogger, createMailSender, type MailSender } from '../src/index.ts';
import { startSmtpCapture, type CapturedMail, type SmtpCapture } from '../src/mail/sandbox/index.ts';

describe('transactional mail over SMTP into the sandbox capture server', () => {
  const stored: CapturedMail[] = [];
  let failNext = false;
  let capture: SmtpCapture;
  let sender: MailSender;
  beforeAll(async () => {
    capture = await startSmtpCapture({
      logger: createLogger('mail-test', 'silent'),
      store: async (mail) => {
        if (failNext) {
          failNext = false;
          throw new Error('store down');
        }
        stored.push(mail);
      },
    });
    sender = createMailSender(capture.url, 'IPAY Test <test@ipay.localhost>');
  });
  afterAll(async () => {
    sender.close();
    await capture.close();
  });

  it('delivers a mail with its attachment byte for byte', async () => {
    const pdf = Buffer.from('%PDF-1.4 not really a pdf but bytes \u0000\u00ff', 'latin1');
    const sent = await sender.send({
      to: ['ap@carrier.example', 'cfo@ipay.example'],
      subject: 'Statement',
      text: 'Hello',
      attachments: [{ filename: 'statement.pdf', content: pdf, contentType: 'application/pdf' }],
    });
    expect(sent.accepted).toEqual(['ap@carrier.example', 'cfo@ipay.example']);
    expect(stored).toHaveLength(1);
    const [mail] = stored;
    expect(mail!.to).toEqual(['ap@carrier.example', 'cfo@ipay.example']);
    expect(mail!.subject).toBe('Statement');
    expect(mail!.from).toBe('test@ipay.localhost');
    expect(mail!.attachments).toEqual([expect.objectContaining({ filename: 'statement.pdf', contentType: 'application/pdf', size: pdf.length })]);
    const reparsed = await simpleParser(mail!.raw);
    expect(Buffer.compare(reparsed.attachments[0]!.content, pdf)).toBe(0);
  });

  it('fails the send when the capture server cannot store the message', async () => {
    failNext = true;
    await expect(sender.send({ to: 'x@example.com', subject: 'Lost', text: 'x' })).rejects.toMatchObject({ responseCode: 451 });
    expect(stored.map((m) => m.subject)).not.toContain('Lost');
  });
});
