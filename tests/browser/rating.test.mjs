// After the meal: a completed order's status page asks for a rating — 1 to 5 stars, a
// note, each dish if the diner likes — sends it once, and says thank you; the diner's
// note stays text (no markup runs), and the staff console shows it on the order.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import AxeBuilder from '@axe-core/playwright';
import { advance, apiClient, CARTE, launch, phone, ROOT, startSite } from './helpers.mjs';

const SHOTS = process.env.CARTE_SCREENSHOTS ? join(ROOT, 'docs/screenshots') : null;

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
  assert.deepEqual(violations.map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`), [], `axe violations on ${label}`);
}

for (const [lang, words] of [['en', { title: 'How was your meal?', send: 'Send rating', thanks: 'Thank you: you rated this meal 4/5.' }],
  ['zh', { title: '这餐怎么样？', send: '提交评分', thanks: '谢谢：您给这餐打了 4/5 分。' }]]) {
  test(`a_completed_order_is_rated_once_from_its_status_page_${lang}`, { timeout: 90_000 }, async () => {
    const version = (await api.catalog('chunxi')).version;
    const placed = await api.order({ version, cart: { location: 'chunxi', fulfilment: { mode: 'dine_in', table: '4' }, lines: [{ dish: 'dan-dan-noodles', quantity: 1, options: [{ group: 'spice', choices: ['medium'] }] }] } });
    assert.equal(placed.status, 201, JSON.stringify(placed.data));
    const { id, token } = placed.data;
    const context = await phone(browser, lang === 'zh' ? { locale: 'zh-CN' } : {});
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => { errors.push(`dialog: ${d.message()}`); d.dismiss(); });
    await page.goto(`${site.base}/${lang}/status/?id=${id}&token=${token}`);
    await page.locator('#number').filter({ hasText: /\w-\d+/ }).waitFor();
    assert.ok(await page.locator('#rate').isHidden(), 'no rating before the meal');
    await advance(api, id, 'completed');
    await page.reload();
    const form = page.locator('#rate');
    await form.getByText(words.title).waitFor();
    await axe(page, `the rating form (${lang})`);
    await form.getByLabel('4★').check();
    await form.locator('select').selectOption('5');
    const note = '<img src=x onerror=alert(1)> Spicy enough';
    await form.locator('textarea').fill(note);
    if (SHOTS && lang === 'en') await page.screenshot({ path: join(SHOTS, 'status-rating.png'), fullPage: true });
    await form.getByRole('button', { name: words.send }).click();
    await page.locator('#rated').filter({ hasText: words.thanks }).waitFor();
    assert.ok(await form.isHidden(), 'rated once: the form goes');
    const status = (await api.call('GET', `/api/orders/${id}?token=${token}`)).data;
    assert.equal(status.rating.stars, 4);
    assert.equal(status.rating.note, note);
    assert.deepEqual(status.rating.dishes, [{ dish: 'dan-dan-noodles', stars: 5 }]);
    // The staff console shows the rating on the completed order, the diner's words as text.
    if (lang === 'en') {
      const staff = await context.newPage();
      await staff.goto(`${site.base}/staff/`);
      await staff.locator('#key').fill(site.key);
      await staff.getByRole('button', { name: 'Sign in' }).click();
      await staff.locator('#app').waitFor();
      await staff.locator('#show-done').check();
      const shown = staff.locator(`.order[data-id="${id}"] .rating`);
      await shown.waitFor();
      assert.equal(await shown.textContent(), `Diner’s rating: 4/5 — ${note}`);
      assert.equal(await staff.locator(`.order[data-id="${id}"] img`).count(), 0, 'no markup from the diner');
      // The marketer's dashboard counts it per dish and per campaign, and lists the note as text.
      const marketer = execFileSync(CARTE, ['keys', '--dir', site.dir, 'create', '--role', 'marketer'], { encoding: 'utf8', timeout: 30_000 })
        .split(/\s+/).find((w) => w.startsWith('carte_'));
      await staff.goto(`${site.base}/admin/`);
      await staff.getByLabel('Marketer key').fill(marketer);
      await staff.getByRole('button', { name: 'Open the dashboard' }).click();
      await staff.locator('#rating-tiles [data-figure="ratings"]', { hasText: '1' }).waitFor();
      assert.equal(await staff.locator('#rating-tiles [data-figure="average"]').textContent(), '4.00');
      const dish = staff.locator('#rating-dishes tr[data-dish="dan-dan-noodles"]');
      assert.deepEqual(await dish.locator('th, td').allTextContents(), ['Dan Dan Noodles', '1', '5.00']);
      assert.deepEqual(await staff.locator('#rating-campaigns tr[data-campaign="(none)"] th, #rating-campaigns tr[data-campaign="(none)"] td').allTextContents(), ['No campaign', '1', '4.00']);
      await staff.locator('#rating-notes-box summary').click();
      assert.equal(await staff.locator('#rating-notes li').first().textContent(), `4★ — ${note}`);
      assert.equal(await staff.locator('#rating-notes img').count(), 0);
      await axe(staff, 'the dashboard with ratings');
      await staff.close();
    }
    await page.reload();
    await page.locator('#rated').filter({ hasText: words.thanks }).waitFor();
    assert.ok(await page.locator('#rate').isHidden());
    assert.deepEqual(errors, []);
    await context.close();
  });
}
