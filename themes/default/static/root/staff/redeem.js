// Counter redemption: staff type the code a diner shows, the location and the
// in-store spend; the API computes the grant with the catalog's coupon rules
// and records it (channel "counter") within budgets, limits and single use.
// Authenticates with the staff console's session cookie when there is one,
// otherwise with a staff key typed here (kept in sessionStorage).

const $ = (sel) => document.querySelector(sel);
const KEY = 'carte.staff.redeem.key';
let exponent = 2;
let session = false;

const REASONS = {
  unknown: 'No coupon has this code. Check the letters (no 0/O, 1/I/L are used).',
  already_used: 'This code has already been used (online or at the counter).',
  budget_exhausted: "The coupon's budget is used up.",
  per_member_limit: 'This member has used the coupon the allowed number of times.',
  members_only: 'This coupon is for members only.',
  first_order_only: "This coupon is for a member's first order only.",
  expired: 'The coupon has expired.',
  not_yet_valid: 'The coupon is not valid yet.',
  outside_hours: 'The coupon cannot be used at this time of day.',
  wrong_location: 'The coupon is not valid at this location.',
  below_minimum: 'The spend is below the coupon\'s minimum.',
};

function headers() {
  const h = { 'content-type': 'application/json' };
  const key = sessionStorage.getItem(KEY);
  if (!session && key) h.authorization = `Bearer ${key}`;
  return h;
}

/** Minor units from a decimal string with at most `exponent` decimals, or null. */
function toMinor(text) {
  const t = text.trim();
  const re = exponent === 0 ? /^\d+$/ : new RegExp(`^\\d+(\\.\\d{1,${exponent}})?$`);
  if (!re.test(t)) return null;
  const [whole, frac = ''] = t.split('.');
  return Number(whole) * 10 ** exponent + Number(frac.padEnd(exponent, '0') || '0');
}

async function detectSession() {
  const r = await fetch('/api/staff/session', { credentials: 'same-origin', cache: 'no-store' }).catch(() => null);
  session = Boolean(r && r.ok);
  $('#session-note').hidden = !session;
  $('#key-row').hidden = session;
}

async function loadLocations() {
  // The staff console's configuration lists the locations and the currency;
  // without it, the location is typed.
  const select = $('#location');
  const r = await fetch('/api/staff/config', { cache: 'no-store' }).catch(() => null);
  if (r && r.ok) {
    const config = await r.json();
    exponent = config.currency?.exponent ?? exponent;
    const lang = (config.languages || [])[0];
    const name = (l) => (l.name && (l.name[document.documentElement.lang] || l.name[lang])) || l.id;
    select.replaceChildren(...(config.locations || []).map((l) => new Option(name(l), l.id)));
  }
  if (select.options.length === 0) {
    const typed = document.createElement('input');
    typed.id = 'location';
    typed.name = 'location';
    typed.required = true;
    typed.autocomplete = 'off';
    select.replaceWith(typed);
  }
}

function show(grant) {
  const rows = [
    ['Coupon', `${grant.coupon} (${grant.campaign})`],
    ['Spend', `${grant.display.amount} ${grant.display.currency}`],
    ['Discount', `${grant.display.discount} ${grant.display.currency}`],
    ['To pay', `${grant.display.to_pay} ${grant.display.currency}`],
  ];
  if (grant.free_dish) rows.push(['Hand over free', grant.free_dish]);
  if (grant.rule) rows.push(['Apply at the till', `buy ${grant.rule.buy}, get ${grant.rule.get} free${grant.rule.max_free ? ` (at most ${grant.rule.max_free})` : ''}`]);
  $('#grant').replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    if (k === 'To pay') dd.id = 'to-pay';
    return [dt, dd];
  }));
  $('#result').hidden = false;
  $('#result-h').focus();
}

async function submit(event) {
  event.preventDefault();
  $('#error').textContent = '';
  $('#result').hidden = true;
  if (!session) {
    const key = $('#key').value.trim() || sessionStorage.getItem(KEY);
    if (!key) {
      $('#error').textContent = 'Type the staff key, or sign in on the orders screen.';
      return;
    }
    sessionStorage.setItem(KEY, key);
    $('#key').value = '';
  }
  const amount = toMinor($('#amount').value);
  if (amount === null) {
    $('#error').textContent = 'Type the spend as a number such as 58.00.';
    return;
  }
  const body = { code: $('#code').value.trim(), location: $('#location').value.trim(), amount };
  const r = await fetch('/api/staff/redemptions', { method: 'POST', headers: headers(), body: JSON.stringify(body), credentials: 'same-origin' })
    .catch(() => null);
  if (!r) {
    $('#error').textContent = 'No connection. Try again.';
    return;
  }
  const data = await r.json().catch(() => ({}));
  if (r.status === 201) {
    $('#code').value = '';
    show(data);
    return;
  }
  if (r.status === 401 || r.status === 403) sessionStorage.removeItem(KEY);
  const reason = data.reason?.reason;
  $('#error').textContent = REASONS[reason] || (data.errors || []).map((e) => `${e.field}: ${e.reason}`).join('; ') || data.detail || `Refused (HTTP ${r.status}).`;
}

async function init() {
  $('#redeem-form').addEventListener('submit', submit);
  await detectSession();
  await loadLocations();
}

init();
