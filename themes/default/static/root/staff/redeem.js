// Counter redemption, a view of the staff console (its bar, sign-in and language):
// staff type the code a diner shows and the in-store spend; the API computes the
// grant with the catalog's coupon rules and records it (channel "counter") within
// budgets, limits and single use. Money is shown in the site currency (¥88.00).
import { $, S, api, el, loc, money, saved, sessionEnded, t, views } from './staff.js';

let grant = null;

const exponent = () => S.config?.currency?.exponent ?? 2;
const example = () => (exponent() === 0 ? '58' : `58.${'0'.repeat(exponent())}`);

/** Minor units from a decimal string with at most `exponent` decimals, or null. */
function toMinor(text) {
  const e = exponent();
  const t2 = text.trim().replace(/^[¥￥$€£]\s*/, '');
  const re = e === 0 ? /^\d+$/ : new RegExp(`^\\d+(\\.\\d{1,${e}})?$`);
  if (!re.test(t2)) return null;
  const [whole, frac = ''] = t2.split('.');
  return Number(whole) * 10 ** e + Number(frac.padEnd(e, '0') || '0');
}

const dishName = (id) => {
  for (const menu of S.config.menus) {
    for (const cat of menu.categories) {
      const dish = cat.dishes.find((d) => d.id === id);
      if (dish) return loc(dish.name);
    }
  }
  return id;
};

function showGrant() {
  if (!grant) { $('#result').hidden = true; return; }
  const rows = [
    ['r_coupon', grant.coupon],
    ['r_spend', money(grant.amount)],
    ['r_discount', `−${money(grant.discount)}`],
    ['r_to_pay', money(grant.to_pay), 'to-pay'],
  ];
  if (grant.free_dish) rows.push(['r_free', dishName(grant.free_dish)]);
  if (grant.rule) {
    rows.push(['r_rule', t('r_rule_text', { buy: grant.rule.buy, get: grant.rule.get }) + (grant.rule.max_free ? t('r_rule_max', { max: grant.rule.max_free }) : '')]);
  }
  $('#grant').replaceChildren(...rows.map(([k, v, id]) => el('div', {}, el('dt', { text: t(k) }), el('dd', { id, text: v }))));
  $('#result').hidden = false;
}

function render() {
  const select = $('#redeem-location');
  select.replaceChildren(...S.config.locations.map((l) => el('option', { value: l.id, selected: l.id === S.location, text: loc(l.name) })));
  $('#amount').placeholder = example();
  showGrant();
}

async function submit(event) {
  event.preventDefault();
  $('#error').textContent = '';
  const code = $('#code').value.trim();
  if (!code) { $('#error').textContent = t('code_needed'); $('#code').focus(); return; }
  const amount = toMinor($('#amount').value);
  if (amount === null) { $('#error').textContent = t('amount_bad', { eg: example() }); $('#amount').focus(); return; }
  grant = null;
  showGrant();
  const button = $('#redeem-form button[type=submit]');
  button.disabled = true;
  let r;
  try {
    r = await api('/api/staff/redemptions', { method: 'POST', body: { code, location: S.location, amount } });
  } catch {
    r = null;
  }
  button.disabled = false;
  if (!r) { $('#error').textContent = t('offline'); return; }
  if (r.status === 401) { sessionEnded(); return; }
  if (r.status === 201) {
    $('#code').value = '';
    grant = r.data;
    showGrant();
    $('#result-h').focus();
    return;
  }
  const data = r.data || {};
  const reason = data.reason?.reason;
  $('#error').textContent = (reason && t(`r_${reason}`) !== `r_${reason}` ? t(`r_${reason}`) : '')
    || (data.errors || []).map((e) => `${e.field}: ${e.reason}`).join('; ') || data.detail || t('refused', { s: r.status });
}

views.redeem = { render };
$('#redeem-form').addEventListener('submit', submit);
$('#redeem-location').addEventListener('change', (e) => { S.location = e.target.value; saved.set('location', S.location); });
