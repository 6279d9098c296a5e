// Carte marketing dashboard: the campaign and sales reports of the ordering API
// (role marketer, Bearer key kept in this tab's sessionStorage), drawn as
// tables and tiny inline SVG bar charts. No framework, no library, no CDN.

const $ = (sel) => document.querySelector(sel);
const KEY = 'carte.marketer.key';
const SVG = 'http://www.w3.org/2000/svg';

let report = null;
let shown = null;
let exponent = 2;

const money = (minor) => {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  if (exponent === 0) return sign + String(abs);
  const unit = 10 ** exponent;
  return `${sign}${Math.floor(abs / unit)}.${String(abs % unit).padStart(exponent, '0')}`;
};
const percent = (bp) => `${(bp / 100).toFixed(1)}%`;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const child of children) node.append(child);
  return node;
}

async function api(path) {
  const key = sessionStorage.getItem(KEY) || '';
  const response = await fetch(path, { headers: { authorization: `Bearer ${key}` }, cache: 'no-store' });
  if (response.status === 401 || response.status === 403) {
    const problem = await response.json().catch(() => ({}));
    throw Object.assign(new Error(problem.detail || 'This key may not read reports.'), { auth: true });
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    const fields = (problem.errors || []).map((e) => `${e.field}: ${e.reason}`).join('; ');
    throw new Error(fields || problem.detail || `HTTP ${response.status}`);
  }
  return response;
}

function query() {
  const params = new URLSearchParams({ from: $('#from').value, to: $('#to').value });
  if ($('#location').value) params.set('location', $('#location').value);
  return params.toString();
}

/** A horizontal bar chart of `rows` ({label, value, text}) as inline SVG. */
function barChart(figure, title, rows, cls = 'a') {
  figure.replaceChildren();
  const width = 640;
  const row = 26;
  const labelWidth = 180;
  const height = Math.max(row * rows.length + 8, 34);
  const max = Math.max(1, ...rows.map((r) => r.value));
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `${title}: ${rows.map((r) => `${r.label} ${r.text}`).join(', ') || 'no data'}`);
  rows.forEach((r, i) => {
    const y = 4 + i * row;
    const label = document.createElementNS(SVG, 'text');
    label.setAttribute('x', '0');
    label.setAttribute('y', String(y + 16));
    label.textContent = r.label.length > 24 ? `${r.label.slice(0, 23)}…` : r.label;
    const bar = document.createElementNS(SVG, 'rect');
    const w = Math.round(((width - labelWidth - 90) * r.value) / max);
    bar.setAttribute('x', String(labelWidth));
    bar.setAttribute('y', String(y + 3));
    bar.setAttribute('width', String(Math.max(w, r.value > 0 ? 2 : 0)));
    bar.setAttribute('height', '16');
    bar.setAttribute('class', cls);
    const value = document.createElementNS(SVG, 'text');
    value.setAttribute('x', String(labelWidth + w + 6));
    value.setAttribute('y', String(y + 16));
    value.textContent = r.text;
    svg.append(label, bar, value);
  });
  figure.append(svg, el('figcaption', {}, title));
}

const FIGURES = [
  ['visits', 'Visits', String],
  ['orders', 'Orders', String],
  ['revenue', 'Revenue', money],
  ['discount', 'Discount given', money],
  ['redemptions_online', 'Redeemed online', String],
  ['redemptions_counter', 'Redeemed at the counter', String],
  ['new_members', 'New members', String],
  ['repeat_rate_bp', 'Repeat rate', percent],
];

function cells(f) {
  return FIGURES.map(([k, , fmt]) => el('td', {}, fmt(f[k])));
}

function renderTotals(totals, locations) {
  $('#totals').replaceChildren(...FIGURES.map(([k, label, fmt]) =>
    el('div', {}, el('dt', {}, label), el('dd', { 'data-figure': k }, fmt(totals[k])))));
  const box = $('#locations');
  box.replaceChildren();
  if (locations.length > 0) {
    const body = el('tbody');
    for (const l of locations) body.append(el('tr', {}, el('th', { scope: 'row' }, l.location), ...cells(l)));
    const head = el('tr', {}, el('th', { scope: 'col' }, 'Location'), ...FIGURES.map(([, label]) => el('th', { scope: 'col' }, label)));
    box.append(el('h3', {}, 'Per location'), el('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': 'Figures per location' },
      el('table', { id: 'per-location' }, el('caption', { class: 'vh' }, 'Figures per location'), el('thead', {}, head), body)));
  }
}

function renderCampaigns(campaigns) {
  const body = $('#campaigns tbody');
  body.replaceChildren();
  for (const c of campaigns) {
    const button = el('button', { type: 'button', class: 'link', 'data-campaign': c.campaign }, 'Details');
    button.setAttribute('aria-label', `Details of ${c.name}`);
    button.addEventListener('click', () => showDetail(c.campaign));
    body.append(el('tr', { 'data-campaign': c.campaign }, el('th', { scope: 'row' }, c.name), ...cells(c), el('td', {}, button)));
  }
  barChart($('#campaign-chart'), 'Revenue per campaign', campaigns.map((c) => ({ label: c.name, value: c.revenue, text: money(c.revenue) })));
}

function showDetail(id, focus = true) {
  const c = report.campaigns.find((x) => x.campaign === id);
  if (!c) return;
  shown = id;
  $('#detail').hidden = false;
  $('#detail-h').textContent = `Campaign: ${c.name}`;
  const channels = $('#channels tbody');
  channels.replaceChildren(...c.channels.map((h) =>
    el('tr', { 'data-channel': h.channel }, el('th', { scope: 'row' }, h.name), ...cells(h))));
  barChart($('#channel-chart'), `Orders per channel of ${c.name}`,
    c.channels.map((h) => ({ label: h.name, value: h.orders + h.redemptions_counter, text: `${h.orders} orders, ${h.redemptions_counter} at the counter` })), 'b');
  const dash = (v, fmt = String) => (v === undefined || v === null ? '—' : fmt(v));
  $('#coupons tbody').replaceChildren(...c.coupons.map((k) => el('tr', {},
    el('th', { scope: 'row' }, k.code), el('td', {}, String(k.redemptions)), el('td', {}, money(k.discount)),
    el('td', {}, dash(k.budget_left)), el('td', {}, dash(k.budget_amount_left, money)))));
  if (focus) $('#detail-h').focus();
}

function renderSales(sales) {
  barChart($('#hour-chart'), 'Orders per hour of the day', sales.by_hour.filter((h) => h.orders > 0)
    .map((h) => ({ label: `${String(h.hour).padStart(2, '0')}:00`, value: h.orders, text: `${h.orders} (${money(h.revenue)})` })), 'b');
  $('#dishes tbody').replaceChildren(...sales.by_dish.map((d) => el('tr', {},
    el('th', { scope: 'row' }, d.name || d.dish), el('td', {}, String(d.quantity)), el('td', {}, money(d.revenue)))));
}

async function load() {
  $('#status').textContent = 'Loading…';
  try {
    const q = query();
    const [campaigns, sales] = await Promise.all([
      api(`/api/reports/campaigns?${q}`).then((r) => r.json()),
      api(`/api/reports/sales?${q}`).then((r) => r.json()),
    ]);
    report = campaigns;
    exponent = campaigns.exponent;
    const select = $('#location');
    if (select.options.length === 1) {
      for (const l of campaigns.site_locations) select.append(el('option', { value: l.id }, l.name));
    }
    renderTotals(campaigns.totals, campaigns.location ? [] : campaigns.locations);
    renderCampaigns(campaigns.campaigns);
    renderSales(sales);
    if (shown) showDetail(shown, false);
    $('#status').textContent = `Figures from ${campaigns.from} to ${campaigns.to} (${campaigns.currency}).`;
    return true;
  } catch (error) {
    $('#status').textContent = '';
    if (error.auth) {
      sessionStorage.removeItem(KEY);
      showSignin(error.message);
    } else {
      $('#status').textContent = `Could not load the figures: ${error.message}`;
    }
    return false;
  }
}

async function download(kind) {
  try {
    const response = await api(`/api/exports/${kind}.csv?${query()}`);
    const blob = await response.blob();
    const link = el('a', { href: URL.createObjectURL(blob), download: `${kind}-${$('#from').value}-${$('#to').value}.csv` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    $('#status').textContent = `Downloaded ${kind}.`;
  } catch (error) {
    $('#status').textContent = `Could not download ${kind}: ${error.message}`;
  }
}

function showSignin(message = '') {
  $('#signin').hidden = false;
  $('#app').hidden = true;
  $('#signout').hidden = true;
  $('#signin-error').textContent = message;
}

async function showApp() {
  $('#signin').hidden = true;
  $('#app').hidden = false;
  $('#signout').hidden = false;
  return load();
}

function init() {
  const today = new Date();
  const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  $('#to').value = iso(today);
  $('#from').value = iso(new Date(today.getTime() - 29 * 86_400_000));
  $('#signin-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = $('#key').value.trim();
    if (!key) {
      $('#signin-error').textContent = 'Type the marketer key.';
      return;
    }
    sessionStorage.setItem(KEY, key);
    $('#key').value = '';
    await showApp();
  });
  $('#filters').addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  $('#signout').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    showSignin();
  });
  for (const button of document.querySelectorAll('[data-export]')) {
    button.addEventListener('click', () => download(button.dataset.export));
  }
  if (sessionStorage.getItem(KEY)) showApp();
  else showSignin();
}

init();
