// The status page's QR code (themes/default/static/qr.js) against an independent
// encoder: the matrix below is what Python's `qrcode` 8.2 makes of the same text
// (error correction M, mask 0, no border). The same comparison over every mask and
// versions up to 17 was run when qr.js was written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { qrMatrix, qrSvg } from '../../themes/default/static/qr.js';

const WECHAT = ["11111110011011001001001111111","10000010100100111001101000001","10111010011111101010001011101","10111010011001110011101011101","10111010110010100111001011101","10000010011011000111101000001","11111110101010101010101111111","00000000010101101101000000000","10101010001100111111000010010","10100000011110110010111001101","01010010010001000100001010111","10011100001010000111000100000","01011110000100000100111100000","01000001110101000110101001111","10010010100110101010100011111","11000100111001100101000110000","01011011111110100100001100011","00001100010010100110111000111","10011011101011000110110100011","01011100010000010100001001001","10101010111000000111111111011","00000000111101000010100011101","11111110000110100001101010011","10000010011101100110100011011","10111010101110101100111110001","10111010000101101100000010111","10111010111011001010000111001","10000010001011100111110011010","11111110111110101101100100011"];

test('a_wechat_pay_code_url_encodes_as_the_reference_encoder_does', () => {
  const matrix = qrMatrix('weixin://wxpay/bizpayurl?pr=abc123').map((r) => r.map((c) => (c ? 1 : 0)).join(''));
  assert.deepEqual(matrix, WECHAT);
});

test('long_urls_take_bigger_versions_and_the_svg_holds_only_modules', () => {
  const url = 'https://checkout.stripe.com/c/pay/' + 'a'.repeat(400);
  const size = qrMatrix(url).length;
  assert.equal((size - 17) % 4, 0);
  assert.ok(size > 29, `a bigger version (${size} modules)`);
  const svg = qrSvg('<script>');
  assert.doesNotMatch(svg, /script/);
  assert.match(svg, /^<svg [^>]*viewBox="0 0 29 29"/);
  assert.throws(() => qrMatrix('x'.repeat(3000)), /too long/);
});
