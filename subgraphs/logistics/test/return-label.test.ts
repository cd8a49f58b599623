import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { qrCodePng, returnQrPayload, verifyReturnQrPayload } from '../src/app/returns.ts';
import type { LogisticsServices } from '../src/app/services.ts';

const services = { releaseKeyring: { current: { id: 'k1', secret: 'a-test-release-signing-secret-of-32-bytes!!' } } } as unknown as LogisticsServices;
const other = { releaseKeyring: { current: { id: 'k1', secret: 'another-release-signing-secret-of-32-bytes!' } } } as unknown as LogisticsServices;

describe('return label QR payload', () => {
  const payload = returnQrPayload(services, 'ret_0193abc', 'dhl', 'DHL000000000042');

  it('names the return, carrier and tracking number and verifies with the same key only', () => {
    expect(payload.startsWith('IPAYRTN1.ret_0193abc.dhl.DHL000000000042.')).toBe(true);
    expect(verifyReturnQrPayload(services, payload)).toEqual({ returnId: 'ret_0193abc', carrierCode: 'dhl', trackingNumber: 'DHL000000000042' });
    expect(verifyReturnQrPayload(other, payload)).toBeNull();
  });

  it('refuses a payload with another tracking number or a cut signature', () => {
    expect(verifyReturnQrPayload(services, payload.replace('DHL000000000042', 'DHL000000000043'))).toBeNull();
    expect(verifyReturnQrPayload(services, payload.slice(0, -1))).toBeNull();
    expect(verifyReturnQrPayload(services, 'not a label')).toBeNull();
  });

  it('renders a PNG that decodes back to the payload', async () => {
    const url = await qrCodePng(payload);
    const png = PNG.sync.read(Buffer.from(url.replace(/^data:image\/png;base64,/, ''), 'base64'));
    expect(jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height)?.data).toBe(payload);
  });
});
