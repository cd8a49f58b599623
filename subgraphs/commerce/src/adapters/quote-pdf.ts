import PDFDocument from 'pdfkit';
import { formatMinorUnits } from '@ipay/platform';
import type { QuoteRow } from '../db/schema.ts';

/**
 * A customer quote as a PDF (pdfkit, standard Helvetica, A4), in the merchant's branding: the brand name in its
 * primary colour with an accent rule, the logo URL as a link (never fetched: rendering does no network I/O), every
 * delivery with its carrier cost, the IPAY fee, the margin, the tax, the total and the validity. The dates are the
 * quote's own, so one quote renders the same text every time.
 */
export function renderQuotePdf(q: QuoteRow): Promise<Buffer> {
  const stamp = q.issuedAt ?? q.createdAt;
  const brand = q.terms.brandName;
  const doc = new PDFDocument({
    size: 'A4',
    margin: 48,
    info: { Title: `Quote ${q.id}`, Author: brand, Subject: `Delivery quote ${q.id}`, CreationDate: stamp, ModDate: stamp },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const amount = (minor: number | null) => (minor === null ? '-' : `${q.currency} ${formatMinorUnits(minor, q.currency)}`);
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;

  doc.fillColor(q.terms.primaryColor).font('Helvetica-Bold').fontSize(20).text(brand);
  doc.rect(left, doc.y + 2, width, 3).fill(q.terms.accentColor);
  doc.moveDown(0.8).fillColor('#000000').font('Helvetica').fontSize(10);
  if (q.terms.logoUrl) doc.text(`Logo: ${q.terms.logoUrl}`, { link: q.terms.logoUrl });
  doc.font('Helvetica-Bold').fontSize(14).text(`Delivery quote ${q.id}`);
  doc.font('Helvetica').fontSize(10);
  if (q.customerName || q.customerEmail) doc.text(`For: ${[q.customerName, q.customerEmail].filter(Boolean).join(', ')}`);
  doc.text(`Status: ${q.status}`);
  if (q.issuedAt) doc.text(`Issued: ${q.issuedAt.toISOString()}`);
  if (q.validUntil) doc.text(`Valid until: ${q.validUntil.toISOString()}`);

  doc.moveDown().font('Helvetica-Bold').text(`Deliveries (${q.deliveries.length})`);
  doc.font('Helvetica');
  q.deliveries.forEach((d, i) => {
    const dims = `${d.lengthMm}x${d.widthMm}x${d.heightMm} mm, ${d.weightGrams} g`;
    doc.text(
      `${i + 1}. ${d.carrierCode} ${d.serviceLevel} ${d.deliveryMethod} to ${d.country} ${d.postcode} (${dims}): ${amount(q.carrierCosts?.[i] ?? null)}`,
    );
  });

  doc.moveDown().font('Helvetica-Bold').text('Price');
  doc.font('Helvetica');
  doc.text(`Carrier cost: ${amount(q.carrierCost)}`);
  doc.text(`IPAY fee: ${amount(q.ipayFee)}`);
  const rule = q.terms;
  const ruleText =
    rule.marginKind === 'FIXED'
      ? 'fixed'
      : rule.marginKind === 'PERCENTAGE'
        ? `${rule.marginBasisPoints / 100} %`
        : `${rule.marginBasisPoints / 100} %, at least ${amount(rule.marginAmount)}`;
  doc.text(`Margin (${ruleText}): ${amount(q.marginAmount)}`);
  if (rule.taxBasisPoints) doc.text(`${rule.taxLabel ?? 'Tax'} (${rule.taxBasisPoints / 100} %): ${amount(q.taxAmount)}`);
  doc
    .font('Helvetica-Bold')
    .fontSize(12)
    .text(`Total: ${amount(q.totalAmount)}`);
  doc.end();
  return done;
}
