// Ordering with JavaScript off (the plain form), keyboard-only ordering, sign-up,
// and axe-core on every page type: 0 violations.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import AxeBuilder from '@axe-core/playwright';
import { advance, apiClient, launch, menuReady, orderNumber, phone, startSite } from './helpers.mjs';

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

async function axe(page, label, disabled = []) {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).disableRules(disabled).analyze();
  const summary = violations.map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  assert.deepEqual(summary, [], `axe violations on ${label}`);
}

test('orders_with_javascript_off_through_the_plain_form', { timeout: 90_000 }, async () => {
  const context = await phone(browser, { javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(site.base + '/en/chunxi/?table=6');
  const dish = page.locator('#d-dan-dan-noodles');
  assert.ok(await dish.locator('[data-add]').isHidden(), 'no script-only buttons without scripts');
  await dish.getByLabel('Quantity Dan Dan Noodles').fill('3');
  await page.locator('#table').selectOption('6');
  await page.locator('#coupon').fill('SAVE10');
  await page.locator('#note').fill('no coriander');
  await page.locator('#place').click();
  // The menu carries quantities only: the noodles' options are a second step.
  await page.getByRole('heading', { name: 'Choose options' }).waitFor();
  await page.getByRole('heading', { name: '3 × Dan Dan Noodles' }).waitFor();
  await page.getByRole('radio', { name: 'Hot', exact: true }).check();
  await page.getByRole('checkbox', { name: /^Braised egg/ }).check();
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.getByText('Thank you, your order is in').waitFor();
  const number = (await page.locator('.number').textContent()).trim();
  const [order] = (await api.queue('chunxi')).filter((o) => o.number === number);
  assert.equal(order.cart.lines[0].quantity, 3);
  assert.deepEqual(order.cart.lines[0].options, [{ group: 'spice', choices: ['hot'] }, { group: 'add-ons', choices: ['braised-egg'] }]);
  assert.equal(order.coupon, 'SAVE10');
  assert.equal(order.note, 'no coriander');
  // The server's status page follows the order without scripts (a Refresh link).
  await page.getByText("Follow your order's status").click();
  await page.getByText('Received').first().waitFor();
  await advance(api, order.id, 'ready');
  await page.getByRole('link', { name: 'Refresh' }).click();
  await page.getByText('Ready: on its way to your table').waitFor();
  await context.close();
});

test('without_javascript_the_qr_codes_table_is_the_orders_table', { timeout: 90_000 }, async () => {
  const context = await phone(browser, { javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(site.base + '/en/chunxi/?table=5');
  // The page cannot preselect the table without scripts: it says to leave it.
  await page.getByText('Came from the QR code on your table? Leave this as it is').waitFor();
  assert.equal(await page.locator('#table').inputValue(), '');
  await page.locator('#d-smashed-cucumber').getByLabel('Quantity Smashed Cucumber').fill('1');
  await page.locator('#place').click();
  await page.getByText('Thank you, your order is in').waitFor();
  const number = (await page.locator('.number').textContent()).trim();
  const [order] = (await api.queue('chunxi')).filter((o) => o.number === number);
  assert.equal(order.cart.fulfilment.table, '5');
  await context.close();
});

test('orders_with_the_keyboard_only', { timeout: 90_000 }, async () => {
  const context = await phone(browser, { isMobile: false, hasTouch: false });
  const page = await context.newPage();
  await page.goto(site.base + '/en/chunxi/?table=11');
  await menuReady(page);
  // Tab from the top of the page to the first Add button of the noodles.
  const addButton = page.locator('#d-dan-dan-noodles [data-add]');
  await page.keyboard.press('Tab');
  for (let i = 0; i < 80 && !(await addButton.evaluate((b) => b === document.activeElement)); i++) await page.keyboard.press('Tab');
  assert.ok(await addButton.evaluate((b) => b === document.activeElement), 'the Add button is reachable by Tab');
  await page.keyboard.press('Enter');
  // The choices come from the dish's page: once they are in, focus is on the first.
  await page.locator('#dlg fieldset').first().waitFor();
  await page.waitForFunction(() => document.activeElement.matches('#dlg input'));
  // Focus is inside the dialog, on the first choice; arrows pick a radio.
  assert.equal(await page.evaluate(() => document.activeElement.closest('dialog')?.id), 'dlg');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Tab'); // to the add-ons
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');
  for (let i = 0; i < 6 && !(await page.evaluate(() => document.activeElement.id === 'dlg-ok')); i++) await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.locator('#dlg').waitFor({ state: 'hidden' });
  assert.ok(await addButton.evaluate((b) => b === document.activeElement), 'focus returns to the Add button');
  // The cart bar, then the checkout, by keyboard.
  for (let i = 0; i < 120 && !(await page.evaluate(() => document.activeElement.id === 'view')); i++) await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'checkout');
  for (let i = 0; i < 40 && !(await page.evaluate(() => document.activeElement.id === 'place')); i++) await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  const number = await orderNumber(page);
  const [order] = (await api.queue('chunxi')).filter((o) => o.number === number);
  assert.equal(order.cart.fulfilment.table, '11');
  assert.deepEqual(order.cart.lines[0].options.map((o) => o.group), ['spice', 'add-ons']);
  await context.close();
});

test('joins_the_club_and_sees_the_welcome_code', { timeout: 90_000 }, async () => {
  const context = await phone(browser);
  const page = await context.newPage();
  await page.goto(site.base + '/en/join/');
  await menuReady(page);
  await page.getByLabel('Phone').fill('138 0013 8000');
  await page.locator('#j-go').click();
  await page.getByText('Tick the box to agree first.').waitFor();
  await page.getByLabel(/I agree/).check();
  await page.locator('#j-go').click();
  await page.getByText('We sent a code.', { exact: false }).waitFor();
  // `carte serve` without a mail server or SMS provider shows the code on its console.
  const sent = site.log().match(/one-time code for phone:\+8613800138000 \(.*?\): (\d{6})/);
  assert.ok(sent, 'the code is on the server console');
  await page.getByLabel('The 6-digit code we sent').fill(sent[1]);
  await page.getByRole('button', { name: 'Confirm and join' }).click();
  await page.getByText('Welcome! You are a member.').waitFor();
  const code = (await page.locator('.code').textContent()).trim();
  assert.match(code, /\w{4,}/);
  assert.ok(await page.evaluate(() => JSON.parse(localStorage.getItem('carte:member')).id));
  await axe(page, 'join page after sign-up');
  await context.close();
});

test('every_page_type_has_no_axe_violations', { timeout: 90_000 }, async () => {
  const cat = await api.catalog('chunxi');
  const placed = await api.order({ cart: { location: 'chunxi', fulfilment: { mode: 'dine_in', table: '1' }, lines: [{ dish: 'smashed-cucumber', quantity: 1 }] }, version: cat.version });
  const status = `/en/status/?id=${placed.data.id}&token=${placed.data.token}`;
  const every = ['/', '/en/', '/zh/', '/en/chunxi/', '/zh/kuanzhai/', '/en/dishes/dan-dan-noodles/', '/en/about/', '/en/tags/spicy/', '/en/join/', status, '/qr/', '/en/no-such-page/'];
  // Dark mode changes colours only: the pages with the most colours are checked in both.
  const pages = { light: every, dark: ['/en/chunxi/', '/en/dishes/dan-dan-noodles/', '/en/join/', status] };
  for (const [scheme, paths] of Object.entries(pages)) {
    const context = await phone(browser, { colorScheme: scheme });
    const page = await context.newPage();
    for (const path of paths) {
      await page.goto(site.base + path);
      await menuReady(page);
      await axe(page, `${path} (${scheme})`);
    }
    // The options dialog and the checkout view.
    await page.goto(site.base + '/en/chunxi/?table=2');
    await menuReady(page);
    await page.locator('#d-dan-dan-noodles [data-add]').click();
    await page.locator('#dlg fieldset').first().waitFor();
    await axe(page, `options dialog (${scheme})`);
    await page.locator('#dlg label', { hasText: 'Mild' }).click();
    await page.locator('#dlg-ok').click();
    await page.locator('#view').click();
    await page.locator('#coupon').fill('NOPE');
    await page.locator('#apply').click();
    await page.locator('#coupon-outcome').waitFor();
    await axe(page, `checkout (${scheme})`);
    // The server's own no-JS pages: the confirmation of a form post, and the status page.
    if (scheme === 'dark') { await context.close(); continue; } // those pages carry no dark styles
    const form = new URLSearchParams({ location: 'chunxi', mode: 'dine_in', table: '3', lang: 'en', 'qty.smashed-cucumber': '1' });
    const confirmation = await (await fetch(`${site.base}/api/orders`, { method: 'POST', body: form })).text();
    await page.setContent(confirmation);
    await axe(page, `server confirmation page (${scheme})`);
    const step = new URLSearchParams({ location: 'chunxi', mode: 'dine_in', table: '3', lang: 'en', 'qty.noodle-set': '1' });
    await page.setContent(await (await fetch(`${site.base}/api/orders`, { method: 'POST', body: step })).text());
    await page.getByRole('heading', { name: 'Choose options' }).waitFor();
    await page.locator('fieldset[data-group="noodles"] > label').first().click();
    await axe(page, `server options step (${scheme})`);
    await page.goto(site.base + placed.data.status_url);
    await axe(page, `server status page (${scheme})`);
    await context.close();
  }
});
