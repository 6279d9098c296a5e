// "Your order is ready" by Web Push, in Chromium: the diner taps "Notify me" on the
// status page, the browser asks for permission and subscribes, staff mark the order
// ready, and the shop's server POSTs the encrypted message to the subscription's push
// service — here a recording server on 127.0.0.1, whose body this test decrypts with
// Node's own crypto (RFC 8291) — and the service worker shows it as a notification.
//
// Headless Chromium cannot register with a real push service on a closed network
// (its subscribe() never settles), so an init script stands in for that one step: it
// makes the subscription's keys with WebCrypto and points its endpoint at the recording
// server. Everything else is the real page, worker, server and encryption; the message
// reaches the worker through DevTools' ServiceWorker.deliverPushMessage.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import crypto from 'node:crypto';
import { join } from 'node:path';
import { advance, apiClient, launch, phone, ROOT, startSite } from './helpers.mjs';

const SHOTS = process.env.CARTE_SCREENSHOTS ? join(ROOT, 'docs/screenshots') : null;

let site;
let browser;
let api;
let pushService;
const received = [];

before(async () => {
  browser = await launch();
  site = await startSite({ env: { CARTE_PUSH_HOSTS: '127.0.0.1' } });
  api = apiClient(site.base, site.key);
  pushService = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(201).end();
    });
  });
  await new Promise((ok) => pushService.listen(0, '127.0.0.1', ok));
});
after(async () => {
  await browser?.close();
  await site?.stop();
  pushService?.close();
});

/** Decrypts an aes128gcm Web Push body (RFC 8188, keys as RFC 8291 derives them). */
function decrypt(body, jwk, authB64) {
  const salt = body.subarray(0, 16);
  const idlen = body[20];
  const serverPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(jwk.d, 'base64url'));
  const shared = ecdh.computeSecret(serverPublic);
  const auth = Buffer.from(authB64, 'base64url');
  const info = Buffer.concat([Buffer.from('WebPush: info\0'), ecdh.getPublicKey(), serverPublic]);
  const ikm = Buffer.from(crypto.hkdfSync('sha256', shared, auth, info, 32));
  const cek = Buffer.from(crypto.hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(crypto.hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = crypto.createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  // The last record ends with the delimiter 2, then zero padding.
  const end = padded.lastIndexOf(2);
  return JSON.parse(padded.subarray(0, end).toString('utf8'));
}

// The one step a closed network cannot do: registering with a push service.
const standInPushService = (endpoint) => {
  const b64u = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  let current = null;
  PushManager.prototype.getSubscription = async () => current;
  PushManager.prototype.subscribe = async (options) => {
    window.__pushOptions = { userVisibleOnly: options.userVisibleOnly, key: options.applicationServerKey };
    const pair = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
    const auth = crypto.getRandomValues(new Uint8Array(16));
    const keys = { p256dh: b64u(await crypto.subtle.exportKey('raw', pair.publicKey)), auth: b64u(auth) };
    window.__pushPrivate = await crypto.subtle.exportKey('jwk', pair.privateKey);
    current = {
      endpoint,
      toJSON: () => ({ endpoint, expirationTime: null, keys }),
      unsubscribe: async () => { current = null; return true; },
    };
    return current;
  };
};

test('a_diner_is_notified_when_the_order_is_ready', { timeout: 90_000 }, async () => {
  const version = (await api.catalog('chunxi')).version;
  const placed = await api.order({ version, cart: { location: 'chunxi', fulfilment: { mode: 'dine_in', table: '7' }, lines: [{ dish: 'dan-dan-noodles', quantity: 1, options: [{ group: 'spice', choices: ['medium'] }] }] } });
  assert.equal(placed.status, 201, JSON.stringify(placed.data));
  const { id, token, number } = placed.data;

  const context = await phone(browser);
  await context.grantPermissions(['notifications'], { origin: site.base });
  const endpoint = `http://127.0.0.1:${pushService.address().port}/push/${crypto.randomUUID()}`;
  await context.addInitScript(standInPushService, endpoint);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${site.base}/en/status/?id=${id}&token=${token}`);
  const button = page.getByRole('button', { name: 'Notify me when it is ready' });
  await button.click();
  await page.locator('#notified').filter({ hasText: 'We will tell you here when it is ready' }).waitFor();
  assert.ok(await button.isHidden(), 'the offer goes once accepted');
  if (SHOTS) await page.screenshot({ path: join(SHOTS, 'status-notify-on.png'), fullPage: true });
  // The browser was given the shop's key, for messages the user sees.
  const options = await page.evaluate(() => window.__pushOptions);
  const status = await (await fetch(`${site.base}/api/orders/${id}?token=${token}`, { headers: { accept: 'application/json' } })).json();
  assert.deepEqual(options, { userVisibleOnly: true, key: status.push_key });

  // Accepted and preparing: nothing is pushed. Ready: one message.
  await advance(api, id, 'preparing');
  assert.equal(received.length, 0);
  assert.equal((await api.setStatus(id, 'ready')).status, 200);
  const deadline = Date.now() + 10_000;
  while (!received.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(received.length, 1, 'one message for one browser');
  const [sent] = received;
  assert.equal(new URL(endpoint).pathname, sent.path);
  assert.equal(sent.headers['content-encoding'], 'aes128gcm');
  assert.match(sent.headers.authorization, /^vapid t=[\w-]+\.[\w-]+\.[\w-]+, k=[\w-]+$/);
  const jwk = await page.evaluate(() => window.__pushPrivate);
  const sub = await page.evaluate(() => navigator.serviceWorker.ready.then((r) => r.pushManager.getSubscription()).then((s) => s.toJSON()));
  const message = decrypt(sent.body, jwk, sub.keys.auth);
  assert.equal(message.title, `Order ${number} is ready`);
  assert.equal(message.body, 'On its way to table 7.');

  // The push reaches the service worker (as the browser would hand it over), which
  // shows the notification.
  const cdp = await context.newCDPSession(page);
  const registration = new Promise((ok) => cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
    const r = registrations.find((x) => !x.isDeleted);
    if (r) ok(r.registrationId);
  }));
  await cdp.send('ServiceWorker.enable');
  const registrationId = await registration;
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: site.base, registrationId, data: JSON.stringify(message) });
  const shown = await page.waitForFunction(async () => {
    const list = await (await navigator.serviceWorker.ready).getNotifications();
    return list.length ? list.map((n) => ({ title: n.title, body: n.body, tag: n.tag })) : null;
  }, null, { timeout: 10_000 }).then((h) => h.jsonValue());
  assert.deepEqual(shown, [{ title: `Order ${number} is ready`, body: 'On its way to table 7.', tag: `order-${id}` }]);
  // The page a tap opens was kept for it, with its token.
  const kept = await page.evaluate((order) => caches.open('carte-push').then((c) => c.match(`/__push/${order}`)).then((r) => r.text()), id);
  assert.equal(kept, page.url());
  assert.deepEqual(errors, []);
  await context.close();
});

test('notifications_are_not_offered_once_the_order_is_ready_or_where_they_are_blocked', { timeout: 60_000 }, async () => {
  const version = (await api.catalog('chunxi')).version;
  const placed = (await api.order({ version, cart: { location: 'chunxi', fulfilment: { mode: 'dine_in', table: '2' }, lines: [{ dish: 'dan-dan-noodles', quantity: 1, options: [{ group: 'spice', choices: ['mild'] }] }] } })).data;
  const context = await phone(browser, { locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(`${site.base}/zh/status/?id=${placed.id}&token=${placed.token}`);
  // Permission not granted yet (the default): offered, in Chinese.
  await page.getByRole('button', { name: '做好时通知我' }).waitFor();
  await advance(api, placed.id, 'ready');
  await page.reload();
  await page.locator('#state').filter({ hasText: '马上送到' }).waitFor();
  assert.ok(await page.locator('#notify').isHidden(), 'nothing left to tell');
  await context.close();
});
