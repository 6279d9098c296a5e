// A set meal's chosen dish keeps its own options: picking the dan dan noodles in the
// noodle set asks for their spice (and offers their add-ons at their price), in the
// options dialog and in the plain form, and the kitchen reads them under that dish.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiClient, launch, menuReady, orderNumber, phone, startSite } from './helpers.mjs';

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

const sub = (scope, group) => scope.locator(`fieldset[data-group="noodles/dan-dan-noodles/${group}"]`);

test('the_set_meal_dialog_asks_for_the_chosen_noodles_own_options', { timeout: 90_000 }, async () => {
  const context = await phone(browser);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(site.base + '/en/chunxi/?table=7');
  await menuReady(page);

  await page.locator('#d-noodle-set [data-add]').click();
  const dlg = page.locator('#dlg');
  await dlg.waitFor({ state: 'visible' });
  // Nothing of the noodles' own options shows until the noodles are chosen.
  assert.ok(await sub(dlg, 'spice').isHidden());
  await dlg.locator('fieldset[data-group="noodles"] > label', { hasText: 'Dan Dan Noodles' }).click();
  await sub(dlg, 'spice').waitFor({ state: 'visible' });
  assert.match(await sub(dlg, 'spice').locator('legend').textContent(), /Dan Dan Noodles · Spice level/);
  assert.ok(await dlg.locator('fieldset[data-group="noodles/yibin-burning-noodles/spice"]').isHidden(), 'only the chosen dish');
  await dlg.locator('fieldset[data-group="side"] label', { hasText: 'Smashed Cucumber' }).click();
  await dlg.locator('fieldset[data-group="drink"] label', { hasText: 'Sour Plum Drink' }).click();
  await dlg.locator('fieldset[data-group="drink/sour-plum-drink/temperature"] label', { hasText: 'Iced' }).click();
  // The spice is required inside the set as on its own.
  await page.locator('#dlg-ok').click();
  assert.match(await page.locator('#dlg-err').textContent(), /Dan Dan Noodles · Spice level/);
  await sub(dlg, 'spice').locator('label', { hasText: 'Medium' }).click();
  await sub(dlg, 'add-ons').locator('label', { hasText: 'Fried egg' }).click();
  assert.match(await page.locator('#dlg-ok').textContent(), /¥35\.00/, 'the set 32.00 and the egg 3.00');
  await page.locator('#dlg-ok').click();

  await page.locator('#view').click();
  assert.equal(await page.locator('#table').inputValue(), '7');
  assert.ok(await page.locator('#table-qr').isHidden(), 'the no-script hint stays out of the way');
  assert.match(await page.locator('#lines .line-name small').first().textContent(), /^Dan Dan Noodles \(Medium, Fried egg \+¥3\.00\), Smashed Cucumber, Sour Plum Drink \(Iced\)$/);
  await page.locator('#place').click();
  const number = await orderNumber(page);
  await page.locator('#summary', { hasText: 'Noodle Set (Dan Dan Noodles (Medium, Fried egg)' }).waitFor();

  const [order] = (await api.queue('chunxi')).filter((o) => o.number === number);
  assert.deepEqual(order.cart.lines[0].options, [
    { group: 'noodles', choices: ['dan-dan-noodles'] },
    { group: 'noodles/dan-dan-noodles/spice', choices: ['medium'] },
    { group: 'noodles/dan-dan-noodles/add-ons', choices: ['fried-egg'] },
    { group: 'side', choices: ['smashed-cucumber'] },
    { group: 'drink', choices: ['sour-plum-drink'] },
    { group: 'drink/sour-plum-drink/temperature', choices: ['iced'] },
  ]);
  assert.equal(order.quote.lines[0].unit_price, 3500);

  // The kitchen sees the noodles with their spice, in the staff's language.
  const kitchen = await context.newPage();
  kitchen.on('pageerror', (e) => errors.push(e.message));
  await kitchen.goto(site.base + '/staff/kitchen.html');
  await kitchen.locator('#key').fill(site.key);
  await kitchen.getByRole('button', { name: 'Sign in' }).click();
  await kitchen.locator('[data-dish="noodle-set"] li', { hasText: 'Dan Dan Noodles (Medium, Fried egg), Smashed Cucumber, Sour Plum Drink (Iced)' }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('the_plain_form_shows_the_chosen_dishs_options_and_orders_them', { timeout: 90_000 }, async () => {
  const context = await phone(browser, { javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(site.base + '/en/chunxi/');
  await page.locator('#d-noodle-set').getByLabel('Quantity Noodle Set').fill('1');
  await page.locator('#table').selectOption('3');
  await page.locator('#place').click();
  // The menu carries quantities only: the set's options come as a second step.
  await page.getByRole('heading', { name: 'Choose options' }).waitFor();
  const set = page.locator('main form');
  // Without scripts, CSS shows a dish's own options once that dish is picked.
  assert.ok(await sub(set, 'spice').isHidden());
  // A diner changing their mind: add-ons ticked under the yibin noodles stay behind.
  await set.locator('fieldset[data-group="noodles"] > label', { hasText: 'Yibin Burning Noodles' }).click();
  await set.locator('fieldset[data-group="noodles/yibin-burning-noodles/spice"] label', { hasText: 'Hot' }).click();
  await set.locator('fieldset[data-group="noodles"] > label', { hasText: 'Dan Dan Noodles' }).click();
  await sub(set, 'spice').waitFor({ state: 'visible' });
  assert.ok(await set.locator('fieldset[data-group="noodles/yibin-burning-noodles/spice"]').isHidden());
  await sub(set, 'spice').locator('label', { hasText: 'Not spicy' }).click();
  await set.locator('fieldset[data-group="side"] label', { hasText: 'Smashed Cucumber' }).click();
  await set.locator('fieldset[data-group="drink"] label', { hasText: 'Sour Plum Drink' }).click();
  await set.locator('fieldset[data-group="drink/sour-plum-drink/temperature"] label', { hasText: 'Room temperature' }).click();
  await set.getByRole('button', { name: 'Place order' }).click();
  await page.getByText('Thank you, your order is in').waitFor();
  await page.getByText('Noodle Set (Dan Dan Noodles (Not spicy), Smashed Cucumber, Sour Plum Drink (Room temperature))').waitFor();
  const number = (await page.locator('.number').textContent()).trim();
  const [order] = (await api.queue('chunxi')).filter((o) => o.number === number);
  assert.deepEqual(order.quote.lines[0].options.map((o) => `${o.group}=${o.choice}`), [
    'noodles=dan-dan-noodles',
    'noodles/dan-dan-noodles/spice=none',
    'side=smashed-cucumber',
    'drink=sour-plum-drink',
    'drink/sour-plum-drink/temperature=room',
  ]);
  await context.close();
});
