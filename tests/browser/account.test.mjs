// The diner's "my account" with JavaScript off: from the join page to the account page,
// signing in with the code `carte serve` prints, the orders and coupons, withdrawing
// consent, and deleting one's data with a fresh code. axe-core on each page: 0 violations.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import AxeBuilder from '@axe-core/playwright';
import { apiClient, launch, phone, startSite } from './helpers.mjs';

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

async function axe(page, label) {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  const summary = violations.map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  assert.deepEqual(summary, [], `axe violations on ${label}`);
}

/** The last code `carte serve` printed for `address` (`email:…`) since `seen` codes. */
function lastCode(address) {
  const escaped = address.replace(/[.+]/g, '\\$&');
  const codes = [...site.log().matchAll(new RegExp(`one-time code for ${escaped} \\(.*?\\): (\\d{6})`, 'g'))];
  assert.ok(codes.length, `a code for ${address} on the server console`);
  return codes.at(-1)[1];
}

/** Signs in on the account page `page` shows, with the code the server printed. */
async function signIn(page, email) {
  await page.getByLabel('Phone number or email address').fill(email);
  await page.getByRole('button', { name: 'Send me a code' }).click();
  await page.getByRole('heading', { name: 'Enter your code' }).waitFor();
  await page.getByLabel('6-digit code').fill(lastCode(`email:${email}`));
  await page.getByLabel(/I agree that/).check();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(`Signed in as ${email}`).waitFor();
}

test('signs_in_sees_orders_withdraws_consent_and_deletes_the_data_without_javascript', { timeout: 120_000 }, async () => {
  const context = await phone(browser, { javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(site.base + '/en/join/');
  await page.getByRole('link', { name: 'My account' }).first().click();
  await page.getByRole('heading', { name: 'My account' }).waitFor();
  await signIn(page, 'li@example.com');
  assert.match(await page.locator('#coupons').textContent(), /not used yet/);
  assert.match(await page.locator('#orders').textContent(), /No orders yet/);

  // An order placed signed in shows on the account, and opens its status page.
  const cookies = await context.cookies();
  const member = cookies.find((c) => c.name === 'carte_member');
  assert.ok(member?.httpOnly, 'an HttpOnly session cookie');
  const cat = await api.catalog('chunxi');
  const placed = await fetch(site.base + '/api/orders', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'account-1', cookie: `carte_member=${member.value}` },
    body: JSON.stringify({ cart: { location: 'chunxi', fulfilment: { mode: 'dine_in', table: '1' }, lines: [{ dish: 'smashed-cucumber', quantity: 1 }] }, version: cat.version }),
  }).then((r) => r.json());
  await page.reload();
  await page.getByRole('link', { name: placed.number }).click();
  await page.getByText(placed.number).first().waitFor();
  await page.goBack();

  await page.getByRole('button', { name: 'Withdraw my consent' }).click();
  await page.getByText('You withdrew your consent on').waitFor();

  await page.getByRole('button', { name: 'Send me a code to delete my data' }).click();
  await page.getByText('To confirm, enter the 6-digit code').waitFor();
  await page.getByLabel('6-digit code').fill(lastCode('email:li@example.com'));
  await page.getByRole('button', { name: 'Delete my data now' }).click();
  await page.getByRole('heading', { name: 'Your data is deleted' }).waitFor();
  const left = (await context.cookies()).find((c) => c.name === 'carte_member');
  assert.ok(!left?.value, 'the session cookie is cleared');
  await page.goto(site.base + '/api/members/account?lang=en');
  await page.getByLabel('Phone number or email address').waitFor();
  await context.close();
});

test('the_account_pages_have_no_axe_violations', { timeout: 120_000 }, async () => {
  // axe runs as a script: the pages allow none, so this context lets it in.
  const context = await phone(browser, { bypassCSP: true });
  const page = await context.newPage();
  await page.goto(site.base + '/api/members/account?lang=zh');
  await axe(page, 'the sign-in page (zh)');
  await page.goto(site.base + '/api/members/account?lang=en');
  await axe(page, 'the sign-in page');
  await page.getByLabel('Phone number or email address').fill('wang@example.com');
  await page.getByRole('button', { name: 'Send me a code' }).click();
  await page.getByRole('heading', { name: 'Enter your code' }).waitFor();
  await axe(page, 'the code page');
  await page.getByLabel('6-digit code').fill('000000');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.problem').waitFor();
  await axe(page, 'the code page with a problem');
  await page.goto(site.base + '/api/members/account?lang=en');
  await signIn(page, 'wang@example.com');
  await axe(page, 'the account page');
  await page.getByRole('button', { name: 'Send me a code to delete my data' }).click();
  await page.getByText('To confirm, enter the 6-digit code').waitFor();
  await axe(page, 'the erasure confirmation');
  await context.close();
});
