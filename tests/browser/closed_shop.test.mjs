// A closed shop says so at the top of the menu and takes pickup for a later slot:
// "as soon as possible" first, then the slots grouped by day.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiClient, launch, menuReady, orderNumber, phone, ROOT, startSite } from './helpers.mjs';

const SHOTS = process.env.CARTE_SCREENSHOTS ? join(ROOT, 'docs/screenshots') : null;
const TZ = 'Asia/Shanghai';
// Open tomorrow only (in the shop's time zone), so closed now whenever the test runs.
const tomorrow = new Intl.DateTimeFormat('en-US', { timeZone: TZ, weekday: 'short' }).format(Date.now() + 864e5).toLowerCase();

let site;
let browser;
let api;

before(async () => {
  browser = await launch();
  site = await startSite({
    edit: (dir) => {
      const path = join(dir, 'locations', 'chunxi.yaml');
      const text = readFileSync(path, 'utf8').replace(/^hours:\n(  - .*\n|    .*\n)+/m, `hours:\n  - days: [${tomorrow}]\n    hours: ["07:00-23:00"]\n`);
      writeFileSync(path, text);
    },
  });
  api = apiClient(site.base, site.key);
});
after(async () => {
  await browser?.close();
  await site?.stop();
});

test('a_closed_shop_says_when_it_opens_and_takes_pickup_for_later', { timeout: 90_000 }, async () => {
  const context = await phone(browser);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(site.base + '/en/chunxi/?table=3');
  await menuReady(page);
  const state = page.locator('#open-state');
  assert.match(await state.textContent(), /^Closed now · opens at \w{3},? 07:00 You can order now for pickup later\.$/);
  if (SHOTS) await page.screenshot({ path: join(SHOTS, 'closed-menu-en.png') });

  await page.locator('#d-smashed-cucumber [data-add]').click();
  await page.locator('#view').click();
  assert.ok(await page.locator('input[name=mode][value=pickup]').isChecked(), 'pickup is chosen while closed');
  await page.locator('#slot option').nth(1).waitFor({ state: 'attached' });
  const first = page.locator('#slot > option').first();
  assert.match(await first.textContent(), /^As soon as possible \(Tomorrow 07:00( AM)?\)$/);
  const groups = await page.locator('#slot optgroup').evaluateAll((gs) => gs.map((g) => g.label));
  assert.deepEqual(groups, ['Tomorrow'], 'slots grouped by day, none today');
  assert.equal(await page.locator('#slot').inputValue(), await first.getAttribute('value'), 'as soon as possible is the default');
  if (SHOTS) await page.screenshot({ path: join(SHOTS, 'closed-pickup-en.png'), fullPage: true });
  await page.locator('#place').click();
  const number = await orderNumber(page);
  const [order] = (await api.queue('chunxi')).filter((o) => o.number === number);
  const local = new Intl.DateTimeFormat('en-GB', { timeZone: TZ, hour: '2-digit', minute: '2-digit' }).format(new Date(order.cart.fulfilment.slot));
  assert.equal(local, '07:00');
  assert.deepEqual(errors, []);

  await page.goto(site.base + '/zh/chunxi/');
  await menuReady(page);
  assert.match(await page.locator('#open-state').textContent(), /^休息中 · .*07:00 开始营业 现在可以预订稍后自取。$/);
  // Asked for a table while closed, the server's reason is shown in Chinese, with no
  // English server text appended.
  await page.locator('#d-smashed-cucumber [data-add]').click();
  await page.locator('#view').click();
  await page.locator('input[name=mode][value=dine_in]').check();
  await page.locator('#table').selectOption({ index: 1 });
  await page.locator('#problem', { hasText: '本店现在休息。' }).waitFor();
  assert.doesNotMatch(await page.locator('#problem').textContent(), /[A-Za-z]/);
  await context.close();
});
