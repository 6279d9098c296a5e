// A dish's own page is no longer a dead end: "Add to my order · <shop>" opens that
// shop's menu with the dish's options (or adds it at once), and a dish sold out
// since the last build says so there too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiClient, launch, menuReady, phone, startSite } from './helpers.mjs';

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

test('add_from_the_dish_page_opens_the_options_then_the_cart_holds_it', { timeout: 90_000 }, async () => {
  const context = await phone(browser);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(site.base + '/en/dishes/dan-dan-noodles/');
  await page.getByRole('link', { name: 'Add to my order · Chunxi Road' }).click();
  await menuReady(page);
  // The options dialog of that dish, as its card's Add opens it.
  await page.locator('#dlg').waitFor({ state: 'visible' });
  assert.match(await page.locator('#dlg-h').first().textContent(), /Dan Dan Noodles/);
  await page.locator('#dlg label', { hasText: 'Medium' }).click();
  await page.locator('#dlg-ok').click();
  assert.match(await page.locator('#view').textContent(), /1/);
  assert.ok(!page.url().includes('add='), 'the address no longer adds on reload');
  await page.reload();
  await menuReady(page);
  assert.ok(await page.locator('#dlg').isHidden(), 'a reload opens nothing');

  // A dish without options goes straight into the cart.
  await page.goto(site.base + '/zh/dishes/smashed-cucumber/');
  await page.locator('.add-at a', { hasText: '加入订单' }).first().click();
  await menuReady(page);
  await page.locator('#view', { hasText: '2' }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('a_dish_sold_out_today_says_so_on_its_own_page', { timeout: 60_000 }, async () => {
  assert.equal((await api.soldOut('dan-dan-noodles', true)).status, 200);
  try {
    const context = await phone(browser);
    const page = await context.newPage();
    await page.goto(site.base + '/en/dishes/dan-dan-noodles/');
    await page.locator('.dish-page .badge.out', { hasText: 'Sold out' }).waitFor();
    const links = await page.locator('.add-at a').evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
    assert.ok(links.length > 0);
    for (const [text, href] of links) {
      assert.doesNotMatch(href, /add=/, href);
      assert.doesNotMatch(text, /Add to my order/, text);
    }
    await context.close();
  } finally {
    await api.soldOut('dan-dan-noodles', false);
  }
});
