import PDFDocument from 'pdfkit';
import { formatMinorUnits } from '@ipay/platform';
import type { FeeScheduleRow, SettlementLineRow, SettlementRow } from '../db/schema.ts';
import { periodLabel } from '../domain/periods.ts';

export interface StatementInput {
  settlement: SettlementRow;
  lines: readonly SettlementLineRow[];
  /** The fee schedule entries the lines' fees came from. */
  fees: readonly FeeScheduleRow[];
}

const KIND_LABEL = { COLLECTION: 'Collection', REFUND: 'Refund', ADJUSTMENT: 'Adjustment' } as const;

/**
 * The merchant's settlement statement as a PDF (pdfkit, standard Helvetica, A4): merchant, period, status, the fee
 * schedule applied, every line with its order and payment session, and the totals. The document's dates are the
 * settlement's own (never the wall clock), so the same settlement renders the same bytes.
 */
export function renderStatementPdf({ settlement: s, lines, fees }: StatementInput): Promise<Buffer> {
  const stamp = s.closedAt ?? s.createdAt;
  const doc = new PDFDocument({
    size: 'A4',
    margin: 48,
    info: {
      Title: `IPAY settlement statement ${s.id}`,
      Author: 'IPAY',
      Subject: `${s.merchantSlug} ${periodLabel(s.periodStart, s.periodEnd)}`,
      CreationDate: stamp,
      ModDate: stamp,
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const amount = (minor: number) => `${s.currency} ${formatMinorUnits(minor, s.currency)}`;
  const left = doc.page.margins.left;

  doc.font('Helvetica-Bold').fontSize(16).text('IPAY settlement statement');
  doc.moveDown(0.5).font('Helvetica').fontSize(10);
  doc.text(`Merchant: ${s.merchantSlug || s.merchantId} (${s.merchantId})`);
  doc.text(`Settlement: ${s.id}`);
  doc.text(`Period: ${periodLabel(s.periodStart, s.periodEnd)} (${s.periodKind.toLowerCase()}, UTC)`);
  doc.text(`Currency: ${s.currency}`);
  doc.text(`Status: ${s.status}${s.approvedBy ? `, approved by ${s.approvedBy}` : ''}${s.payoutReference ? `, paid out as ${s.payoutReference}` : ''}`);

  doc.moveDown().font('Helvetica-Bold').text('Fee schedule applied');
  doc.font('Helvetica');
  if (!fees.length) doc.text('No fees on this statement.');
  for (const f of fees) {
    const scope = f.merchantId ? 'merchant schedule' : 'platform schedule';
    doc.text(
      `${f.id}: ${amount(f.feeAmount)} per order, ${scope}, valid from ${f.validFrom.toISOString().slice(0, 10)}${f.validTo ? ` to ${f.validTo.toISOString().slice(0, 10)}` : ''}`,
    );
  }

  doc.moveDown().font('Helvetica-Bold').text(`Lines (${lines.length})`);
  const columns = [
    { title: 'Date', x: left, width: 60 },
    { title: 'Kind', x: left + 62, width: 60 },
    { title: 'Order / payment session', x: left + 124, width: 200 },
    { title: 'Gross', x: left + 326, width: 62, right: true },
    { title: 'Fee', x: left + 390, width: 52, right: true },
    { title: 'Net', x: left + 444, width: 62, right: true },
  ];
  const cell = (values: string[], bold = false) => {
    if (doc.y > doc.page.height - doc.page.margins.bottom - 40) doc.addPage();
    const y = doc.y;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(8);
    let bottom = y;
    values.forEach((value, i) => {
      const c = columns[i]!;
      doc.text(value, c.x, y, { width: c.width, align: c.right ? 'right' : 'left' });
      bottom = Math.max(bottom, doc.y);
    });
    doc.x = left;
    doc.y = bottom + 2;
  };
  cell(
    columns.map((c) => c.title),
    true,
  );
  for (const l of lines) {
    const trace = [l.orderId, l.paymentSessionId, l.refundId && `refund ${l.refundId}`, l.reason && `reason: ${l.reason}`].filter(Boolean).join('\n');
    cell([
      l.occurredAt.toISOString().slice(0, 10),
      KIND_LABEL[l.kind],
      trace || '-',
      formatMinorUnits(l.grossAmount, s.currency),
      formatMinorUnits(l.feeAmount, s.currency),
      formatMinorUnits(l.netAmount, s.currency),
    ]);
  }

  doc.moveDown().font('Helvetica-Bold').fontSize(10).text('Totals', left);
  doc.font('Helvetica');
  doc.text(`Gross collected: ${amount(s.grossAmount)}`);
  doc.text(`IPAY fees: ${amount(s.feeAmount)}`);
  doc.font('Helvetica-Bold').text(`Net payout: ${amount(s.netAmount)}`);
  doc.end();
  return done;
}
