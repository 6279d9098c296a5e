// Payments in a real Chromium against the real `carte serve`: what checkout says
// about paying, the payment on the diner's status page (with and without
// JavaScript), and the staff console taking a counter payment and a refund, with
// PAID / UNPAID / MISMATCH on the queue, the kitchen view, the board and tickets.
// Everything on 127.0.0.1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import Stripe from 'stripe';
import { advance, apiClient, launch, menuReady, phone, startSite, watchConsole } from './helpers.mjs';

let site;
let browser;
let api;
let stripeApi;
const version = {};

// Stripe's API as Carte calls it, on 127.0.0.1: Checkout Sessions are recorded and
// answered with a payment page here; the webhook is signed by Stripe's own library.
const WEBHOOK_SECRET = 'whsec_browser_tests';
const sessions = [];
function startStripe() {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const { port } = server.address();
      if (req.method === 'POST' && req.url === '/v1/checkout/sessions') {
        const form = Object.fromEntries(new URLSearchParams(body));
        const id = `cs_test_${sessions.length + 1}`;
        sessions.push({ id, form, auth: req.headers.authorization, key: req.headers['idempotency-key'] });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id, object: 'checkout.session', url: `http://127.0.0.1:${port}/pay/${id}` }));
      } else if (req.method === 'GET' && req.url.startsWith('/pay/')) {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><link rel="icon" href="data:,"><title>Stripe test payment page</title><h1>Stripe test payment page</h1>');
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'not in this stand-in' } }));
      }
    });
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

// Chunxi: dine-in paid at the counter, pickup paid online first. Kuanzhai: online if the diner likes.
const POLICIES = {
  'chunxi.yaml': 'payment:\n  methods: [cash, card_terminal, counter_qr, stripe, wechat_pay]\n  dine_in: pay_at_counter\n  pickup: pay_online_required\n  unpaid_hold_minutes: 15\n',
  'kuanzhai.yaml': 'payment:\n  methods: [cash, wechat_pay]\n  pickup: pay_online_optional\n',
};

before(async () => {
  stripeApi = await startStripe();
  // `carte serve` sets its providers up from the environment it inherits.
  Object.assign(process.env, {
    STRIPE_SECRET_KEY: 'sk_test_browser', STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPE_API_BASE: `http://127.0.0.1:${stripeApi.address().port}`,
  });
  [site, browser] = await Promise.all([
    startSite({ edit: (dir) => { for (const [file, text] of Object.entries(POLICIES)) appendFileSync(join(dir, 'locations', file), text); } }),
    launch(),
  ]);
  api = apiClient(site.base, site.key);
  for (const l of ['chunxi', 'kuanzhai']) version[l] = (await api.catalog(l)).version;
});
after(async () => {
  await browser?.close();
  await site?.stop();
  stripeApi?.close();
});

async function tablet() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, hasTouch: true, locale: 'en-US', timezoneId: 'Asia/Shanghai' });
  context.setDefaultTimeout(10_000);
  return context;
}

async function signIn(page) {
  await page.locator('#key').fill(site.key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#conn', { hasText: 'Live' }).waitFor();
}

const tomorrow = (h) => new Date(`${new Date(Date.now() + 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 10)}T${h}:00+08:00`).toISOString();
async function placeOrder(location, { slot, table = '3', dish } = {}) {
  const fulfilment = slot ? { mode: 'pickup', slot } : { mode: 'dine_in', table };
  const lines = [{ dish: dish || 'zhong-dumplings', quantity: 2, options: [] }];
  const r = await api.order({ version: version[location], cart: { location, fulfilment, lines } });
  assert.equal(r.status, 201, JSON.stringify(r.data));
  return r.data;
}
const statusPath = (o) => `/en/status/?id=${encodeURIComponent(o.id)}&token=${encodeURIComponent(o.token)}`;
const yuan = (minor) => `¥${(minor / 100).toFixed(2)}`;

test('checkout_says_when_and_how_to_pay', { timeout: 90_000 }, async () => {
  const context = await phone(browser);
  const page = await context.newPage();
  const errors = watchConsole(page);
  await page.goto(site.base + '/en/chunxi/#checkout');
  await menuReady(page);
  const info = page.locator('#payinfo');
  // Dine-in (the default): pay at the counter; pickup: pay online first, held 15 minutes.
  assert.equal(await info.locator('[data-for="dine_in"]').isVisible(), true);
  assert.equal((await info.locator('[data-for="dine_in"]').textContent()).trim(), 'Pay at the counter');
  assert.equal(await info.locator('[data-for="pickup"]').isVisible(), false);
  await page.locator('label.choice', { hasText: 'Pickup' }).click();
  assert.equal((await info.locator('[data-for="pickup"]').textContent()).trim(), 'Pay online to confirm — the order is held 15 minutes');
  assert.equal(await info.locator('[data-for="dine_in"]').isVisible(), false);
  assert.match(await info.textContent(), /We take: cash, card, the shop's QR code, card online, WeChat Pay/);

  // Another shop, another policy; in Chinese too; and in the page without JavaScript.
  await page.goto(site.base + '/en/kuanzhai/#checkout');
  assert.match(await page.locator('#payinfo').textContent(), /Pay now online or at the counter/);
  const zh = await fetch(site.base + '/zh/chunxi/').then((r) => r.text());
  assert.match(zh, /请到柜台付款/);
  assert.match(zh, /在线支付后订单才确认——订单保留 15 分钟/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a_counter_payment_taken_in_the_staff_console_shows_paid_on_the_diners_status_page', { timeout: 120_000 }, async () => {
  const order = await placeOrder('chunxi', { table: '4' });
  const total = order.quote.total;

  // The diner's status page: not paid yet, what to pay, and no "Pay now" (paid at the counter here).
  const diner = await (await phone(browser)).newPage();
  const dinerErrors = watchConsole(diner);
  await diner.goto(site.base + statusPath(order));
  await diner.locator('#pay-state', { hasText: /^Not paid yet$/ }).waitFor();
  assert.equal((await diner.locator('#pay-due').textContent()).trim(), `To pay: ${yuan(total)}`);
  assert.equal(await diner.locator('#pay-buttons button').count(), 0);

  // The console: UNPAID on the card; take cash, with the change due shown before recording.
  const context = await tablet();
  const page = await context.newPage();
  const errors = watchConsole(page);
  await page.goto(site.base + '/staff/');
  await signIn(page);
  const card = page.locator(`.order[data-number="${order.number}"]`);
  await card.locator('.pay[data-pay="unpaid"]', { hasText: 'UNPAID' }).waitFor();
  assert.match(await card.locator('.total').textContent(), new RegExp(`To pay ${yuan(total).replace('.', '\\.')}`));
  await card.getByRole('button', { name: 'Take payment…' }).click();
  const dialog = page.locator('#pay-dialog');
  assert.equal(await dialog.locator('#pay-amount').inputValue(), (total / 100).toFixed(2), 'the amount due, prefilled');
  await dialog.locator('#pay-tendered').fill('1');
  await dialog.getByRole('button', { name: 'Record payment' }).click();
  assert.equal(await dialog.locator('#pay-tendered-error').textContent(), 'Less than the amount.');
  assert.equal(await dialog.locator('#pay-tendered').getAttribute('aria-invalid'), 'true');
  await dialog.locator('#pay-tendered').fill('100');
  assert.equal(await dialog.locator('#pay-change').textContent(), `Change to give: ${yuan(10000 - total)}`);
  // The request carries an Idempotency-Key made when the dialog opened.
  const sent = page.waitForRequest((r) => r.url().endsWith(`/api/staff/orders/${order.id}/payments`));
  await dialog.getByRole('button', { name: 'Record payment' }).click();
  const request = await sent;
  assert.match(request.headers()['idempotency-key'], /^[0-9a-f-]{32,36}$/);
  assert.deepEqual(JSON.parse(request.postData()), { method: 'cash', amount: total, tendered: 10000 });
  await page.locator('#action-done', { hasText: `Give ${yuan(10000 - total)} change` }).waitFor();
  await card.locator('.pay[data-pay="paid"]', { hasText: 'PAID' }).waitFor();
  assert.equal(await card.getByRole('button', { name: 'Take payment…' }).count(), 0);

  // The diner sees it without reloading; the page without JavaScript says so too.
  await diner.locator('#pay-state', { hasText: /^Paid$/ }).waitFor({ timeout: 8000 });
  assert.equal((await diner.locator('#pay-due').textContent()).trim(), '');
  const html = await fetch(`${site.base}${order.status_url}&lang=en`, { headers: { accept: 'text/html' } }).then((r) => r.text());
  assert.match(html, /data-state="paid">Paid</);

  // A refund: the dialog checks the amount against what is refundable; the server refuses
  // what another till refunded in the meantime, and the console says why.
  await card.getByRole('button', { name: 'Refund…' }).click();
  const refund = page.locator('#refund-dialog');
  assert.equal(await refund.locator('#refund-amount').inputValue(), (total / 100).toFixed(2));
  await refund.locator('#refund-amount').fill(String(total / 100 + 1));
  await refund.getByRole('button', { name: 'Record refund' }).click();
  assert.equal(await refund.locator('#refund-amount-error').textContent(), `At most ${yuan(total)}.`);
  assert.equal(await refund.locator('#refund-reason-error').textContent(), 'Give a reason.');
  // Back to a card through Stripe: this order was paid in cash, and the server says so beside the method.
  await refund.locator('#refund-amount').fill('1');
  await refund.locator('#refund-reason').fill('cold soup');
  await refund.locator('#refund-method').selectOption('stripe');
  await refund.getByRole('button', { name: 'Record refund' }).click();
  await refund.locator('#refund-method-error').filter({ hasText: /\S/ }).waitFor();
  assert.equal(await refund.locator('#refund-method').getAttribute('aria-invalid'), 'true');
  assert.equal(await refund.locator('#refund-amount-error').textContent(), '');
  await refund.locator('#refund-method').selectOption('cash');
  const other = await api.call('POST', `/api/staff/orders/${order.id}/refunds`, { amount: total, method: 'cash', reason: 'other till' }, { 'idempotency-key': crypto.randomUUID() });
  assert.equal(other.status, 201, JSON.stringify(other.data));
  await refund.locator('#refund-amount').fill('1');
  await refund.locator('#refund-reason').fill('cold soup');
  await refund.getByRole('button', { name: 'Record refund' }).click();
  // The other till's refund reaches this console on the staff stream too: the dialog then
  // knows nothing is left to refund and says so beside the amount; if it has not heard
  // yet, the server's refusal says it under the form.
  await refund.locator('#refund-error, #refund-amount-error').filter({ hasText: /\S/ }).first().waitFor();
  assert.equal(await refund.isVisible(), true, 'the dialog stays open on a refusal');
  await refund.getByRole('button', { name: 'Back' }).click();
  await card.locator('.pay[data-pay="refunded"]', { hasText: 'REFUNDED' }).waitFor({ timeout: 25_000 });
  await diner.locator('#pay-state', { hasText: /^Refunded$/ }).waitFor({ timeout: 25_000 });
  assert.deepEqual(errors.filter((e) => !/status of (409|422)/.test(e)), [], 'only the two refusals asked for');
  assert.deepEqual(dinerErrors, []);
  await context.close();
});

test('staff_see_paid_unpaid_and_mismatch_on_the_queue_kitchen_board_and_tickets', { timeout: 120_000 }, async () => {
  // Paid at the counter later: unpaid on the queue meanwhile; one paid with the wrong amount.
  const later = await placeOrder('chunxi', { table: '6' });
  const odd = await placeOrder('chunxi', { table: '8' });
  const wrong = await api.call('POST', `/api/staff/orders/${odd.id}/payments`, { method: 'card_terminal', amount: odd.quote.total - 100 }, { 'idempotency-key': crypto.randomUUID() });
  assert.equal(wrong.status, 201, JSON.stringify(wrong.data));
  assert.equal(wrong.data.payment.mismatches.length, 1);
  // A pickup to pay online first waits out of the queue until it is paid.
  const prepay = await placeOrder('chunxi', { slot: tomorrow('11:00') });

  const context = await tablet();
  const page = await context.newPage();
  const errors = watchConsole(page);
  await page.goto(site.base + '/staff/');
  await signIn(page);
  const oddCard = page.locator(`.order[data-number="${odd.number}"]`);
  await oddCard.locator('.pay[data-pay="mismatch"]', { hasText: 'MISMATCH' }).waitFor();
  assert.equal(await oddCard.locator('.pay[data-pay="unpaid"]').count(), 1, 'still unpaid: the amount did not match');
  assert.match(await oddCard.locator('.mismatch').textContent(), /did not count/);
  await page.locator(`.order[data-number="${later.number}"] .pay[data-pay="unpaid"]`).waitFor();
  assert.equal(await page.locator(`.order[data-number="${prepay.number}"]`).count(), 0, 'not in the kitchen before it is paid');

  // Its ticket carries the badge and what is due.
  await page.evaluate(() => { window.print = () => {}; });
  await page.locator(`.order[data-number="${later.number}"]`).getByRole('button', { name: 'Print' }).click();
  assert.match(await page.locator('.ticket .pay-line').textContent(), new RegExp(`UNPAID To pay ${yuan(later.quote.total).replace('.', '\\.')}`));

  // Paid at the counter (the shop's QR code), the pickup joins the queue as PAID.
  const paidFirst = await api.call('POST', `/api/staff/orders/${prepay.id}/payments`, { method: 'counter_qr', amount: prepay.quote.total, reference: 'QR-1' }, { 'idempotency-key': crypto.randomUUID() });
  assert.equal(paidFirst.status, 201, JSON.stringify(paidFirst.data));
  await page.locator(`.order[data-number="${prepay.number}"] .pay[data-pay="paid"]`).waitFor({ timeout: 25_000 });

  // The kitchen lists what still waits for its money.
  await page.goto(site.base + '/staff/kitchen.html');
  await page.locator('#app').waitFor();
  await page.locator(`#kitchen-pay-list li[data-number="${later.number}"]`, { hasText: 'UNPAID' }).waitFor();
  await page.locator(`#kitchen-pay-list li[data-number="${odd.number}"]`, { hasText: 'MISMATCH' }).waitFor();
  assert.equal(await page.locator(`#kitchen-pay-list li[data-number="${prepay.number}"]`).count(), 0);

  // The public board (a pickup shop paid online or at the counter): a marker on unpaid
  // numbers, no amounts; it goes once paid.
  const pickup = await placeOrder('kuanzhai', { slot: tomorrow('11:30') });
  const board = await (await browser.newContext()).newPage();
  await board.goto(site.base + '/staff/board.html?location=kuanzhai');
  const item = board.locator('#preparing li', { hasText: pickup.number });
  await item.locator('.unpaid', { hasText: 'Pay at the counter' }).waitFor();
  assert.doesNotMatch(await board.locator('main').textContent(), /¥|\d+\.\d\d/);
  const paid = await api.call('POST', `/api/staff/orders/${pickup.id}/payments`, { method: 'cash', amount: pickup.quote.total }, { 'idempotency-key': crypto.randomUUID() });
  assert.equal(paid.status, 201);
  await board.locator('#preparing li:not([data-unpaid])', { hasText: pickup.number }).waitFor();
  const boardJson = await fetch(`${site.base}/api/staff/board?location=kuanzhai`).then((r) => r.json());
  assert.ok(!boardJson.unpaid.includes(pickup.number));
  await advance(api, pickup.id, 'completed');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the_status_page_offers_pay_now_where_the_policy_takes_payment_online', { timeout: 90_000 }, async () => {
  const order = await placeOrder('kuanzhai', { slot: tomorrow('11:15') });
  const page = await (await phone(browser)).newPage();
  await page.goto(site.base + statusPath(order));
  const button = page.getByRole('button', { name: 'Pay now' });
  await button.waitFor();
  // What the checkout route answers with, for this page: a WeChat Pay Native code.
  await page.route('**/api/payments/checkout', (route) => route.fulfill({
    status: 200, contentType: 'application/json',
    body: JSON.stringify({ order_id: order.id, method: 'wechat_pay', reference: order.id, next: { action: 'qr_code', url: 'weixin://wxpay/bizpayurl?pr=abc123' }, payment: { state: 'pending', paid: 0, due: order.quote.total } }),
  }));
  const sent = page.waitForRequest('**/api/payments/checkout');
  await button.click();
  const body = JSON.parse((await sent).postData());
  assert.deepEqual(body, { order_id: order.id, token: order.token, method: 'wechat_pay', surface: 'mobile_browser', lang: 'en' });
  await page.locator('#pay-qr svg').waitFor();
  assert.equal(await page.locator('#pay-qr a').getAttribute('href'), 'weixin://wxpay/bizpayurl?pr=abc123');

  // A refusal is said in words.
  await page.unroute('**/api/payments/checkout');
  await page.route('**/api/payments/checkout', (route) => route.fulfill({
    status: 503, contentType: 'application/problem+json',
    body: JSON.stringify({ type: 'urn:carte:problem:payments-not-configured', title: 'Payments are not configured', status: 503 }),
  }));
  await button.click();
  await page.locator('#pay-problem', { hasText: 'Paying online is not available right now' }).waitFor();

  // Without JavaScript: a plain form posting to the checkout route.
  const html = await fetch(`${site.base}${order.status_url}&lang=en`, { headers: { accept: 'text/html' } }).then((r) => r.text());
  assert.match(html, /<form method="post" action="\/api\/payments\/checkout">/);
  assert.match(html, new RegExp(`name="order_id" value="${order.id}"`));
  assert.match(html, /<button type="submit" name="method" value="wechat_pay">Pay now<\/button>/);
  assert.match(html, /Pay now online or at the counter/);
});

test('a_diner_pays_online_by_card_and_the_status_page_turns_paid', { timeout: 120_000 }, async () => {
  // Pickup at Chunxi is paid online first: card (Stripe) or WeChat Pay.
  const order = await placeOrder('chunxi', { slot: tomorrow('12:00') });
  const page = await (await phone(browser)).newPage();
  const errors = watchConsole(page);
  await page.goto(site.base + statusPath(order));
  await page.locator('#pay-state', { hasText: /^Not paid yet$/ }).waitFor();
  assert.deepEqual(await page.locator('#pay-buttons button').allTextContents(), ['Pay now by card', 'Pay now with WeChat Pay']);

  // "Pay now" by card: a Checkout Session for the amount due, and off to its page.
  await page.getByRole('button', { name: 'Pay now by card' }).click();
  await page.waitForURL(/127\.0\.0\.1:\d+\/pay\/cs_test_/);
  const session = sessions.at(-1);
  assert.equal(session.form.client_reference_id, order.id);
  assert.equal(Number(session.form['line_items[0][price_data][unit_amount]']), order.quote.total);
  assert.equal(session.form['line_items[0][price_data][currency]'], 'cny');
  assert.equal(session.auth, 'Bearer sk_test_browser');

  // Back on the status page: pending, then paid once Stripe's webhook arrives, without a reload.
  await page.goto(site.base + statusPath(order));
  await page.locator('#pay-state', { hasText: /^Payment in progress…$/ }).waitFor();
  const payload = JSON.stringify({
    id: 'evt_browser_1', object: 'event', type: 'checkout.session.completed', livemode: false,
    data: { object: { id: session.id, object: 'checkout.session', client_reference_id: order.id, metadata: { order_id: order.id }, payment_intent: 'pi_browser_1', payment_status: 'paid', amount_total: order.quote.total, currency: 'cny' } },
  });
  // The console is open meanwhile: the order to pay first is not in its queue yet.
  const console_ = await (await tablet()).newPage();
  const consoleErrors = watchConsole(console_);
  await console_.goto(site.base + '/staff/');
  await signIn(console_);
  assert.equal(await console_.locator(`.order[data-number="${order.number}"]`).count(), 0);
  const signature = new Stripe('sk_test_browser').webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
  const hook = await fetch(`${site.base}/api/payments/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body: payload });
  assert.equal(hook.status, 200, await hook.text());
  await page.locator('#pay-state', { hasText: /^Paid$/ }).waitFor({ timeout: 8000 });
  assert.equal(await page.locator('#pay-buttons button').count(), 0, 'nothing left to pay');
  assert.deepEqual(errors, []);

  // Paid, the order reaches the kitchen's queue with its badge: at once, by the stream's
  // `payment` event (the periodic refresh would take up to 20 s).
  await console_.locator(`.order[data-number="${order.number}"] .pay[data-pay="paid"]`).waitFor({ timeout: 3000 });
  const queued = (await api.queue('chunxi')).find((o) => o.id === order.id);
  assert.equal(queued?.payment.state, 'paid');
  assert.deepEqual(consoleErrors, []);
});
