// The marketer's loop in a real Chromium against the real `carte serve`:
// staff redeem a printed code at the counter, the marketer reads the dashboard
// (figures, campaign detail, CSV download), and axe finds 0 violations.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { CARTE, apiClient, launch, startSite } from './helpers.mjs';

let site;
let browser;
let api;
let marketerKey;
let codes;

before(async () => {
  browser = await launch();
  site = await startSite();
  api = apiClient(site.base, site.key);
  marketerKey = execFileSync(CARTE, ['keys', '--dir', site.dir, 'create', '--role', 'marketer'], { encoding: 'utf8', timeout: 30_000 })
    .split(/\s+/).find((w) => w.startsWith('carte_'));
  // Three printed codes for SAVE10 (10.00 off a spend of 60.00 or more).
  const out = join(site.dir, 'printed');
  execFileSync(CARTE, ['coupons', '--dir', site.dir, 'issue', 'noodle-festival', '--coupon', 'SAVE10', '--count', '3', '--out', out], { encoding: 'utf8', timeout: 30_000 });
  const csv = readFileSync(join(out, readdirSync(out).find((f) => f.endsWith('.csv'))), 'utf8');
  codes = csv.trim().split('\r\n').slice(1).map((line) => line.split(',')[0]);
  assert.equal(codes.length, 3);
  const sheet = readFileSync(join(out, readdirSync(out).find((f) => f.endsWith('.html'))), 'utf8');
  assert.equal((sheet.match(/<svg /g) || []).length, 3, 'one QR code per code');
  assert.ok(sheet.includes(`/en/chunxi/?coupon=${codes[0]}&amp;c=noodle-festival`) || sheet.includes(codes[0]));
  // Two visits and one order through the table tent.
  for (let i = 0; i < 2; i += 1) {
    const r = await api.call('POST', '/api/visits', { campaign: 'noodle-festival', channel: 'table-tent', location: 'chunxi' });
    assert.equal(r.status, 202);
  }
  const catalog = await api.catalog('chunxi');
  const r = await api.order({
    cart: { location: 'chunxi', fulfilment: { mode: 'dine_in', table: '1' }, lines: [{ dish: 'smashed-cucumber', quantity: 2, options: [] }] },
    version: catalog.version,
    attribution: { campaign: 'noodle-festival', channel: 'table-tent' },
  });
  assert.equal(r.status, 201, JSON.stringify(r.data));
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

async function tablet(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'en-US', timezoneId: 'Asia/Shanghai', acceptDownloads: true, ...options });
  context.setDefaultTimeout(10_000);
  return context;
}

test('staff_redeem_a_printed_code_at_the_counter_once', async () => {
  for (const scheme of ['light', 'dark']) {
    const context = await tablet({ colorScheme: scheme });
    const page = await context.newPage();
    await page.goto(`${site.base}/staff/redeem.html`);
    await page.locator('#signin').waitFor();
    await axe(page, `redeem page signed out (${scheme})`);
    await context.close();
  }
  const context = await tablet();
  const page = await context.newPage();
  await page.goto(`${site.base}/staff/redeem.html`);
  // The redeem page is a view of the staff console: one sign-in, then the form.
  await page.getByLabel('Staff key').fill(site.key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForFunction(() => document.querySelector('#redeem-location')?.options?.length > 0);
  await axe(page, 'redeem form');
  await page.getByLabel("Code shown on the diner's phone").fill(codes[0].toLowerCase());
  await page.getByLabel('Location').selectOption('chunxi');
  await page.getByLabel('In-store spend').fill('80.00');
  await page.getByRole('button', { name: 'Redeem', exact: true }).click();
  await page.locator('#result').waitFor({ state: 'visible' });
  assert.equal((await page.locator('#to-pay').textContent()).trim(), '¥70.00');
  await axe(page, 'redeem page with a result');
  // The same code again: refused, and said so.
  await page.getByLabel("Code shown on the diner's phone").fill(codes[0]);
  await page.getByRole('button', { name: 'Redeem', exact: true }).click();
  await page.locator('#error', { hasText: 'already been used' }).waitFor();
  // Below the minimum spend.
  await page.getByLabel("Code shown on the diner's phone").fill(codes[1]);
  await page.getByLabel('In-store spend').fill('20');
  await page.getByRole('button', { name: 'Redeem', exact: true }).click();
  await page.locator('#error', { hasText: 'minimum' }).waitFor();
  await context.close();
});

test('marketer_reads_the_dashboard_and_downloads_csv', async () => {
  const context = await tablet();
  const page = await context.newPage();
  await page.goto(`${site.base}/admin/`);
  await axe(page, 'dashboard sign-in');
  await page.getByLabel('Marketer key').fill(marketerKey);
  await page.getByRole('button', { name: 'Open the dashboard' }).click();
  await page.locator('#status', { hasText: 'Figures from' }).waitFor();
  const figure = async (name) => (await page.locator(`#totals [data-figure="${name}"]`).textContent()).trim();
  assert.equal(await figure('visits'), '2');
  assert.equal(await figure('orders'), '1');
  assert.equal(await figure('redemptions_counter'), '1');
  assert.equal(await figure('discount'), '¥10.00');
  assert.equal(await page.locator('#campaign-chart svg rect').count(), 2, 'one bar per campaign');
  // The report names campaigns in every language (`names`): an English dashboard shows the English name.
  await page.locator('button[data-campaign="noodle-festival"]').click();
  await page.locator('#detail-h', { hasText: 'Autumn Noodle Festival' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'detail-h', 'focus moves to the detail');
  const counter = page.locator('#channels tr[data-channel="counter"] td');
  assert.equal((await counter.nth(5).textContent()).trim(), '1', 'one redemption at the counter');
  const tent = page.locator('#channels tr[data-channel="table-tent"] td');
  assert.equal((await tent.nth(0).textContent()).trim(), '2', 'two visits through the table tent');
  assert.equal((await tent.nth(1).textContent()).trim(), '1', 'one order through the table tent');
  const acted = (channel, name) => page.locator(`#channels tr[data-channel="${channel}"] td[data-figure="${name}"]`).textContent().then((s) => s.trim());
  assert.equal(await acted('table-tent', 'conversion_bp'), '50.0%', 'one order for two visits');
  assert.equal(await acted('table-tent', 'roi_bp'), '—', 'no discount, no ROI');
  assert.equal(await acted('counter', 'cost_per_order'), '¥10.00');
  assert.equal(await acted('counter', 'roi_bp'), '8.00×', '¥80.00 spent for ¥10.00 off');
  assert.match(await page.locator('#burn').textContent(), /^Discount given per day in this period: ¥0\.33$/, '¥10.00 over 30 days');
  const save10 = page.locator('#coupons tbody tr', { hasText: 'SAVE10' }).locator('td');
  assert.equal((await save10.nth(2).textContent()).trim(), '299', 'budget 300, one used');
  await axe(page, 'dashboard with a campaign open');
  for (const scheme of ['dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await axe(page, `dashboard (${scheme})`);
  }
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download redemptions' }).click(),
  ]);
  const csv = readFileSync(await download.path(), 'utf8');
  const lines = csv.trim().split('\r\n');
  assert.equal(lines[0], 'id,at,at_local,source,coupon,campaign,channel,location,order_id,member_id,issued_code,currency,amount,discount');
  assert.equal(lines.length, 2);
  assert.ok(lines[1].includes(',counter,SAVE10,noodle-festival,counter,chunxi,,,'), lines[1]);
  assert.ok(lines[1].endsWith(',CNY,80.00,10.00'), lines[1]);
  // For Excel: the same rows behind a UTF-8 byte-order mark.
  await page.getByLabel('For Excel (Chinese names, phone numbers as text)').check();
  const [excel] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download redemptions' }).click(),
  ]);
  assert.ok(excel.suggestedFilename().endsWith('-excel.csv'), excel.suggestedFilename());
  const bytes = readFileSync(await excel.path());
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  assert.equal(bytes.subarray(3).toString('utf8'), csv);
  // A staff key is not a marketer key.
  await page.getByRole('button', { name: 'Forget key' }).click();
  await page.getByLabel('Marketer key').fill(site.key);
  await page.getByRole('button', { name: 'Open the dashboard' }).click();
  await page.locator('#signin-error', { hasText: 'This key is not a marketer key.' }).waitFor();
  await context.close();
});
