// The storefront's budgets, held on every run (issue #16): on the menu, a dish page,
// checkout and an order's status page, at phone size in both languages —
//   - what a first visit transfers without images ≤ 30 KB (the menu) and its JavaScript
//     ≤ 12 KB gzipped, the service worker included;
//   - no layout shift while the page loads and fills in (CLS 0);
//   - axe finds nothing, tap targets (WCAG 2.2 target-size, 24 px) included;
// and Lighthouse's mobile run (simulated slow 4G, 4× CPU) once per page: accessibility,
// best practices and SEO 100; performance and LCP printed (they vary with the machine's
// load; BENCHMARKS.md has the medians).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import AxeBuilder from '@axe-core/playwright';
import { CHROMIUM, CHROME_FLAGS, ROOT, apiClient, launch, phone, startSite } from './helpers.mjs';

let site, api, browser, pages;
before(async () => {
  site = await startSite();
  api = apiClient(site.base, site.key);
  const placed = (await api.order({
    version: (await api.catalog('chunxi')).version,
    cart: { location: 'chunxi', fulfilment: { mode: 'dine_in', table: '7' }, lines: [{ dish: 'zhong-dumplings', quantity: 2 }] },
  })).data;
  const status = `status/?id=${placed.id}&token=${placed.token}`;
  pages = (lang) => ({
    menu: `/${lang}/chunxi/?table=7`,
    dish: `/${lang}/dishes/dan-dan-noodles/`,
    checkout: `/${lang}/chunxi/?table=7#checkout`,
    status: `/${lang}/${status}`,
  });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await site?.stop();
});

/** Opens `path` in a fresh phone context; returns the bytes each response took on the wire. */
async function visit(path, lang) {
  const context = await phone(browser, { locale: lang === 'zh' ? 'zh-CN' : 'en-GB' });
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__cls = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (!e.hadRecentInput) window.__cls += e.value;
    }).observe({ type: 'layout-shift', buffered: true });
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const types = new Map();
  const wire = [];
  cdp.on('Network.responseReceived', (e) => types.set(e.requestId, { type: e.type, url: e.response.url }));
  cdp.on('Network.loadingFinished', (e) => wire.push({ ...types.get(e.requestId), bytes: e.encodedDataLength }));
  await page.goto(site.base + path, { waitUntil: 'load' });
  // The page has fetched what it fills in (catalog, order status) and is still.
  await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(300);
  return { context, page, wire };
}

// gzip's default level, as a CDN compresses.
const gzipped = async (url) => gzipSync(Buffer.from(await (await fetch(site.base + url)).arrayBuffer())).length;

for (const lang of ['en', 'zh']) {
  test(`${lang}: transfer, JavaScript, layout shift and axe budgets on menu, dish, checkout and status`, async () => {
    for (const [name, path] of Object.entries(pages(lang))) {
      const { context, page, wire } = await visit(path, lang);
      try {
        const noImages = wire.filter((w) => w.type !== 'Image' && !w.url?.includes('/__carte/'));
        const total = noImages.reduce((s, w) => s + w.bytes, 0);
        // The scripts the page runs: its own (`data-src`), and the worker (`data-sw`),
        // installed once the page is idle; measured gzipped as served.
        const scripts = await page.evaluate(() => [...document.querySelectorAll('script[data-src]')]
          .flatMap((s) => [s.dataset.src, s.dataset.sw]).filter(Boolean));
        const js = (await Promise.all(scripts.map(gzipped))).reduce((a, b) => a + b, 0);
        const cls = await page.evaluate(() => window.__cls);
        console.log(`${lang} ${name}: ${(total / 1024).toFixed(1)} KB without images (${noImages.length} responses), JS ${js} B gzipped (${scripts.join(' + ')}), CLS ${cls.toFixed(4)}`);
        assert.ok(scripts.length >= 1, `${name}: the page loads its script`);
        assert.ok(js <= 12 * 1024, `${name}: JS ${js} B gzipped > 12 KB`);
        if (name === 'menu') assert.ok(total <= 30 * 1024, `${name}: ${total} B transferred without images > 30 KB`);
        assert.equal(cls, 0, `${name}: layout shift`);
        const { violations } = await new AxeBuilder({ page })
          .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
        assert.deepEqual(violations.map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`), [], `${lang} ${name}: axe`);
      } finally {
        await context.close();
      }
    }
  });
}

test('Lighthouse (mobile): accessibility, best practices and SEO 100 on menu, dish, checkout and status', { timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carte-lh-'));
  try {
    for (const [name, path] of Object.entries(pages('en'))) {
      const file = join(dir, `${name}.json`);
      execFileSync(join(ROOT, 'node_modules/.bin/lighthouse'), [site.base + path, '--quiet', '--output=json', `--output-path=${file}`,
        `--chrome-path=${CHROMIUM}`, `--chrome-flags=${CHROME_FLAGS.join(' ')}`, '--form-factor=mobile', '--screenEmulation.mobile',
        '--only-categories=performance,accessibility,best-practices,seo'], { stdio: 'ignore', timeout: 150_000 });
      const r = JSON.parse(readFileSync(file, 'utf8'));
      const score = (c) => Math.round(r.categories[c].score * 100);
      const failing = (c) => r.categories[c].auditRefs.map((a) => r.audits[a.id])
        .filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode === 'binary').map((a) => a.id);
      const lcp = r.audits['largest-contentful-paint'].numericValue;
      console.log(`Lighthouse ${name}: performance ${score('performance')}, accessibility ${score('accessibility')}, best practices ${score('best-practices')}, SEO ${score('seo')}; LCP ${(lcp / 1000).toFixed(2)} s, CLS ${r.audits['cumulative-layout-shift'].numericValue.toFixed(3)}, TBT ${Math.round(r.audits['total-blocking-time'].numericValue)} ms`);
      for (const c of ['accessibility', 'best-practices', 'seo']) assert.equal(score(c), 100, `${name} ${c}: ${failing(c).join(', ')}`);
      assert.equal(r.audits['cumulative-layout-shift'].numericValue, 0, `${name}: CLS`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
