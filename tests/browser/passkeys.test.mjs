// Passkeys in headless Chromium with a virtual authenticator (the DevTools WebAuthn
// domain): a member proves their phone, adds a passkey, signs out, and signs back in
// with the passkey alone; a replayed answer is refused.
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

/** Adds a platform authenticator with user verification to the page's browser. */
async function authenticator(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials };
}

const call = (page, method, path, body) => page.evaluate(async ([method, path, body]) => {
  const r = await fetch(path, { method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body && JSON.stringify(body) });
  return { status: r.status, data: await r.json().catch(() => null) };
}, [method, path, body]);

test('registers_a_passkey_then_signs_back_in_with_it', { timeout: 120_000 }, async () => {
  // Passkeys need a domain name: `localhost`, not 127.0.0.1.
  const base = site.base.replace('127.0.0.1', 'localhost');
  const context = await phone(browser);
  const page = await context.newPage();
  const device = await authenticator(context, page);
  await page.goto(base + '/en/join/');
  await menuReady(page);
  const signIn = page.getByRole('button', { name: 'Sign in with a passkey' });
  await signIn.waitFor();

  // Prove the phone once.
  await page.getByLabel('Phone').fill('139 0013 9000');
  await page.getByLabel(/I agree/).check();
  await page.locator('#j-go').click();
  await page.getByText('We sent a code.', { exact: false }).waitFor();
  const sent = site.log().match(/one-time code for phone:\+8613900139000 \(.*?\): (\d{6})/);
  assert.ok(sent, 'the code is on the server console');
  await page.getByLabel('The 6-digit code we sent').fill(sent[1]);
  await page.getByRole('button', { name: 'Confirm and join' }).click();
  await page.getByText('Welcome! You are a member.').waitFor();
  const me = await call(page, 'GET', '/api/members/me');
  assert.equal(me.status, 200);

  // Offered after the proof: add a passkey on this device.
  await page.getByRole('button', { name: 'Add a passkey on this device' }).click();
  await page.getByText('Passkey added', { exact: false }).waitFor();
  const stored = await device.credentials();
  assert.equal(stored.length, 1);
  assert.equal(stored[0].isResidentCredential, true, 'discoverable, so signing in needs nothing typed');
  assert.equal(stored[0].rpId, 'localhost');
  const listed = await call(page, 'GET', '/api/members/passkeys');
  assert.equal(listed.status, 200);
  assert.equal(listed.data.length, 1);
  assert.equal(listed.data[0].last_used_at ?? null, null);

  // Sign out: the session is gone.
  assert.equal((await call(page, 'DELETE', '/api/members/session')).status, 204);
  assert.equal((await call(page, 'GET', '/api/members/me')).status, 401);

  // Back with the passkey alone, and the answer cannot be replayed.
  let answer;
  page.on('request', (r) => { if (r.url().endsWith('/api/members/passkey/verify')) answer = r.postData(); });
  await page.reload();
  await menuReady(page);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await page.getByText('Signed in. Welcome back!').waitFor();
  const back = await call(page, 'GET', '/api/members/me');
  assert.equal(back.status, 200);
  assert.equal(back.data.id, me.data.id);
  const used = await call(page, 'GET', '/api/members/passkeys');
  assert.ok(used.data[0].last_used_at, 'the sign-in is recorded');
  assert.ok(answer, 'the browser sent its answer');
  const replay = await call(page, 'POST', '/api/members/passkey/verify', JSON.parse(answer));
  assert.equal(replay.status, 422);
  assert.equal(replay.data.errors[0].field, 'ceremony');

  // Removing the passkey: it no longer signs anyone in.
  assert.equal((await call(page, 'DELETE', `/api/members/passkeys/${listed.data[0].id}`)).status, 204);
  assert.equal((await call(page, 'GET', '/api/members/passkeys')).data.length, 0);
  await context.close();
});

test('a_bare_ip_address_offers_no_passkeys', { timeout: 60_000 }, async () => {
  const context = await phone(browser);
  const page = await context.newPage();
  await page.goto(site.base + '/en/join/');
  await menuReady(page);
  await page.waitForTimeout(300);
  assert.equal(await page.locator('[data-passkeys]').isHidden(), true);
  await context.close();
});
