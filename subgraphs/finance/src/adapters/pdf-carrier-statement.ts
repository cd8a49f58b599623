import PDFDocument from 'pdfkit';
import { formatMinorUnits } from '@ipay/platform';
import { AGING_BUCKETS, BUCKET_LABELS, type AgingReport } from '../domain/aging.ts';

export interface CarrierStatementDocument {
  carrierCode: string;
  report: AgingReport;
  generatedAt: Date;
}

/**
 * A carrier's statement of open items as a PDF (pdfkit, built-in Helvetica, no external fonts): one table of open
 * invoices with their age and bucket, then the aging totals per currency. Deterministic for the same input
 * (creation date fixed to `generatedAt`).
 */
export function renderCarrierStatementPdf(doc: CarrierStatementDocument): Promise<Buffer> {
  const pdf = new PDFDocument({
    size: 'A4',
    margin: 48,
    info: { Title: `Statement ${doc.carrierCode.toUpperCase()} ${doc.report.asOf}`, Author: 'IPAY Finance', CreationDate: doc.generatedAt },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });
  const { report } = doc;
  pdf.font('Helvetica-Bold').fontSize(16).text(`Carrier statement: ${doc.carrierCode.toUpperCase()}`);
  pdf.font('Helvetica').fontSize(10).text(`Open items as of ${report.asOf}`).text(`Generated ${doc.generatedAt.toISOString()}`).moveDown();

  const cols = [48, 150, 240, 300, 400, 470];
  const row = (cells: string[], bold = false) => {
    const y = pdf.y;
    pdf.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9);
    cells.forEach((cell, i) => pdf.text(cell, cols[i]!, y, { width: (cols[i + 1] ?? 560) - cols[i]! - 4, lineBreak: false }));
    pdf.x = 48;
    pdf.y = y + 14;
  };
  pdf.font('Helvetica-Bold').fontSize(11).text('Open invoices');
  pdf.moveDown(0.3);
  row(['Invoice', 'Invoice date', 'Age (days)', 'Bucket', 'Open amount', 'Currency'], true);
  for (const item of report.items) {
    if (pdf.y > 760) pdf.addPage();
    row([
      item.invoiceNumber,
      item.invoiceDate,
      String(item.ageDays),
      BUCKET_LABELS[item.bucket],
      formatMinorUnits(item.openMinor, item.currency),
      item.currency,
    ]);
  }
  if (!report.items.length) row(['No open items.']);
  pdf.moveDown();
  pdf.x = 48;
  pdf.font('Helvetica-Bold').fontSize(11).text('Aging');
  pdf.moveDown(0.3);
  for (const totals of report.totals) {
    for (const bucket of AGING_BUCKETS)
      row([`${BUCKET_LABELS[bucket]}`, '', '', '', formatMinorUnits(totals.buckets[bucket], totals.currency), totals.currency]);
    row(['Total open', '', '', '', formatMinorUnits(totals.totalMinor, totals.currency), totals.currency], true);
    pdf.moveDown(0.5);
  }
  pdf.end();
  return done;
}
