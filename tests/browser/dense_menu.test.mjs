// A menu a diner can order from quickly on a phone: compact cards, the count in the
// cart and − on each card, the category rail marking where you are, and the options
// as a bottom sheet with the dish's photo and a quantity stepper.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, menuReady, phone, startSite } from './helpers.mjs';

let site;
let browser;

before(async () => {
  browser = await launch();
  site = await startSite();
});
after(async () => {
  await browser?.close();
  await site?.stop();
});

test('a_phone_shows_several_dishes_and_counts_them_on_their_cards', { timeout: 90_000 }, async () => {
  const context = await phone(browser);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(site.base + '/en/chunxi/?table=7');
  await menuReady(page);

  // Cards are compact: a 390×844 screen holds more than four noodle cards (each was
  // 232–274 px tall before, about three to a screen).
  const heights = await page.$$eval('#c-noodles li.dish', (lis) => lis.map((li) => li.getBoundingClientRect().height).sort((a, b) => a - b));
  const median = heights[Math.floor(heights.length / 2)];
  assert.ok(844 / median >= 4.2, `cards ${Math.round(median)} px tall (median of ${heights.length})`);
  await page.locator('#c-noodles-h').evaluate((h) => h.scrollIntoView());
  await page.locator('.cats a[href="#c-noodles"][aria-current]').waitFor();

  // Add twice from the card, take one back from the card.
  const card = page.locator('#d-smashed-cucumber');
  await card.scrollIntoViewIfNeeded();
  await card.locator('[data-add]').click();
  await card.locator('[data-add]').click();
  assert.equal(await card.locator('output.n').textContent(), '2');
  await card.getByRole('button', { name: 'One less Smashed Cucumber' }).click();
  assert.equal(await card.locator('output.n').textContent(), '1');
  assert.match(await page.locator('#view').textContent(), /1/);
  await card.getByRole('button', { name: 'One less Smashed Cucumber' }).click();
  assert.ok(await card.locator('output.n').isHidden(), 'nothing left: no count');
  assert.ok(await page.locator('#cartbar').isHidden());

  // The rail follows the reading: at the drinks, Drinks is marked.
  await page.locator('#c-drinks').scrollIntoViewIfNeeded();
  await page.locator('.cats a[href="#c-drinks"][aria-current]').waitFor();
  assert.equal(await page.locator('.cats a[aria-current]').count(), 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test('options_open_as_a_bottom_sheet_with_the_photo_and_a_stepper', { timeout: 90_000 }, async () => {
  const context = await phone(browser);
  const page = await context.newPage();
  await page.goto(site.base + '/en/chunxi/?table=7');
  await menuReady(page);
  await page.locator('#d-dan-dan-noodles [data-add]').click();
  const dlg = page.locator('#dlg');
  await dlg.waitFor({ state: 'visible' });
  const box = await dlg.boundingBox();
  assert.ok(Math.abs(box.y + box.height - 844) <= 1 && box.width >= 389, `the sheet sits at the bottom, full width: ${JSON.stringify(box)}`);
  assert.ok(await dlg.locator('img.dlg-photo').isVisible(), 'the dish photo');
  await dlg.locator('label', { hasText: 'Medium' }).click();
  await dlg.getByRole('button', { name: 'One more Dan Dan Noodles' }).click();
  await dlg.getByRole('button', { name: 'One more Dan Dan Noodles' }).click();
  assert.equal(await page.locator('#dlg-qty').inputValue(), '3');
  assert.match(await page.locator('#dlg-ok').textContent(), /¥54\.00/);
  const ok = await page.locator('#dlg-ok').boundingBox();
  assert.ok(ok.height < 60, `the primary button stays on one line (${ok.height}px)`);
  await page.locator('#dlg-ok').click();
  assert.equal(await page.locator('#d-dan-dan-noodles output.n').textContent(), '3');
  await context.close();
});
