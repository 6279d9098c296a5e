// `carte serve` as a merchant previews: watching, live reload in every page. Twelve page
// views in one tab must all load (the service worker once held each page's event stream
// open, so the 7th view hung on Chrome's six connections per host), the consoles run the
// reload script under their `script-src 'self'` policy, and an edit reloads the page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, phone, startSite } from './helpers.mjs';

let site;
let browser;

before(async () => {
  browser = await launch();
  site = await startSite({ watch: true });
});
after(async () => {
  await browser?.close();
  await site?.stop();
});

test('twelve_pages_in_one_tab_under_the_live_reload_all_load', { timeout: 120_000 }, async () => {
  const context = await phone(browser);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(site.base + '/en/chunxi/');
  // The service worker controls the tab from here on, as it does for a merchant.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  assert.ok(await page.evaluate(() => !!navigator.serviceWorker.controller), 'the worker controls the page');
  const paths = ['/en/', '/zh/', '/en/chunxi/', '/zh/chunxi/', '/en/about/', '/zh/about/', '/en/', '/zh/chunxi/', '/en/chunxi/', '/zh/', '/en/about/', '/en/chunxi/'];
  for (const [i, path] of paths.entries()) {
    const started = Date.now();
    const response = await page.goto(site.base + path, { timeout: 5_000 });
    assert.equal(response.status(), 200, `view ${i + 1}: ${path}`);
    assert.ok(Date.now() - started < 5_000, `view ${i + 1} took ${Date.now() - started} ms`);
  }
  // The live-reload stream of the last page is open, and a content edit reloads it.
  const reloaded = page.waitForEvent('load', { timeout: 30_000 });
  const path = join(site.dir, 'site.yaml');
  writeFileSync(path, readFileSync(path, 'utf8') + '\n');
  await reloaded;

  for (const console of ['/staff/', '/staff/kitchen.html', '/admin/']) {
    await page.goto(site.base + console);
    await page.waitForLoadState('load');
  }
  assert.deepEqual(problems.filter((p) => /Content Security Policy|livereload|__carte/i.test(p)), []);
  await context.close();
});
