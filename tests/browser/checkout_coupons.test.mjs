// Coupons at checkout: the result beside the field, a refusal that stays until the
// diner acts, one tap to order without it, and the welcome code from sign-up
// carried into checkout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { apiClient, launch, menuReady, orderNumber, phone, ROOT, startSite } from './helpers.mjs';

const SHOTS = process.env.CARTE_SCREENSHOTS ? join(ROOT, 'docs/screenshots') : null;

let site;
let browser;
let api;

before(async () => {
  browser = await launch();
  site = await startSite();
  api = apiClient(site.base, site.key);
});
after(async () => {
  await browser?.close();
  await site?.stop();
});

async function checkout(page, lang, times = 1) {
  await page.goto(`${site.base}/${lang}/chunxi/?table=2`);
  await menuReady(page);
  for (let i = 0; i < times; i++) await page.locator('#d-smashed-cucumber [data-add]').click();
  await page.locator('#view').click();
}

for (const [lang, refused, without] of [['en', /Coupon NOPE cannot be used/, 'Order without the coupon'], ['zh', /优惠码 NOPE 无法使用/, '不用优惠码下单']]) {
  test(`a_refused_coupon_is_shown_beside_the_field_and_dropped_in_one_tap (${lang})`, { timeout: 90_000 }, async () => {
    const context = await phone(browser);
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await checkout(page, lang);
    await page.locator('#coupon').fill('NOPE');
    await page.locator('#apply').click();
    const outcome = page.locator('#coupon-outcome');
    await outcome.filter({ hasText: refused }).waitFor();
    const field = await page.locator('#coupon').boundingBox();
    const box = await outcome.boundingBox();
    assert.ok(box.y - (field.y + field.height) < 40, `the result sits right under the field (${field.y} → ${box.y})`);
    // Another price check (a different table) keeps the refusal.
    await page.locator('#table').selectOption('3');
    await page.waitForTimeout(500);
    assert.match(await outcome.textContent(), refused);
    if (SHOTS && lang === 'en') await page.screenshot({ path: join(SHOTS, 'coupon-refused-en.png'), fullPage: true });
    // "Place order" says why it did not go through, and orders without it in one tap.
    await page.locator('#place').click();
    await page.locator('#problem', { hasText: refused }).waitFor();
    await page.getByRole('button', { name: without }).click();
    const number = await orderNumber(page);
    const [order] = (await api.queue('chunxi')).filter((o) => o.number === number);
    assert.equal(order.coupon ?? null, null);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('the_welcome_code_from_sign_up_is_filled_in_at_checkout', { timeout: 90_000 }, async () => {
  const context = await phone(browser);
  const page = await context.newPage();
  await page.goto(site.base + '/en/join/');
  await menuReady(page);
  await page.getByLabel('Phone').fill('138 0013 8111');
  await page.getByLabel(/I agree/).check();
  await page.locator('#j-go').click();
  await page.getByText('We sent a code.', { exact: false }).waitFor();
  const sent = site.log().match(/one-time code for phone:\+8613800138111 \(.*?\): (\d{6})/);
  await page.getByLabel('The 6-digit code we sent').fill(sent[1]);
  await page.getByRole('button', { name: 'Confirm and join' }).click();
  const code = (await page.locator('.code').textContent()).trim();

  // The welcome offer needs ¥30 of dishes.
  await checkout(page, 'en', 4);
  await page.locator('#coupon-outcome', { hasText: /applied/ }).waitFor();
  assert.equal(await page.locator('#coupon').inputValue(), code);
  if (SHOTS) await page.screenshot({ path: join(SHOTS, 'coupon-welcome-en.png'), fullPage: true });
  await page.locator('#place').click();
  const number = await orderNumber(page);
  const [order] = (await api.queue('chunxi')).filter((o) => o.number === number);
  assert.ok(order.coupon && code.startsWith(order.coupon), `${order.coupon} from ${code}`);
  assert.ok(order.quote.discount > 0);
  // Used once: the next checkout does not offer it again.
  await checkout(page, 'en');
  assert.equal(await page.locator('#coupon').inputValue(), '');
  await context.close();
});
