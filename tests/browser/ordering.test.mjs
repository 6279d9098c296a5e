// The diner's journeys with JavaScript on, in a phone-sized Chromium against the
// real `carte serve` (a fresh copy of the demo site and store per file).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { advance, apiClient, CARTE, launch, menuReady, orderNumber, phone, startSite } from './helpers.mjs';

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

/** Opens a page in a fresh phone context, failing the test on any script error. */
async function open(path, options) {
  const context = await phone(browser, options);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(site.base + path);
  await menuReady(page); // the script loads after the first paint
  return { context, page, errors };
}

const queueFor = async (location, predicate = () => true) => (await api.queue(location)).filter(predicate);

test('orders_from_table_qr_with_coupon: options, coupon, order, status follows the kitchen', { timeout: 90_000 }, async () => {
  const { context, page, errors } = await open('/en/chunxi/?table=7');
  await page.getByText('Table 7', { exact: true }).waitFor();

  // Required options are enforced in the dialog, and the price follows the choices.
  await page.locator('#d-dan-dan-noodles [data-add]').click();
  await page.locator('#dlg-ok').click();
  assert.match(await page.locator('#dlg-err').textContent(), /Choose Spice level/);
  assert.ok(await page.locator('#dlg').isVisible(), 'the dialog stays open until the required group is chosen');
  await page.locator('#dlg label', { hasText: 'Medium' }).click();
  await page.locator('#dlg label', { hasText: 'Fried egg' }).click();
  assert.match(await page.locator('#dlg-ok').textContent(), /¥21\.00/);
  await page.locator('#dlg-qty').fill('3');
  assert.match(await page.locator('#dlg-ok').textContent(), /¥63\.00/);
  await page.locator('#dlg-ok').click();
  assert.match(await page.locator('#live').textContent(), /Added Dan Dan Noodles/);

  await page.locator('#view').click();
  assert.equal(await page.locator('#table').inputValue(), '7');
  await page.locator('#coupon').fill('SAVE10');
  await page.locator('#apply').click();
  await page.locator('#coupon-outcome', { hasText: 'SAVE10 applied' }).waitFor();
  assert.match(await page.locator('#quote .total').textContent(), /¥55\.65/);

  await page.locator('#place').click();
  const number = await orderNumber(page);
  assert.match(number, /^C-\d+/);
  await page.locator('#state', { hasText: 'Received' }).waitFor();

  const [order] = await queueFor('chunxi', (o) => o.number === number);
  assert.equal(order.cart.fulfilment.table, '7');
  assert.equal(order.coupon, 'SAVE10');
  assert.deepEqual(order.cart.lines[0].options.map((o) => o.choices), [['medium'], ['fried-egg']]);
  await advance(api, order.id, 'ready');
  await page.locator('#state', { hasText: 'Ready' }).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#steps [aria-current=step]').getAttribute('data-step'), 'ready');
  assert.deepEqual(errors, []);
  await context.close();
});

test('pickup_with_slot_choice: a pickup-only shop offers slots in its time zone', { timeout: 90_000 }, async () => {
  const { context, page, errors } = await open('/en/kuanzhai/');
  await page.locator('#d-zhong-dumplings [data-add]').click();
  await page.locator('#d-smashed-cucumber [data-add]').click();
  await page.locator('#view').click();
  const options = await page.locator('#slot option').evaluateAll((os) => os.map((o) => o.value));
  assert.ok(options.length > 4, `slots offered: ${options}`);
  const chosen = options[2];
  await page.locator('#slot').selectOption(chosen);
  await page.locator('#name').fill('Mei');
  await page.locator('#place').click();
  const number = await orderNumber(page);
  const [order] = await queueFor('kuanzhai', (o) => o.number === number);
  assert.equal(new Date(order.cart.fulfilment.slot).toISOString(), new Date(chosen).toISOString());
  assert.equal(order.name, 'Mei');
  assert.match(await page.locator('#where-s').textContent(), /Pickup time/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a_full_pickup_slot_is_refused_with_a_clear_message', { timeout: 90_000 }, async () => {
  const { context, page } = await open('/en/kuanzhai/');
  await page.locator('#d-smashed-cucumber [data-add]').click();
  await page.locator('#view').click();
  const slot = await page.locator('#slot option').nth(6).getAttribute('value');
  // Fill the slot (capacity 6) through the API first.
  const cat = await api.catalog('kuanzhai');
  for (let i = 0; i < cat.location.pickup.capacity; i++) {
    const r = await api.order({ cart: { location: 'kuanzhai', fulfilment: { mode: 'pickup', slot }, lines: [{ dish: 'smashed-cucumber', quantity: 1 }] }, version: cat.version });
    assert.equal(r.status, 201, JSON.stringify(r.data));
  }
  await page.locator('#slot').selectOption(slot);
  await page.locator('#place').click();
  await page.locator('#problem', { hasText: 'fully booked' }).waitFor();
  const before = (await queueFor('kuanzhai')).length;
  const next = await page.locator('#slot option').nth(7).getAttribute('value');
  await page.locator('#slot').selectOption(next);
  await page.locator('#place').click();
  await page.waitForURL(/\/en\/status\/\?id=/);
  assert.equal((await queueFor('kuanzhai')).length, before + 1);
  await context.close();
});

test('a_sold_out_dish_cannot_be_added', { timeout: 90_000 }, async () => {
  assert.equal((await api.soldOut('yibin-burning-noodles', true)).status, 200);
  try {
    const { context, page } = await open('/en/chunxi/?table=3');
    const dish = page.locator('#d-yibin-burning-noodles');
    await dish.locator('.badge.out').waitFor();
    assert.ok(await dish.locator('[data-add]').isDisabled());
    await dish.locator('[data-add]').click({ force: true });
    assert.ok(await page.locator('#cartbar').isHidden());
    assert.ok(await page.locator('#dlg').isHidden());
    // A dish sold out in the content is never orderable either.
    assert.equal(await page.locator('#d-three-treasure-veg-dumplings [data-add]').count(), 0);
    await context.close();
  } finally {
    await api.soldOut('yibin-burning-noodles', false);
  }
});

test('a_coupon_with_no_budget_left_is_explained', { timeout: 90_000 }, async () => {
  const cat = await api.catalog('chunxi');
  const used = await api.order({ cart: { location: 'chunxi', fulfilment: { mode: 'dine_in', table: '2' }, lines: [{ dish: 'smashed-cucumber', quantity: 1 }], coupon: 'LASTONE' }, version: cat.version });
  assert.equal(used.status, 201, JSON.stringify(used.data));
  const { context, page } = await open('/en/chunxi/?table=4');
  await page.locator('#d-smashed-cucumber [data-add]').click();
  await page.locator('#view').click();
  await page.locator('#coupon').fill('LASTONE');
  await page.locator('#apply').click();
  const outcome = page.locator('#coupon-outcome');
  await outcome.waitFor();
  assert.match(await outcome.textContent(), /LASTONE cannot be used: .*budget has run out/);
  await context.close();
});

test('double_tap_and_offline_retry_place_exactly_one_order', { timeout: 90_000 }, async () => {
  const { context, page } = await open('/en/chunxi/?table=9');
  await page.locator('#d-smashed-cucumber [data-add]').click();
  await page.locator('#view').click();
  await page.locator('#note').fill('double tap');
  const mine = (o) => o.note === 'double tap';
  // Offline: the order is kept and the message says so.
  await context.setOffline(true);
  await page.locator('#place').click();
  await page.locator('#problem', { hasText: 'offline' }).waitFor();
  assert.equal((await queueFor('chunxi', mine)).length, 0);
  // The first answer is lost on the way back (the server placed it): the retry must not place a second.
  let dropped = 0;
  await page.route('**/api/orders', async (route) => {
    if (dropped++ === 0) { await route.fetch(); await route.abort('connectionreset'); } else await route.continue();
  });
  await context.setOffline(false);
  await page.locator('#problem', { hasText: 'offline' }).waitFor();
  // Double tap on Place order.
  await page.locator('#place').dblclick();
  await page.waitForURL(/\/en\/status\/\?id=/);
  const orders = await queueFor('chunxi', mine);
  assert.equal(orders.length, 1, `orders: ${orders.map((o) => o.number)}`);
  assert.ok(dropped >= 2, 'the retry went to the server');
  await context.close();
});

test('a_changed_menu_is_explained_not_silently_broken', { timeout: 90_000 }, async () => {
  const { context, page } = await open('/en/chunxi/?table=5');
  await menuReady(page);
  await page.evaluate(() => localStorage.setItem('carte:cart:chunxi', JSON.stringify({
    v: 'an-old-version',
    lines: [
      { dish: 'smashed-cucumber', quantity: 2, options: [], unit: 700 },
      { dish: 'a-dish-no-longer-served', quantity: 1, options: [], unit: 1000 },
    ],
  })));
  await page.reload();
  const notice = page.locator('#changed');
  await page.locator('#view').click();
  await notice.waitFor();
  const text = await notice.textContent();
  assert.match(text, /menu changed/);
  assert.match(text, /Smashed Cucumber: now ¥9\.00/);
  assert.match(text, /a-dish-no-longer-served: no longer available/);
  await page.locator('#quote .total').waitFor();
  assert.match(await page.locator('#quote .total').textContent(), /¥18\.90/);
  assert.doesNotMatch(await page.locator('#quote').textContent(), /undefined/, 'no stray text without a coupon');
  await context.close();
});

test('a_campaign_link_is_remembered_and_prefills_its_coupon', { timeout: 90_000 }, async () => {
  const { context, page } = await open('/en/chunxi/?c=noodle-festival&ch=wechat-group');
  await page.locator('#d-smashed-cucumber [data-add]').click();
  await page.goto(site.base + '/en/chunxi/?table=8');
  await menuReady(page);
  await page.locator('#view').click();
  // The campaign's first code any diner may type (the test site puts LASTONE before
  // SAVE10): NOODLE20 is members-only, so the catalog leaves its code out.
  assert.equal(await page.locator('#coupon').inputValue(), 'LASTONE');
  await page.locator('#coupon').fill('');
  await page.locator('#place').click();
  const number = await orderNumber(page);
  const [order] = await queueFor('chunxi', (o) => o.number === number);
  assert.deepEqual(order.attribution, { campaign: 'noodle-festival', channel: 'wechat-group' });
  // The arrival itself was counted (a count per day and channel: no cookie, no IP).
  const marketer = execFileSync(CARTE, ['keys', '--dir', site.dir, 'create', '--role', 'marketer'], { encoding: 'utf8', timeout: 30_000 })
    .split(/\s+/).find((w) => w.length >= 20 && /^[\w-]+$/.test(w));
  const report = await (await fetch(site.base + '/api/reports/campaigns', { headers: { authorization: 'Bearer ' + marketer } })).json();
  const channel = report.campaigns.find((c) => c.campaign === 'noodle-festival').channels.find((c) => c.channel === 'wechat-group');
  assert.ok(channel.visits >= 1, JSON.stringify(channel));
  await context.close();
});
