// Shared set-up of the browser tests: a fresh copy of the demo site served by the
// real `carte serve` on a free port, a staff key for it, and a phone-sized Chromium.
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CARTE = process.env.CARTE_BIN || join(ROOT, 'target/debug/carte');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const CHROME_FLAGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const freePort = () => new Promise((ok, fail) => {
  const s = createServer();
  s.once('error', fail);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
});

/**
 * Copies site-content to a temp dir and makes it independent of the clock:
 * both shops open around the clock (the real hours would make the tests depend
 * on the time of day in Asia/Shanghai), and one extra coupon with a budget of 1.
 */
export function copySite() {
  const dir = mkdtempSync(join(tmpdir(), 'carte-browser-'));
  cpSync(join(ROOT, 'site-content'), dir, {
    recursive: true,
    // Keep the image cache (fast builds), never the store or the built site.
    filter: (src) => !/[\\/]\.carte[\\/](carte\.db|serve)|[\\/]public([\\/]|$)/.test(src),
  });
  // The theme of this tree, whichever tree the binary was built from.
  cpSync(join(ROOT, 'themes/default'), join(dir, 'themes/default'), { recursive: true });
  for (const file of readdirSync(join(dir, 'locations'))) {
    const path = join(dir, 'locations', file);
    const text = readFileSync(path, 'utf8').replace(/^hours:\n(  - .*\n|    .*\n)+/m, 'hours:\n  - days: daily\n    hours: ["00:00-12:00", "12:00-00:00"]\n');
    writeFileSync(path, text);
  }
  const campaigns = readFileSync(join(dir, 'campaigns.yaml'), 'utf8').replace(
    '      # 10 yuan off an order of 60 yuan or more.',
    '      # Tests: a promotion with room for one order only.\n      - code: LASTONE\n        kind: amount_off\n        value: "5"\n        budget: 1\n      # 10 yuan off an order of 60 yuan or more.',
  );
  writeFileSync(join(dir, 'campaigns.yaml'), campaigns);
  return dir;
}

/**
 * Starts `carte serve` on a copy of the demo site (changed by `edit(dir)` first, if given);
 * resolves once it answers. `watch: true` serves as a merchant previews: watching files,
 * with the live-reload script in every page. `env` adds to the server's environment.
 */
export async function startSite({ edit, watch = false, env: extraEnv = {} } = {}) {
  const dir = copySite();
  edit?.(dir);
  const key = execFileSync(CARTE, ['keys', '--dir', dir, 'create', '--role', 'staff'], { encoding: 'utf8', timeout: 30_000 })
    .split(/\s+/).find((w) => w.length >= 20 && /^[\w-]+$/.test(w));
  const port = await freePort();
  // Every test's browser is one client on 127.0.0.1: lift the per-client pickup-order
  // limit (tested in functions/tests/hardening.rs) so the journeys can fill a slot.
  const env = { ...process.env, CARTE_PICKUP_ORDERS_PER_HOUR: '1000', ...extraEnv };
  const args = ['serve', dir, '--port', String(port), ...(watch ? [] : ['--no-watch'])];
  const child = spawn(CARTE, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`carte serve exited:\n${log}`);
    try {
      if ((await fetch(`${base}/api/health`)).ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`carte serve did not start:\n${log}`); }
    await new Promise((r) => setTimeout(r, 200));
  }
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { base, key, dir, stop, log: () => log };
}

export const launch = () => chromium.launch({ executablePath: CHROMIUM, args: CHROME_FLAGS, timeout: 30_000 });

/** A phone: 390×844, touch, English. */
export async function phone(browser, options = {}) {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    locale: 'en-US', timezoneId: 'Asia/Shanghai', ...options,
  });
  context.setDefaultTimeout(10_000);
  return context;
}

/** The staff and public API, as a test drives it. */
export function apiClient(base, key) {
  const call = async (method, path, body, headers = {}) => {
    const r = await fetch(base + path, {
      method,
      headers: { accept: 'application/json', authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body && JSON.stringify(body),
    });
    const data = await r.json().catch(() => null);
    return { status: r.status, data };
  };
  return {
    call,
    queue: async (location) => (await call('GET', `/api/staff/queue?location=${location}&limit=200`)).data.orders,
    setStatus: (id, status) => call('POST', `/api/staff/orders/${id}/status`, { status }),
    soldOut: (dish, soldOut) => call('PUT', '/api/staff/sold-out', { item: { kind: 'dish', dish }, sold_out: soldOut }),
    catalog: async (location) => (await call('GET', `/catalog/${location}.json`)).data,
    order: (body, key) => call('POST', '/api/orders', body, { 'idempotency-key': key || crypto.randomUUID() }),
  };
}

/** Moves an order through the kitchen's steps up to `to`. */
export async function advance(api, id, to) {
  for (const status of ['accepted', 'preparing', 'ready', 'completed']) {
    const r = await api.setStatus(id, status);
    if (r.status !== 200) throw new Error(`status ${status}: ${JSON.stringify(r.data)}`);
    if (status === to) return;
  }
}

/** The order number the status page shows, once it has loaded. */
export async function orderNumber(page) {
  await page.waitForURL(/\/status\/\?id=/);
  const number = page.locator('#number');
  await page.waitForFunction(() => /\w-\d+/.test(document.querySelector('#number')?.textContent || ''));
  return (await number.textContent()).trim();
}

/** Waits until the storefront script runs on the page (it loads after the first paint; the catalog comes later, on the first touch). */
export const menuReady = (page) => page.waitForFunction(() => document.documentElement.dataset.ready === '1');

/** Console errors and uncaught exceptions of a page, as they happen (401/403 answers to a wrong key allowed unless `allowAuth` is false). */
export function watchConsole(page, { allowAuth = true } = {}) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !(allowAuth && /status of 40[13]/.test(m.text()))) errors.push(m.text());
  });
  return errors;
}

/** What makes the page wider than its viewport: [] when nothing does, else the widest culprits. */
export const overflowX = (page) => page.evaluate(() => {
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  const out = [`page is ${document.documentElement.scrollWidth}px wide`];
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (r.right > width + 0.5 && !e.parentElement.closest('.scroll')) out.push(`${e.tagName.toLowerCase()}#${e.id}.${e.className} right=${Math.round(r.right)}`);
  }
  return out.slice(0, 8);
});

/** Visible text set smaller than `min` CSS px (SVG text scaled as drawn). */
export const smallText = (page, min = 12) => page.evaluate((min) => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const e = n.parentElement;
    if (!n.textContent.trim() || !e || !e.checkVisibility({ visibilityProperty: true, opacityProperty: true })) continue;
    const r = e.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) continue;
    let size = parseFloat(getComputedStyle(e).fontSize);
    const svg = e.closest('svg');
    if (svg?.viewBox?.baseVal?.width) size *= svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    if (size < min - 0.01) out.push(`${e.tagName.toLowerCase()}.${e.getAttribute('class') || ''} "${n.textContent.trim().slice(0, 30)}" ${size.toFixed(1)}px`);
  }
  return out.slice(0, 8);
}, min);

/** Visible text boxes whose text is cut (hidden overflow, or drawn past the screen's edge outside a scroll box). */
export const clippedText = (page) => page.evaluate(() => {
  const out = [];
  for (const e of document.querySelectorAll('body *')) {
    if (!e.checkVisibility({ visibilityProperty: true }) || e.closest('.vh, .phone-vh, .skip, svg')) continue;
    if (![...e.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim())) continue;
    const s = getComputedStyle(e);
    const r = e.getBoundingClientRect();
    if (r.width <= 1) continue;
    const hides = /hidden|clip/.test(s.overflowX) || s.textOverflow === 'ellipsis';
    if (hides && e.scrollWidth > e.clientWidth + 1) out.push(`${e.tagName.toLowerCase()}.${e.getAttribute('class') || ''} "${e.textContent.trim().slice(0, 30)}" cut`);
    else if (!e.closest('.scroll') && (r.right > window.innerWidth + 0.5 || r.left < -0.5)) out.push(`${e.tagName.toLowerCase()} "${e.textContent.trim().slice(0, 30)}" off screen`);
  }
  return out.slice(0, 8);
});
