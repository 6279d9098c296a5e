// After ordering: the status page in the diner's language, the right words for a
// table and for pickup, an estimate from the queue, the pickup address with a map
// link, prompt updates, and the no-JS status page without a timed refresh.
// CARTE_SCREENSHOTS=1 writes phone screenshots of the states to docs/screenshots/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { advance, apiClient, launch, menuReady, phone, ROOT, startSite } from './helpers.mjs';

const SHOTS = process.env.CARTE_SCREENSHOTS ? join(ROOT, 'docs/screenshots') : null;

let site;
let browser;
let api;
let version;

before(async () => {
  browser = await launch();
  site = await startSite();
  api = apiClient(site.base, site.key);
  version = (await api.catalog('chunxi')).version;
});
after(async () => {
  await browser?.close();
  await site?.stop();
});

const noodles = { dish: 'dan-dan-noodles', quantity: 2, options: [{ group: 'spice', choices: ['medium'] }, { group: 'add-ons', choices: ['fried-egg'] }] };

async function placeOrder(location, fulfilment, lines = [noodles]) {
  const r = await api.order({ version: (await api.catalog(location)).version, cart: { location, fulfilment, lines } });
  assert.equal(r.status, 201, JSON.stringify(r.data));
  return r.data;
}

async function axe(page, label) {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  assert.deepEqual(violations.map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`), [], `axe violations on ${label}`);
}

async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function openStatus(lang, placed, options) {
  const context = await phone(browser, options);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${site.base}/${lang}/status/?id=${encodeURIComponent(placed.id)}&token=${encodeURIComponent(placed.token)}`);
  await menuReady(page);
  await page.waitForFunction(() => /\w-\d+/.test(document.querySelector('#number')?.textContent || ''));
  return { context, page, errors };
}

test('status_of_a_table_order_in_english_and_chinese_with_an_estimate', { timeout: 90_000 }, async () => {
  assert.ok(version);
  // Three earlier orders reach "ready": the estimate is their median.
  for (let i = 0; i < 3; i++) await advance(api, (await placeOrder('chunxi', { mode: 'dine_in', table: '3' })).id, 'ready');
  const before = await placeOrder('chunxi', { mode: 'dine_in', table: '4' });
  const placed = await placeOrder('chunxi', { mode: 'dine_in', table: '7' });

  const en = await openStatus('en', placed);
  const summary = await en.page.locator('#summary').textContent();
  assert.match(summary, /2 × Dan Dan Noodles \(Medium, Fried egg\)/);
  assert.doesNotMatch(summary, /担担面/);
  assert.match(await en.page.locator('#where-s').textContent(), /We bring it to your table \(7\)/);
  assert.ok(await en.page.locator('#place').isHidden(), 'no pickup address for a table');
  // The steps speak of the table too: nothing to collect.
  assert.equal(await en.page.locator('#steps [data-step=ready]').textContent(), 'Ready: on its way to your table');
  await en.page.locator('#eta-time', { hasText: /Should be ready (around \d|any moment)/ }).waitFor();
  assert.match(await en.page.locator('#eta-ahead').textContent(), /Orders ahead of yours: [1-9]/);
  assert.match(await en.page.locator('#eta-how').textContent(), /median time from order to ready of this shop's last [3-9]\d* orders/);
  await axe(en.page, 'the English status page');
  await shot(en.page, 'status-table-en');

  // Prompt: a change shows within one steady check (≤ 4 s), long after the page opened.
  await en.page.waitForTimeout(9_000);
  await advance(api, before.id, 'completed');
  await advance(api, placed.id, 'ready');
  const t0 = Date.now();
  await en.page.locator('#state', { hasText: 'Ready: on its way to your table' }).waitFor({ timeout: 6_000 });
  assert.ok(Date.now() - t0 < 6_000);
  assert.ok(await en.page.locator('#eta').isHidden(), 'no estimate once ready');
  await shot(en.page, 'status-table-ready-en');
  assert.deepEqual(en.errors, []);
  await en.context.close();

  const zh = await openStatus('zh', placed);
  assert.match(await zh.page.locator('#summary').textContent(), /2 × 担担面 \(中辣, 煎蛋\)/);
  assert.match(await zh.page.locator('#where-s').textContent(), /送到您的餐桌（7 号桌）/);
  await zh.page.locator('#state', { hasText: '马上送到您的餐桌' }).waitFor();
  assert.deepEqual(zh.errors, []);
  await zh.context.close();
});

test('status_of_a_pickup_order_names_the_place_with_a_map_link', { timeout: 90_000 }, async () => {
  const menu = await phone(browser);
  const m = await menu.newPage();
  await m.goto(site.base + '/en/kuanzhai/');
  await menuReady(m);
  await m.locator('#d-smashed-cucumber [data-add]').click();
  await m.locator('#view').click();
  const slot = await m.locator('#slot option').nth(3).getAttribute('value');
  await menu.close();
  const placed = await placeOrder('kuanzhai', { mode: 'pickup', slot }, [{ dish: 'smashed-cucumber', quantity: 1 }]);
  const catalog = await api.catalog('kuanzhai');

  for (const [lang, collect] of [['en', /Collect it at /], ['zh', /请到.+取餐/]]) {
    const { context, page, errors } = await openStatus(lang, placed);
    await page.locator('#place').waitFor();
    assert.match(await page.locator('#place-name').textContent(), collect);
    assert.match(await page.locator('#steps [data-step=ready]').textContent(), lang === 'en' ? /please collect it/ : /请取餐/);
    const address = (await page.locator('#place-address').textContent()).trim();
    assert.ok(address.length > 4, 'an address');
    assert.equal(address, catalog.location.address[lang] ?? address);
    const map = await page.locator('#place-map').getAttribute('href');
    assert.equal(map, `https://www.openstreetmap.org/search?query=${new URLSearchParams({ q: address }).toString().slice(2)}`);
    assert.match(await page.locator('#eta-time').textContent(), lang === 'en' ? /Should be ready/ : /预计|马上/);
    if (lang === 'en') await shot(page, 'status-pickup-en');
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test('the_plain_status_page_has_a_refresh_link_not_a_timed_refresh', { timeout: 90_000 }, async () => {
  const placed = await placeOrder('chunxi', { mode: 'dine_in', table: '7' });
  // The server's page carries no script (its CSP allows none); scripts stay on in the
  // browser so axe can run.
  const context = await phone(browser);
  const page = await context.newPage();
  const url = `${site.base}/api/orders/${encodeURIComponent(placed.id)}?token=${encodeURIComponent(placed.token)}`;
  await page.goto(url + '&lang=en');
  assert.equal(await page.locator('meta[http-equiv=refresh]').count(), 0);
  assert.match(await page.locator('main').textContent(), /2 × Dan Dan Noodles \(Medium, Fried egg\)/);
  await page.getByText('We bring it to your table (7)').waitFor();
  await page.getByText(/Orders ahead of yours: \d+/).waitFor();
  await axe(page, 'the plain status page');
  await shot(page, 'status-plain-en');
  await advance(api, placed.id, 'ready');
  await page.getByRole('link', { name: 'Refresh' }).click();
  await page.getByText('Ready: on its way to your table').waitFor();
  assert.equal(await page.getByRole('link', { name: 'Refresh' }).count(), 0, 'nothing left to wait for');

  await page.goto(url + '&lang=zh');
  assert.match(await page.locator('main').textContent(), /2 × 担担面 \(中辣, 煎蛋\)/);
  await page.getByText('已做好：马上送到您的餐桌').waitFor();
  await context.close();
});

test('your_orders_are_kept_on_the_device_and_linked_from_the_menu', { timeout: 90_000 }, async () => {
  const context = await phone(browser);
  const page = await context.newPage();
  // One order placed on the menu (app.js keeps it), one followed from its status link.
  await page.goto(site.base + '/en/chunxi/?table=5');
  await menuReady(page);
  await page.locator('#d-smashed-cucumber [data-add]').click();
  await page.locator('#view').click();
  await page.locator('#place').click();
  await page.waitForURL(/\/status\/\?id=/);
  await page.waitForFunction(() => /\w-\d+/.test(document.querySelector('#number')?.textContent || ''));
  const first = (await page.locator('#number').textContent()).trim();
  const followed = await placeOrder('chunxi', { mode: 'dine_in', table: '5' });
  await page.goto(`${site.base}/en/status/?id=${encodeURIComponent(followed.id)}&token=${encodeURIComponent(followed.token)}`);
  await page.waitForFunction(() => /\w-\d+/.test(document.querySelector('#number')?.textContent || ''));

  for (const [lang, label] of [['en', 'Your orders'], ['zh', '我的订单']]) {
    await page.goto(`${site.base}/${lang}/chunxi/`);
    await page.getByRole('link', { name: label }).click();
    await page.waitForURL(new RegExp(`/${lang}/status/$`));
    await page.locator('h1', { hasText: label }).waitFor();
    const items = await page.locator('#mine li a').allTextContents();
    assert.equal(items.length, 2, JSON.stringify(items));
    assert.ok(items[0].startsWith(followed.number), `newest first: ${items}`);
    assert.ok(items[1].startsWith(first), `${items}`);
    if (lang === 'en') { await axe(page, 'your orders'); await shot(page, 'your-orders-en'); }
  }
  await page.locator('#mine li a').nth(1).click();
  await page.locator('#number', { hasText: first }).waitFor();
  await context.close();

  // A device with no orders says so.
  const fresh = await phone(browser);
  const empty = await fresh.newPage();
  await empty.goto(site.base + '/zh/status/');
  await empty.getByText('这台设备上还没有订单。').waitFor();
  await fresh.close();
});
