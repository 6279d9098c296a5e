// The consoles on a phone (390×844), in a real Chromium against the real
// `carte serve`: the marketer dashboard in English and Chinese (no sideways
// scrolling, text ≥ 12 px, chart labels whole, the shop's own period, plain
// sign-in errors), and the staff console (the first order's Accept above the
// fold, pickup days, the redeem page from the navigation, the pickup board).
// axe finds 0 violations everywhere. With CARTE_SCREENSHOTS=1 it writes the
// phone screenshots of docs/screenshots/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { CARTE, ROOT, advance, apiClient, clippedText, launch, overflowX, phone, smallText, startSite, watchConsole } from './helpers.mjs';

const SHOTS = process.env.CARTE_SCREENSHOTS ? join(ROOT, 'docs/screenshots') : null;
const SHOP_TZ = 'Asia/Shanghai';

let site;
let browser;
let api;
let version;
let marketerKey;
let codes;

const shopDay = (d = new Date()) => new Intl.DateTimeFormat('en-CA', { timeZone: SHOP_TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
const nextDay = (iso) => new Date(Date.parse(`${iso}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

before(async () => {
  [site, browser] = await Promise.all([startSite(), launch()]);
  api = apiClient(site.base, site.key);
  version = (await api.catalog('chunxi')).version;
  marketerKey = execFileSync(CARTE, ['keys', '--dir', site.dir, 'create', '--role', 'marketer'], { encoding: 'utf8', timeout: 30_000 })
    .split(/\s+/).find((w) => w.startsWith('carte_'));
  const out = join(site.dir, 'printed');
  execFileSync(CARTE, ['coupons', '--dir', site.dir, 'issue', 'noodle-festival', '--coupon', 'SAVE10', '--count', '3', '--out', out], { encoding: 'utf8', timeout: 30_000 });
  const csv = readFileSync(join(out, readdirSync(out).find((f) => f.endsWith('.csv'))), 'utf8');
  codes = csv.trim().split('\r\n').slice(1).map((line) => line.split(',')[0]);
});

after(async () => {
  await browser?.close();
  await site?.stop();
});

async function axe(page, what) {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  const summary = violations.map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  assert.deepEqual(summary, [], `axe violations on ${what}`);
}

async function shot(page, name) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.evaluate(() => document.activeElement?.blur?.());
  await page.screenshot({ path: join(SHOTS, `${name}.png`), scale: 'css', fullPage: false });
}

/** The layout promises of a phone page. */
async function fitsThePhone(page, what) {
  assert.deepEqual(await overflowX(page), [], `nothing wider than the phone on ${what}`);
  assert.deepEqual(await smallText(page, 12), [], `no text under 12 px on ${what}`);
  assert.deepEqual(await clippedText(page), [], `no cut labels on ${what}`);
}

async function placeOrder({ slot, table = '2', lines = [{ dish: 'smashed-cucumber', quantity: 2, options: [] }], attribution, coupon } = {}) {
  const fulfilment = slot ? { mode: 'pickup', slot } : { mode: 'dine_in', table };
  const r = await api.order({ version, cart: { location: 'chunxi', fulfilment, lines, ...(coupon ? { coupon } : {}) }, ...(attribution ? { attribution } : {}) });
  assert.equal(r.status, 201, JSON.stringify(r.data));
  return r.data;
}

async function staffSignIn(page, path = '/staff/') {
  await page.goto(site.base + path);
  await page.locator('#key').fill(site.key);
  await page.locator('#signin-form button[type=submit]').click();
  await page.locator('#app').waitFor();
}

// ---- staff -------------------------------------------------------------------

test('staff_queue_on_a_phone_shows_the_first_accept_without_scrolling_and_the_pickup_day', { timeout: 90_000 }, async () => {
  // One order in the queue: a pickup tomorrow at 08:00 in the shop.
  const tomorrow = nextDay(shopDay());
  const order = await placeOrder({ slot: new Date(`${tomorrow}T08:00:00+08:00`).toISOString() });
  const context = await phone(browser);
  const page = await context.newPage();
  // Signed out, the console asks nothing of the API that would answer 401: no console error at all.
  const errors = watchConsole(page, { allowAuth: false });
  await page.goto(`${site.base}/staff/`);
  await page.locator('#signin').waitFor();
  await page.waitForLoadState('networkidle');
  assert.deepEqual(errors, [], 'signed out: no console error');
  await staffSignIn(page);
  const card = page.locator(`.order[data-number="${order.number}"]`);
  await card.waitFor();
  const accept = card.getByRole('button', { name: 'Accept' });
  const box = await accept.boundingBox();
  assert.equal(await page.evaluate(() => window.scrollY), 0);
  assert.ok(box && box.y >= 0 && box.y + box.height <= 844, `Accept is above the fold (${JSON.stringify(box)})`);
  assert.match((await card.locator('.where').textContent()).trim(), /^Pickup tomorrow 08:00( AM)?$/);
  await fitsThePhone(page, 'the queue');
  await axe(page, 'the queue on a phone');
  await shot(page, 'staff-queue-phone');

  // The settings fold away on a phone; open, they hold the language.
  await page.getByText('Settings').click();
  await page.locator('#lang').selectOption('zh');
  await card.locator('.where', { hasText: '自取 明天 08:00' }).waitFor();
  await page.locator('summary').click();
  const accept2 = (await card.getByRole('button', { name: '接单' }).boundingBox());
  assert.ok(accept2.y + accept2.height <= 844, 'Accept is above the fold in Chinese too');
  await fitsThePhone(page, 'the queue in Chinese');
  await axe(page, 'the queue in Chinese on a phone');
  await page.getByText('设置').click();
  await page.locator('#lang').selectOption('en');

  // A pickup today shows the time alone.
  const soon = new Date(Math.ceil((Date.now() + 40 * 60_000) / (15 * 60_000)) * 15 * 60_000);
  const today = await placeOrder({ slot: soon.toISOString() });
  const where = (await page.locator(`.order[data-number="${today.number}"] .where`).textContent()).trim();
  if (shopDay(soon) === shopDay()) assert.match(where, /^Pickup \d\d:\d\d( [AP]M)?$/);
  else assert.match(where, /^Pickup tomorrow \d\d:\d\d( [AP]M)?$/);
  await advance(api, order.id, 'completed');
  await advance(api, today.id, 'completed');
  assert.deepEqual(errors, []);
  await context.close();
});

test('staff_redeem_on_a_phone_from_the_navigation_with_money_in_yuan', { timeout: 90_000 }, async () => {
  const context = await phone(browser);
  const page = await context.newPage();
  const errors = watchConsole(page);
  await staffSignIn(page);
  await page.getByRole('navigation').getByRole('link', { name: 'Redeem' }).click();
  await page.waitForURL(/\/staff\/redeem\.html$/);
  await page.locator('#redeem-form').waitFor();
  await page.locator('#redeem-location option').first().waitFor({ state: 'attached' });
  // Labels above full-width fields, every field at least 44 px tall.
  const form = await page.locator('#redeem-form').boundingBox();
  for (const id of ['code', 'redeem-location', 'amount']) {
    const field = await page.locator(`#${id}`).boundingBox();
    const label = await page.locator(`label[for="${id}"]`).boundingBox();
    assert.ok(field.height >= 44, `#${id} is ${field.height}px tall`);
    assert.ok(field.width >= form.width - 1, `#${id} is as wide as the form (${field.width} of ${form.width})`);
    assert.ok(label.y + label.height <= field.y + 1, `the label of #${id} is above it`);
  }
  await fitsThePhone(page, 'the redeem form');
  await axe(page, 'the redeem form on a phone');

  await page.getByLabel("Code shown on the diner's phone").fill(codes[0].toLowerCase());
  await page.getByLabel('Location').selectOption('chunxi');
  await page.getByLabel('In-store spend').fill('80.00');
  await page.getByRole('button', { name: 'Redeem', exact: true }).click();
  await page.locator('#result').waitFor();
  assert.equal((await page.locator('#to-pay').textContent()).trim(), '¥70.00');
  assert.match(await page.locator('#grant').textContent(), /Spend¥80\.00Discount−¥10\.00/);
  await fitsThePhone(page, 'a redemption');
  await axe(page, 'a redemption on a phone');
  await shot(page, 'staff-redeem-phone');
  await page.emulateMedia({ colorScheme: 'dark' });
  await axe(page, 'a redemption on a phone (dark)');
  await page.emulateMedia({ colorScheme: 'light' });

  // In Chinese: the same form, the same yuan, refusals in Chinese.
  await page.getByText('Settings').click();
  await page.locator('#lang').selectOption('zh');
  await page.locator('h1', { hasText: '核销优惠券' }).waitFor();
  assert.equal((await page.locator('#to-pay').textContent()).trim(), '¥70.00');
  await page.locator('summary').click();
  await page.getByLabel('顾客手机上显示的券码').fill(codes[0]);
  await page.getByLabel('店内消费金额').fill('80');
  await page.getByRole('button', { name: '核销', exact: true }).click();
  await page.locator('#error', { hasText: '已被使用' }).waitFor();
  await fitsThePhone(page, 'the redeem form in Chinese');
  await axe(page, 'the redeem form in Chinese');
  await page.getByText('设置').click();
  await page.locator('#lang').selectOption('en');
  // The refusal above is a 422 answer, which Chromium logs; nothing else.
  assert.deepEqual(errors.filter((e) => !/status of 422/.test(e)), []);
  await context.close();
});

test('the_pickup_board_lists_pickup_orders_only_and_hides_its_picker_from_diners', { timeout: 90_000 }, async () => {
  const tomorrow = nextDay(shopDay());
  const pickup = await placeOrder({ slot: new Date(`${tomorrow}T09:00:00+08:00`).toISOString() });
  const dineIn = await placeOrder({ table: '7' });
  await advance(api, pickup.id, 'ready');
  await advance(api, dineIn.id, 'ready');
  const waiting = await placeOrder({ slot: new Date(`${tomorrow}T09:15:00+08:00`).toISOString() });
  const cooking = await placeOrder({ table: '8' });

  // The screen by the counter is opened from the console (signed in on that device).
  const context = await phone(browser);
  const page = await context.newPage();
  const errors = watchConsole(page);
  await staffSignIn(page);
  await page.getByRole('navigation').getByRole('link', { name: 'Board' }).click();
  await page.waitForURL(/board\.html\?location=chunxi$/);
  await page.locator('#ready li', { hasText: pickup.number }).waitFor();
  await page.locator('#preparing li', { hasText: waiting.number }).waitFor();
  const shown = await page.locator('.numbers li').allTextContents();
  assert.ok(!shown.includes(dineIn.number) && !shown.includes(cooking.number), `no dine-in numbers: ${shown}`);
  assert.equal(await page.locator('#location').count(), 0, 'no location picker when the URL names the location');
  await axe(page, 'the board on a phone');
  // Set up without a location in the URL: the picker is there to choose one.
  await page.goto(`${site.base}/staff/board.html`);
  await page.locator('#location').waitFor();
  for (const o of [pickup, dineIn, waiting, cooking]) await advance(api, o.id, 'completed').catch(() => {});
  assert.deepEqual(errors, []);
  await context.close();
});

// ---- the marketer --------------------------------------------------------------

test('admin_sign_in_errors_in_plain_words_and_no_console_error_signed_out', { timeout: 60_000 }, async () => {
  const context = await phone(browser);
  const page = await context.newPage();
  const errors = watchConsole(page, { allowAuth: false });
  await page.goto(`${site.base}/admin/`);
  await page.locator('#signin-form').waitFor();
  await page.waitForLoadState('networkidle');
  assert.deepEqual(errors, [], 'signed out: no console error');
  await fitsThePhone(page, 'the sign-in');
  await axe(page, 'the dashboard sign-in');

  await page.getByLabel('Marketer key').fill(site.key);
  await page.getByRole('button', { name: 'Open the dashboard' }).click();
  await page.locator('#signin-error', { hasText: 'This key is not a marketer key.' }).waitFor();
  await page.getByLabel('Marketer key').fill('carte_not_a_real_key_at_all_000000');
  await page.getByRole('button', { name: 'Open the dashboard' }).click();
  await page.locator('#signin-error', { hasText: 'This key is not known or was revoked.' }).waitFor();
  await axe(page, 'the dashboard sign-in with an error');

  const zh = await context.newPage();
  await zh.goto(`${site.base}/admin/?lang=zh`);
  await zh.getByLabel('营销密钥').fill(site.key);
  await zh.getByRole('button', { name: '打开数据看板' }).click();
  await zh.locator('#signin-error', { hasText: '此密钥不是营销密钥' }).waitFor();
  await context.close();
});

test('admin_on_a_phone_in_english_and_chinese_with_the_shops_period', { timeout: 90_000 }, async () => {
  // Figures to show: two visits and an order through the table tent, a counter redemption.
  for (let i = 0; i < 2; i += 1) {
    assert.equal((await api.call('POST', '/api/visits', { campaign: 'noodle-festival', channel: 'table-tent', location: 'chunxi' })).status, 202);
  }
  await placeOrder({ attribution: { campaign: 'noodle-festival', channel: 'table-tent' }, lines: [{ dish: 'smashed-cucumber', quantity: 2, options: [] }] });
  const redeemed = await api.call('POST', '/api/staff/redemptions', { code: codes[1], location: 'chunxi', amount: 8000 });
  assert.equal(redeemed.status, 201, JSON.stringify(redeemed.data));
  // SAVE10 typed in without the campaign's link: the campaign's "coupon only" channel.
  const saved = await placeOrder({ coupon: 'SAVE10', lines: [{ dish: 'smashed-cucumber', quantity: 7, options: [] }] });
  // ROI counts money received: the diner pays it in cash at the counter.
  const paid = await api.call('POST', `/api/staff/orders/${saved.id}/payments`, { method: 'cash', amount: saved.quote.total }, { 'idempotency-key': crypto.randomUUID() });
  assert.equal(paid.status, 201, JSON.stringify(paid.data));
  // The server's default period, and what the shop calls today.
  const report = (path) => fetch(`${site.base}/api/reports/${path}`, { headers: { authorization: `Bearer ${marketerKey}` } }).then((r) => r.json());
  const defaults = await report('campaigns');
  const sales = await report('sales');
  assert.equal(defaults.to, shopDay(), "the server's default ends on the shop's today");

  // A laptop in Los Angeles would have another date: the page must not use it.
  const context = await phone(browser, { timezoneId: 'America/Los_Angeles', locale: 'en-US' });
  const page = await context.newPage();
  const errors = watchConsole(page);
  const asked = [];
  page.on('request', (r) => { if (r.url().includes('/api/reports/')) asked.push(r.url()); });
  await page.goto(`${site.base}/admin/`);
  await page.getByLabel('Marketer key').fill(marketerKey);
  await page.getByRole('button', { name: 'Open the dashboard' }).click();
  const status = page.locator('#status[data-to]');
  await status.waitFor();
  assert.ok(asked.length >= 2 && asked.every((u) => !/[?&](from|to)=/.test(u)), `the default view leaves the dates to the server: ${asked}`);
  assert.equal(await status.getAttribute('data-from'), defaults.from);
  assert.equal(await status.getAttribute('data-to'), defaults.to);
  assert.match(await status.textContent(), /^Figures from .+ to .+ \(CNY\)\.$/);
  assert.equal(await page.locator('#to').inputValue(), defaults.to, 'the date fields show the period answered');
  const figure = async (name) => (await page.locator(`#totals [data-figure="${name}"]`).textContent()).trim();
  assert.equal(await figure('visits'), '2');
  assert.equal(await figure('orders'), String(defaults.totals.orders));
  assert.equal(await figure('redemptions_counter'), String(defaults.totals.redemptions_counter));
  assert.ok(defaults.totals.redemptions_counter >= 1);
  assert.equal(await figure('discount'), `¥${(defaults.totals.discount / 100).toFixed(2)}`);
  // Names in English where the API has them in English; else the site's default, marked as Chinese.
  const festival = page.locator('#campaigns tr[data-campaign="noodle-festival"] th');
  const festivalName = (await festival.textContent()).trim();
  assert.ok(festivalName === 'Autumn Noodle Festival' || (festivalName === '秋冬面条节' && (await festival.getAttribute('lang')) === 'zh'), festivalName);
  assert.equal((await page.locator('#dishes tr[data-dish="smashed-cucumber"] th').textContent()).trim(), 'Smashed Cucumber');
  await page.locator('button[data-campaign="noodle-festival"]').click();
  await page.locator('#channels tr[data-channel="counter"] th', { hasText: 'At the counter' }).waitFor();
  assert.match(await page.locator('#channel-chart').textContent(), /1 order, 0 at the counter/);

  // What a marketer acts on, per campaign and per channel, as the API computes it ("—" where undefined).
  const yuan = (minor) => `¥${(minor / 100).toFixed(2)}`;
  const cell = (table, row, name) => page.locator(`#${table} tr[${row}] td[data-figure="${name}"]`).textContent().then((s) => s.trim());
  const festivalFigures = defaults.campaigns.find((c) => c.campaign === 'noodle-festival');
  assert.ok(festivalFigures.roi_bp > 0 && festivalFigures.conversion_bp > 0, JSON.stringify(festivalFigures));
  assert.equal(await cell('campaigns', 'data-campaign="noodle-festival"', 'cost_per_order'), yuan(festivalFigures.cost_per_order));
  assert.equal(await cell('campaigns', 'data-campaign="noodle-festival"', 'roi_bp'), `${(festivalFigures.roi_bp / 10000).toFixed(2)}×`);
  assert.equal(await cell('campaigns', 'data-campaign="noodle-festival"', 'conversion_bp'), `${(festivalFigures.conversion_bp / 100).toFixed(1)}%`);
  // The counter: ¥10.00 off a spend of ¥80.00 each time, so 8.00 back for every 1.00 given; no visits, no conversion.
  assert.equal(await cell('channels', 'data-channel="counter"', 'cost_per_order'), '¥10.00');
  assert.equal(await cell('channels', 'data-channel="counter"', 'roi_bp'), '8.00×');
  assert.equal(await cell('channels', 'data-channel="counter"', 'conversion_bp'), '—');
  // The table tent: two visits, one order, no discount.
  assert.equal(await cell('channels', 'data-channel="table-tent"', 'conversion_bp'), '50.0%');
  assert.equal(await cell('channels', 'data-channel="table-tent"', 'cost_per_order'), '¥0.00');
  assert.equal(await cell('channels', 'data-channel="table-tent"', 'roi_bp'), '—');
  // Coupon only: the SAVE10 order above, its name from the report's `names`.
  const coupon = festivalFigures.channels.find((h) => h.channel === 'coupon');
  assert.equal(coupon.orders, 1, JSON.stringify(coupon));
  assert.equal((await page.locator('#channels tr[data-channel="coupon"] th').textContent()).trim(), 'Coupon only (no link)');
  assert.equal(await cell('channels', 'data-channel="coupon"', 'orders'), '1');
  assert.equal(await cell('channels', 'data-channel="coupon"', 'cost_per_order'), '¥10.00');
  assert.equal(coupon.net_paid, coupon.revenue, 'paid in full');
  assert.equal(await cell('channels', 'data-channel="coupon"', 'roi_bp'), `${(coupon.net_paid / 1000).toFixed(2)}×`);
  assert.equal(await cell('channels', 'data-channel="coupon"', 'conversion_bp'), '—');
  // The burn rate beside the coupons: the campaign's discount over the 30 days, rounded.
  assert.equal(festivalFigures.discount_per_day, Math.round(festivalFigures.discount / 30));
  assert.equal((await page.locator('#burn').textContent()).trim(), `Discount given per day in this period: ${yuan(festivalFigures.discount_per_day)}`);

  // Totals over time: today's orders among the 30 days, against the 30 days before (no orders then).
  assert.equal(sales.by_day.length, 30);
  assert.equal(sales.previous.orders, 0);
  const trend = async (name, what = 'figure') => (await page.locator(`#trend [data-${what}="${name}"]`).textContent()).trim();
  assert.equal(await trend('orders'), String(sales.orders));
  assert.equal(await trend('revenue'), yuan(sales.revenue));
  assert.equal(await trend('orders', 'change'), `Change: +${sales.orders}`);
  assert.equal(await trend('revenue', 'change'), `Change: +${yuan(sales.revenue)}`);
  assert.match(await page.locator('#vs-previous').textContent(), /^vs previous 30 days \(.+ – .+\): 0 orders, ¥0\.00$/);
  assert.equal(await page.locator('#day-charts [data-chart="orders"] rect').count(), sales.by_day.filter((d) => d.orders > 0).length);
  await page.getByText('Each day').click();
  assert.equal(await page.locator('#days tbody tr').count(), 30);
  const todayRow = page.locator(`#days tr[data-day="${shopDay()}"] td`);
  assert.equal((await todayRow.nth(0).textContent()).trim(), String(sales.by_day.at(-1).orders));
  assert.equal((await todayRow.nth(1).textContent()).trim(), yuan(sales.by_day.at(-1).revenue));
  assert.equal(sales.by_day.at(-1).orders, sales.orders, 'every order of the period was placed today');
  await fitsThePhone(page, 'the dashboard');
  await axe(page, 'the dashboard on a phone');
  await page.emulateMedia({ colorScheme: 'dark' });
  await axe(page, 'the dashboard on a phone (dark)');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'admin-phone-en');

  // Switch to Chinese: the same figures, the names in Chinese, the period kept.
  await page.getByLabel('Language').selectOption('zh');
  await page.locator('h1', { hasText: '营销活动' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh');
  assert.match(page.url(), /[?&]lang=zh/);
  assert.equal((await festival.textContent()).trim(), '秋冬面条节');
  assert.equal((await page.locator('#dishes tr[data-dish="smashed-cucumber"] th').textContent()).trim(), '拍黄瓜');
  assert.equal((await page.locator('#channels tr[data-channel="counter"] th').textContent()).trim(), '到店核销');
  assert.equal((await page.locator('#channels tr[data-channel="coupon"] th').textContent()).trim(), '仅优惠码（无链接）');
  const heads = await page.locator('#channels thead th').allTextContents();
  for (const head of ['单均优惠', '投入产出比', '转化率']) assert.ok(heads.includes(head), `${head} in ${heads}`);
  assert.equal(await cell('channels', 'data-channel="counter"', 'roi_bp'), '8.00×');
  assert.equal(await cell('channels', 'data-channel="table-tent"', 'conversion_bp'), '50.0%');
  assert.equal((await page.locator('#burn').textContent()).trim(), `本期日均优惠：${yuan(festivalFigures.discount_per_day)}`);
  assert.equal((await page.locator('#trend-h').textContent()).trim(), '总计走势');
  assert.equal(await trend('orders', 'change'), `变化：+${sales.orders}`);
  assert.match(await page.locator('#vs-previous').textContent(), /^对比前 30 天（.+至.+）：0 单，¥0\.00$/);
  assert.match(await page.locator('#status').textContent(), /至.+的数据/);
  await fitsThePhone(page, 'the dashboard in Chinese');
  await axe(page, 'the dashboard in Chinese on a phone');
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'admin-phone-zh');

  // Chosen dates are sent as chosen.
  await page.locator('#from').fill(defaults.to);
  await page.getByRole('button', { name: '查看' }).click();
  await page.locator(`#status[data-from="${defaults.to}"]`).waitFor();
  assert.ok(asked.some((u) => u.includes(`from=${defaults.to}`)));

  // Tomorrow and the day after: nothing yet, against yesterday and today (every order so far).
  const tomorrow = nextDay(defaults.to);
  await page.locator('#from').fill(tomorrow);
  await page.locator('#to').fill(nextDay(tomorrow));
  await page.getByRole('button', { name: '查看' }).click();
  await page.locator(`#vs-previous[data-to="${defaults.to}"]`).waitFor();
  assert.match(await page.locator('#vs-previous').textContent(), new RegExp(`^对比前 2 天（.+至.+）：${sales.orders} 单，¥${(sales.revenue / 100).toFixed(2)}$`));
  assert.equal(await trend('orders'), '0');
  assert.equal(await trend('orders', 'change'), `变化：−${sales.orders} (−100.0%)`);
  assert.equal(await trend('revenue', 'change'), `变化：−${yuan(sales.revenue)} (−100.0%)`);
  assert.equal(await page.locator('#days tbody tr').count(), 2);
  assert.equal(await page.locator('#day-charts rect').count(), 0);
  await fitsThePhone(page, 'a period without orders');
  await axe(page, 'a period without orders');
  assert.deepEqual(errors, []);
  await context.close();

  // Chinese from the browser's language, without asking.
  const zhContext = await phone(browser, { locale: 'zh-CN' });
  const zh = await zhContext.newPage();
  await zh.goto(`${site.base}/admin/`);
  await zh.locator('h1', { hasText: '营销活动' }).waitFor();
  await zhContext.close();
});
