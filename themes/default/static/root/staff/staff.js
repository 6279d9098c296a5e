// Carte staff console: the live order queue, the kitchen view, sold-out switches
// and the pickup board. No framework, no requests beyond this site's /api.
// Every text from the API or a diner goes in via textContent, never as HTML.

import { pollDelay } from './poll.js';

export const $ = (s, r = document) => r.querySelector(s);
const $$ = (s, r = document) => [...r.querySelectorAll(s)];
export const el = (tag, props = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v == null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  e.append(...kids.filter((k) => k != null && k !== false));
  return e;
};
export const saved = {
  get: (k) => { try { return localStorage.getItem('carte:staff:' + k); } catch { return null; } },
  set: (k, v) => { try { localStorage.setItem('carte:staff:' + k, v); } catch { /* private mode */ } },
};

const STRINGS = {
  en: {
    skip: 'Skip to content', queue: 'Orders', kitchen: 'Kitchen', soldout: 'Sold out', board: 'Pickup board',
    views: 'Staff views', location: 'Location', language: 'Language', sound: 'Sound', sign_out: 'Sign out',
    signin: 'Sign in', key: 'Staff key', key_hint: 'Ask the owner for a staff key (carte keys create --role staff). You enter it once on this device.',
    bad_key: 'That key is not valid, or it was revoked.', too_many: 'Too many attempts. Try again in {s} seconds.',
    wrong_role: 'This key ({label}) is not a staff key. Sign out and use a staff key.',
    session_ended: 'You were signed out. Sign in again to continue.', offline: 'Cannot reach the server.',
    live: 'Live', polling: 'Live (checking every 1–5 s)', lost: 'Connection lost, retrying…',
    show_done: 'Show completed and cancelled', print_all: 'Print all open', paper: 'Ticket width', print: 'Print',
    col_new: 'New', col_doing: 'In progress', col_ready: 'Ready', col_done: 'Completed and cancelled',
    table: 'Table {t}', pickup: 'Pickup {t}', minutes: '{n} min', total: 'Total', coupon: 'Coupon {c}', note: 'Note', rated: 'Diner’s rating: {s}/5',
    name: 'Name', by: '{status} by {who} at {at}', at: '{status} at {at}',
    st_received: 'New', st_accepted: 'Accepted', st_preparing: 'Preparing', st_ready: 'Ready', st_completed: 'Completed', st_cancelled: 'Cancelled',
    do_accepted: 'Accept', do_preparing: 'Start preparing', do_ready: 'Ready', do_completed: 'Collected', do_cancel: 'Cancel…',
    cancel_title: 'Cancel order {n}?', cancel_reason: 'Reason (the diner sees the order cancelled)', back: 'Back',
    cancel_confirm: 'Cancel the order', reason_needed: 'Give a reason.', action_failed: 'Could not change order {n}: {why}',
    new_order: 'New order {n}', kitchen_hint: 'Every dish still to cook across the open orders (new, accepted, preparing).',
    nothing: 'Nothing to cook right now.', notes: 'Notes', soldout_hint: 'Switch a dish or a choice off when the kitchen runs out: new orders and the menu see it at once.',
    sold_out: 'Sold out', in_menu: 'sold out in the menu file', switch_failed: 'Could not switch {x}: {why}',
    board_ready: 'Ready', board_preparing: 'Preparing', placed: 'Placed {at}', subtotal: 'Subtotal', discount: 'Discount',
    service: 'Service charge', empty: 'No orders.',
    redeem: 'Redeem', settings: 'Settings', nav_board: 'Board', tomorrow: 'tomorrow', yesterday: 'yesterday',
    redeem_h: 'Redeem a coupon', code: "Code shown on the diner's phone", amount: 'In-store spend', redeem_do: 'Redeem', redeemed: 'Redeemed',
    amount_bad: 'Type the spend as a number such as {eg}.', code_needed: 'Type the code.', r_coupon: 'Coupon', r_spend: 'Spend', r_discount: 'Discount', r_to_pay: 'To pay',
    r_free: 'Hand over free', r_rule: 'Apply at the till', r_rule_text: 'buy {buy}, get {get} free', r_rule_max: ' (at most {max})', refused: 'Refused (HTTP {s}).',
    r_unknown: 'No coupon has this code. Check the letters (no 0/O, 1/I/L are used).',
    r_already_used: 'This code has already been used (online or at the counter).',
    r_budget_exhausted: "The coupon's budget is used up.", r_per_member_limit: 'This member has used the coupon the allowed number of times.',
    r_members_only: 'This coupon is for members only.', r_issued_to_another_member: 'This welcome code belongs to another member.', r_printed_codes_only: 'Scan or type one of the printed codes, not the coupon name.', r_first_order_only: "This coupon is for a member's first order only.",
    r_expired: 'The coupon has expired.', r_not_yet_valid: 'The coupon is not valid yet.', r_outside_hours: 'The coupon cannot be used at this time of day.',
    r_wrong_location: 'The coupon is not valid at this location.', r_below_minimum: "The spend is below the coupon's minimum.",
    pay_paid: 'PAID', pay_unpaid: 'UNPAID', pay_pending: 'PENDING', pay_failed: 'UNPAID (failed)', pay_expired: 'EXPIRED',
    pay_refunded: 'REFUNDED', pay_partially_refunded: 'PART REFUNDED', pay_mismatch: 'MISMATCH', to_pay: 'To pay {a}',
    take_payment: 'Take payment…', refund: 'Refund…', pay_title: 'Payment for order {n}', refund_title: 'Refund on order {n}',
    due_line: 'Due {a} of {total}', refundable_line: 'Refundable {a}', method: 'Method', m_cash: 'Cash', m_card_terminal: 'Card terminal',
    m_counter_qr: "Shop's QR code", m_stripe: 'Card online (Stripe), back to the card', m_wechat_pay: 'WeChat Pay, back to the payer',
    refund_asked: 'Order {n}: refund of {a} asked of the provider; it shows once confirmed.', p_amount: 'Amount', tendered: 'Handed over (cash)', change_due: 'Change to give: {a}',
    reference: 'Reference (slip or transaction number, optional)', reason: 'Reason', record_payment: 'Record payment', record_refund: 'Record refund',
    amount_money: 'Type an amount such as {eg}.', tendered_short: 'Less than the amount.', over_refundable: 'At most {a}.',
    paid_ok: 'Order {n}: {a} recorded.', paid_change: 'Order {n}: {a} recorded. Give {c} change.', refunded_ok: 'Order {n}: {a} refunded.',
    mismatch_hint: 'Money received that did not count ({why}). Check and refund it.', board_unpaid: 'Pay at the counter', payment_h: 'Not paid yet',
  },
  zh: {
    skip: '跳到内容', queue: '订单', kitchen: '后厨', soldout: '沽清', board: '取餐屏',
    views: '员工页面', location: '门店', language: '语言', sound: '提示音', sign_out: '退出',
    signin: '登录', key: '员工密钥', key_hint: '请向店主索取员工密钥（carte keys create --role staff）。每台设备只需输入一次。',
    bad_key: '密钥无效或已被吊销。', too_many: '尝试次数过多，请在 {s} 秒后再试。',
    wrong_role: '此密钥（{label}）不是员工密钥。请退出并使用员工密钥。',
    session_ended: '您已退出登录，请重新登录。', offline: '无法连接服务器。',
    live: '实时', polling: '实时（每 1–5 秒检查）', lost: '连接中断，正在重试…',
    show_done: '显示已完成和已取消', print_all: '打印全部未完成', paper: '小票宽度', print: '打印',
    col_new: '新订单', col_doing: '制作中', col_ready: '待取餐', col_done: '已完成和已取消',
    table: '{t} 号桌', pickup: '自取 {t}', minutes: '{n} 分钟', total: '合计', coupon: '优惠券 {c}', note: '备注', rated: '顾客评分：{s}/5',
    name: '姓名', by: '{who} 于 {at} {status}', at: '{at} {status}',
    st_received: '新订单', st_accepted: '已接单', st_preparing: '制作中', st_ready: '待取餐', st_completed: '已完成', st_cancelled: '已取消',
    do_accepted: '接单', do_preparing: '开始制作', do_ready: '出餐', do_completed: '已取餐', do_cancel: '取消…',
    cancel_title: '取消订单 {n}？', cancel_reason: '原因（顾客会看到订单已取消）', back: '返回',
    cancel_confirm: '取消订单', reason_needed: '请填写原因。', action_failed: '无法更改订单 {n}：{why}',
    new_order: '新订单 {n}', kitchen_hint: '所有未完成订单（新订单、已接单、制作中）中待做的菜品。',
    nothing: '目前没有待做的菜。', notes: '备注', soldout_hint: '某道菜或某个选项卖完时关掉它：新订单和菜单立即生效。',
    sold_out: '已沽清', in_menu: '菜单文件中已标为售罄', switch_failed: '无法切换 {x}：{why}',
    board_ready: '请取餐', board_preparing: '制作中', placed: '下单 {at}', subtotal: '小计', discount: '优惠',
    service: '服务费', empty: '没有订单。',
    redeem: '核销', settings: '设置', nav_board: '取餐屏', tomorrow: '明天', yesterday: '昨天',
    redeem_h: '核销优惠券', code: '顾客手机上显示的券码', amount: '店内消费金额', redeem_do: '核销', redeemed: '已核销',
    amount_bad: '请输入金额，例如 {eg}。', code_needed: '请输入券码。', r_coupon: '优惠券', r_spend: '消费', r_discount: '优惠', r_to_pay: '应付',
    r_free: '赠送菜品', r_rule: '收银时执行', r_rule_text: '买 {buy} 送 {get}', r_rule_max: '（最多 {max} 份）', refused: '被拒绝（HTTP {s}）。',
    r_unknown: '没有这个券码。请核对字母（券码不使用 0/O、1/I/L）。',
    r_already_used: '此券码已被使用（线上或到店）。',
    r_budget_exhausted: '此优惠券的预算已用完。', r_per_member_limit: '此会员已达到该券的使用次数上限。',
    r_members_only: '此优惠券仅限会员使用。', r_issued_to_another_member: '该欢迎优惠码属于其他会员。', r_printed_codes_only: '请扫描或输入印制的券码，而不是优惠券名称。', r_first_order_only: '此优惠券仅限会员首单使用。',
    r_expired: '此优惠券已过期。', r_not_yet_valid: '此优惠券尚未生效。', r_outside_hours: '此优惠券在当前时段不可用。',
    r_wrong_location: '此优惠券不适用于本门店。', r_below_minimum: '消费金额未达到此优惠券的最低消费。',
    pay_paid: '已付', pay_unpaid: '未付', pay_pending: '付款中', pay_failed: '未付（失败）', pay_expired: '已过期',
    pay_refunded: '已退款', pay_partially_refunded: '部分退款', pay_mismatch: '金额不符', to_pay: '待付 {a}',
    take_payment: '收款…', refund: '退款…', pay_title: '订单 {n} 收款', refund_title: '订单 {n} 退款',
    due_line: '应付 {a}（合计 {total}）', refundable_line: '可退 {a}', method: '方式', m_cash: '现金', m_card_terminal: '刷卡',
    m_counter_qr: '门店收款码', m_stripe: '在线银行卡（Stripe），原路退回', m_wechat_pay: '微信支付，原路退回',
    refund_asked: '订单 {n}：已向支付平台申请退款 {a}，确认后显示。', p_amount: '金额', tendered: '实收（现金）', change_due: '找零：{a}',
    reference: '凭证号（小票或交易号，选填）', reason: '原因', record_payment: '确认收款', record_refund: '确认退款',
    amount_money: '请输入金额，例如 {eg}。', tendered_short: '少于金额。', over_refundable: '最多 {a}。',
    paid_ok: '订单 {n}：已收 {a}。', paid_change: '订单 {n}：已收 {a}，请找零 {c}。', refunded_ok: '订单 {n}：已退 {a}。',
    mismatch_hint: '收到的款项未计入（{why}）。请核对并退款。', board_unpaid: '请到柜台付款', payment_h: '尚未付款',
  },
};
const LANG_NAMES = { zh: '中文', en: 'English' };
const NEXT = { received: 'accepted', accepted: 'preparing', preparing: 'ready', ready: 'completed' };
const OPEN = ['received', 'accepted', 'preparing', 'ready'];

export const S = {
  view: document.body.dataset.view,
  config: null,
  lang: 'en',
  location: null,
  orders: [],
  etag: null,
  seen: null,
  sound: saved.get('sound') !== 'off',
  live: null,
  retry: 0,
  signedIn: false,
  soldOut: { dishes: [], choices: [] },
  menu: new Map(),
};

export const t = (key, vars = {}) => ((STRINGS[S.lang] || STRINGS.en)[key] ?? STRINGS.en[key] ?? key)
  .replace(/\{(\w+)\}/g, (_, n) => vars[n] ?? '');
export const loc = (text) => (text && (text[S.lang] ?? text[S.config.languages[0]] ?? Object.values(text)[0])) || '';

export async function api(path, { method = 'GET', body, etag, key } = {}) {
  const headers = { accept: 'application/json' };
  if (body) headers['content-type'] = 'application/json';
  if (etag) headers['if-none-match'] = etag;
  if (key) headers['idempotency-key'] = key;
  const r = await fetch(path, { method, headers, body: body && JSON.stringify(body), cache: 'no-store', credentials: 'same-origin' });
  const data = r.status === 204 || r.status === 304 ? null : await r.json().catch(() => null);
  return { ok: r.ok, status: r.status, data, etag: r.headers.get('etag'), retryAfter: r.headers.get('retry-after') };
}
const why = (r) => (r.data && (r.data.detail || r.data.title)) || `HTTP ${r.status}`;

// Money from minor units with the currency's exponent; times in the site's time zone.
export const money = (minor) => {
  const { code, exponent } = S.config.currency;
  return new Intl.NumberFormat(S.lang, { style: 'currency', currency: code, currencyDisplay: 'narrowSymbol', minimumFractionDigits: exponent, maximumFractionDigits: exponent })
    .format(minor / 10 ** exponent);
};
const clock = (iso) => new Intl.DateTimeFormat(S.lang, { hour: '2-digit', minute: '2-digit', timeZone: S.config.timezone }).format(new Date(iso));
// The calendar day (YYYY-MM-DD) of a moment in the shop's time zone (`timezone` of /api/staff/config).
const shopDay = (d) => new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: S.config.timezone }).format(d);
// A pickup time: the time alone today (in the shop), else with its day.
function slotText(iso) {
  const at = new Date(iso);
  const [day, today] = [shopDay(at), shopDay(new Date())];
  if (day === today) return clock(iso);
  const diff = Math.round((Date.parse(day) - Date.parse(today)) / 86_400_000);
  const named = diff === 1 ? t('tomorrow') : diff === -1 ? t('yesterday')
    : new Intl.DateTimeFormat(S.lang, { weekday: 'short', month: 'short', day: 'numeric', timeZone: S.config.timezone }).format(at);
  return `${named} ${clock(iso)}`;
}
// Views other modules add (the redeem page): {render()} called like the built-in ones.
export const views = {};

// The menu by dish id, for names in the chosen language.
function indexMenus() {
  S.menu.clear();
  for (const menu of S.config.menus) {
    for (const cat of menu.categories) {
      for (const dish of cat.dishes) {
        S.menu.set(dish.id, { dish, category: cat });
      }
    }
  }
}
const dishName = (line) => { const d = S.menu.get(line.dish)?.dish; return d ? loc(d.name) : line.name; };
// A set meal's chosen dish keeps its own options, under `group/choice/inner`.
function choiceName(dishId, opt) {
  const [g, c, inner] = opt.group.split('/');
  let dish = S.menu.get(dishId)?.dish;
  if (inner) dish = S.menu.get(dish?.options?.find((x) => x.id === g)?.choices.find((x) => x.id === c)?.dish)?.dish;
  const group = dish?.options?.find((x) => x.id === (inner || opt.group));
  const choice = group?.choices.find((x) => x.id === opt.choice);
  return choice ? loc(choice.name) : opt.name;
}
// "Beef noodles (Large, Egg), Tea": a set meal's dish with its own choices.
function optionsText(line) {
  const parts = [];
  for (const o of line.options) {
    const name = choiceName(line.dish, o);
    if (o.group.includes('/') && parts.length) parts[parts.length - 1].inner.push(name);
    else parts.push({ name, inner: [] });
  }
  return parts.map((p) => (p.inner.length ? `${p.name} (${p.inner.join(', ')})` : p.name)).join(', ');
}

// Text in the page: data-t (this language) and data-t-all (every language of the site, for the board).
function applyStrings() {
  document.documentElement.lang = S.lang;
  $$('[data-t]').forEach((e) => { e.textContent = t(e.dataset.t); });
  $$('[data-t-all]').forEach((e) => {
    const langs = S.config.languages.filter((l) => STRINGS[l]);
    e.textContent = [...new Set(langs.map((l) => STRINGS[l][e.dataset.tAll]))].join(' · ');
  });
  const name = loc(S.config.name);
  document.title = `${t(S.view)} · ${name}`;
  updateTitle();
}

function updateTitle() {
  if (S.view === 'board' || !S.config) return;
  const fresh = S.orders.filter((o) => o.status === 'received').length;
  const base = `${t(S.view)} · ${loc(S.config.name)}`;
  document.title = S.view === 'queue' && fresh ? `(${fresh}) ${base}` : base;
}

// A short beep through WebAudio: no sound file. Browsers allow audio after a
// first tap or key press, so the context is made (or resumed) on one.
let audio = null;
function unlockAudio() {
  try {
    audio = audio || new AudioContext();
    if (audio.state === 'suspended') audio.resume();
  } catch { audio = null; }
}
addEventListener('pointerdown', unlockAudio, { passive: true });
addEventListener('keydown', unlockAudio);
function beep() {
  if (!S.sound || !audio) return;
  const now = audio.currentTime;
  for (const [at, freq] of [[0, 880], [0.22, 1175]]) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, now + at);
    gain.gain.exponentialRampToValueAtTime(0.3, now + at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + at + 0.18);
    osc.connect(gain).connect(audio.destination);
    osc.start(now + at);
    osc.stop(now + at + 0.2);
  }
}

function setConn(state) {
  const c = $('#conn');
  if (!c) return;
  c.classList.toggle('lost', state === 'lost');
  c.textContent = state ? t(state) : '';
  document.body.dataset.conn = state || '';
}

// The bar: site name, views, location, language, sound, who is signed in.
function renderBar() {
  const bar = $('#bar');
  if (!bar) return;
  const pages = [['queue', './'], ['kitchen', 'kitchen.html'], ['soldout', 'soldout.html'], ['redeem', 'redeem.html'], ['nav_board', 'board.html']];
  const nav = el('nav', { 'aria-label': t('views') },
    ...pages.map(([v, href]) => el('a', { href: v === 'nav_board' ? `${href}?location=${encodeURIComponent(S.location || '')}` : href, 'aria-current': v === S.view ? 'page' : null, text: t(v) })));
  const tools = el('div', { class: 'tools', id: 'tools' });
  if (S.config.locations.length > 1 && S.view !== 'redeem') tools.append(locationPicker());
  if (S.config.languages.length > 1) {
    const sel = el('select', { id: 'lang', onchange: (e) => { S.lang = e.target.value; saved.set('lang', S.lang); refreshText(); } },
      ...S.config.languages.map((l) => el('option', { value: l, lang: l, selected: l === S.lang, text: LANG_NAMES[l] || l })));
    tools.append(el('label', {}, el('span', { text: t('language') + ' ' }), sel));
  }
  if (S.view === 'queue') {
    tools.append(el('button', { type: 'button', id: 'sound', 'aria-pressed': String(S.sound), text: t('sound'),
      onclick: (e) => { S.sound = !S.sound; saved.set('sound', S.sound ? 'on' : 'off'); e.target.setAttribute('aria-pressed', String(S.sound)); if (S.sound) { unlockAudio(); beep(); } } }));
  }
  if (S.signedIn) {
    tools.append(el('span', { class: 'who', id: 'who', text: S.me?.label || '' }),
      el('button', { type: 'button', id: 'signout', text: t('sign_out'), onclick: signOut }));
  }
  // On a phone the tools fold under "Settings" so the orders start near the top.
  const was = $('#settings', bar);
  const open = was ? was.open : wide.matches;
  const settings = el('details', { id: 'settings', class: 'settings', open }, el('summary', { text: t('settings') }), tools);
  bar.replaceChildren(el('p', { class: 'site', text: loc(S.config.name) }), nav, settings);
}
const wide = matchMedia('(min-width: 56rem)');
wide.addEventListener?.('change', () => { const d = $('#settings'); if (d) d.open = wide.matches; });

function locationPicker() {
  const sel = el('select', { id: 'location', onchange: (e) => switchLocation(e.target.value) },
    ...S.config.locations.map((l) => el('option', { value: l.id, selected: l.id === S.location, text: loc(l.name) })));
  return el('label', {}, el('span', { text: t('location') + ' ' }), sel);
}

function switchLocation(id) {
  S.location = id;
  saved.set('location', id);
  S.orders = [];
  S.etag = null;
  S.seen = null;
  if (S.view === 'board') {
    S.board = null;
    const u = new URL(location.href);
    u.searchParams.set('location', id);
    history.replaceState(null, '', u);
  }
  renderBar();
  connect();
}

function refreshText() {
  applyStrings();
  renderBar();
  render();
  if (S.conn) setConn(S.conn);
}

// ---- signing in and out -------------------------------------------------

function showSignIn(message) {
  S.signedIn = false;
  saved.set('session', '');
  disconnect();
  setConn(null);
  renderBar();
  $('#app').hidden = true;
  $('#wrong-role').hidden = true;
  $('#signin').hidden = false;
  $('#signin-error').textContent = message || '';
  $('#key').focus();
}

async function signIn(e) {
  e.preventDefault();
  const input = $('#key');
  const key = input.value.trim();
  if (!key) { $('#signin-error').textContent = t('bad_key'); input.focus(); return; }
  let r;
  try { r = await api('/api/staff/session', { method: 'POST', body: { key } }); } catch { $('#signin-error').textContent = t('offline'); return; }
  if (r.ok) {
    input.value = '';
    await signedIn(r.data);
  } else {
    $('#signin-error').textContent = r.status === 429 ? t('too_many', { s: r.retryAfter || 60 }) : t('bad_key');
    input.select();
  }
}

async function signOut() {
  disconnect();
  try { await api('/api/staff/session', { method: 'DELETE' }); } catch { /* the cookie is cleared on the next sign-in anyway */ }
  S.me = null;
  showSignIn('');
}

async function signedIn(me) {
  S.me = me;
  $('#signin').hidden = true;
  if (me.role !== 'staff') {
    S.signedIn = true;
    renderBar();
    const w = $('#wrong-role');
    w.textContent = t('wrong_role', { label: me.label });
    w.hidden = false;
    return;
  }
  S.signedIn = true;
  // This device has a staff session: the pickup board may read the queue (to leave dine-in orders out).
  saved.set('session', '1');
  renderBar();
  $('#app').hidden = false;
  connect();
  render();
}

export function sessionEnded() {
  showSignIn(t('session_ended'));
}

// ---- staying live: Server-Sent Events, or polling with ETags ---------------

function disconnect() {
  if (S.live?.source) S.live.source.close();
  if (S.live?.timer) clearTimeout(S.live.timer);
  S.live = null;
}

function connect() {
  disconnect();
  const live = { mode: 'sse' };
  S.live = live;
  if (S.view === 'redeem') { S.live = null; return; }
  if (S.view === 'board') { live.mode = 'poll'; poll(live); return; }
  if (saved.get('mode') === 'poll') { live.mode = 'poll'; poll(live); return; }
  const source = new EventSource(`/api/staff/events?location=${encodeURIComponent(S.location)}`);
  live.source = source;
  let opened = false;
  source.addEventListener('ready', () => { opened = true; S.retry = 0; S.conn = 'live'; setConn('live'); refresh(); });
  for (const kind of ['placed', 'status', 'payment', 'resync']) source.addEventListener(kind, () => refresh());
  source.addEventListener('sold_out', () => { if (S.view === 'soldout') loadSoldOut(); });
  source.addEventListener('ended', () => { source.close(); sessionEnded(); });
  source.onerror = async () => {
    if (S.live !== live) return;
    S.conn = 'lost';
    setConn('lost');
    if (source.readyState !== EventSource.CLOSED) return; // the browser retries by itself
    // Closed for good: signed out, no stream here (Lambda), or the server is away.
    const me = await api('/api/staff/session').catch(() => null);
    if (S.live !== live) return;
    if (me && me.status === 401) { sessionEnded(); return; }
    if (me && me.ok && !opened) {
      const probe = await fetch(source.url, { headers: { accept: 'text/event-stream' } }).catch(() => null);
      if (probe) probe.body?.cancel().catch(() => {});
      if (probe && probe.status === 404) { saved.set('mode', 'poll'); live.mode = 'poll'; poll(live); return; }
    }
    S.retry = Math.min(S.retry + 1, 5);
    live.timer = setTimeout(() => { if (S.live === live) connect(); }, 500 * S.retry);
  };
}

// Polling (production on Lambda): 304 while nothing changed; every second while the
// queue moves, less often when idle or hidden (poll.js). A touch, a key or the screen
// coming back checks at once.
async function poll(live) {
  if (S.live !== live) return;
  const ok = await refresh();
  if (S.live !== live) return;
  if (ok) { S.conn = S.view === 'board' ? null : 'polling'; setConn(S.conn); } else if (ok === false) { S.conn = 'lost'; setConn('lost'); }
  live.timer = setTimeout(() => poll(live), pollDelay(Date.now() - S.changedAt, document.hidden));
}

S.changedAt = Date.now();
const wake = () => {
  const idle = Date.now() - S.changedAt;
  S.changedAt = Date.now();
  const live = S.live;
  // Only a screen that had slowed down is checked at once.
  if (live?.mode === 'poll' && pollDelay(idle, false) > 1000) { clearTimeout(live.timer); poll(live); }
};
for (const kind of ['pointerdown', 'keydown']) addEventListener(kind, wake, { passive: true });
document.addEventListener('visibilitychange', () => { if (!document.hidden) wake(); });

let refreshing = null;
let again = false;
// Fetches what the view shows; true when it worked, false on a network or server error.
function refresh() {
  if (refreshing) { again = true; return refreshing; }
  refreshing = (async () => {
    let result;
    do {
      again = false;
      result = await load();
    } while (again);
    refreshing = null;
    return result;
  })();
  return refreshing;
}

async function load() {
  if (!S.location) return true;
  let r;
  try {
    if (S.view === 'board' && saved.get('session') === '1') {
      // Signed in on this device: the queue says which orders are for pickup.
      r = await api(`/api/staff/queue?location=${encodeURIComponent(S.location)}&limit=100`, { etag: S.etag });
      if (r.status === 401) { saved.set('session', ''); S.etag = null; return true; }
      if (r.status === 304) return true;
      if (!r.ok) return false;
      S.etag = r.etag;
      S.changedAt = Date.now();
      S.board = pickupBoard(r.data.orders);
      render();
      return true;
    } else if (S.view === 'board') {
      r = await api(`/api/staff/board?location=${encodeURIComponent(S.location)}`, { etag: S.etag });
    } else if (S.view === 'soldout') {
      return await loadSoldOut();
    } else {
      r = await api(`/api/staff/queue?location=${encodeURIComponent(S.location)}&limit=100`, { etag: S.etag });
    }
  } catch { return false; }
  if (r.status === 401) { sessionEnded(); return null; }
  if (r.status === 304) return true;
  if (!r.ok) return false;
  S.etag = r.etag;
  S.changedAt = Date.now();
  if (S.view === 'board') { S.board = r.data; render(); return true; }
  const fresh = r.data.orders.filter((o) => o.status === 'received' && S.seen && !S.seen.has(o.id));
  S.seen = new Set(r.data.orders.map((o) => o.id));
  S.orders = r.data.orders;
  render(new Set(fresh.map((o) => o.id)));
  if (fresh.length) {
    beep();
    $('#announce').textContent = fresh.map((o) => t('new_order', { n: o.number })).join('. ');
  }
  return true;
}

// ---- rendering ------------------------------------------------------------

function render(fresh = new Set()) {
  if (S.view === 'queue') renderQueue(fresh);
  else if (S.view === 'kitchen') renderKitchen();
  else if (S.view === 'soldout') renderSoldOut();
  else if (S.view === 'board') renderBoard();
  else views[S.view]?.render();
  updateTitle();
}

const minutesOld = (o) => Math.max(0, Math.floor((Date.now() - new Date(o.times.received || Date.now())) / 60000));
function where(o) {
  const f = o.cart.fulfilment;
  return f.mode === 'dine_in' ? t('table', { t: f.table }) : t('pickup', { t: slotText(f.slot) });
}

function card(o, fresh) {
  const mins = minutesOld(o);
  const open = OPEN.includes(o.status);
  const { amber, red } = S.config.age_warnings;
  const age = el('span', { class: `age${open && mins >= red ? ' red' : open && mins >= amber ? ' amber' : ''}`, 'data-age': mins, text: t('minutes', { n: mins }) });
  const head = el('header', {}, el('h3', { id: `o-${o.id}`, text: o.number }), el('span', { class: 'where', text: where(o) }), age,
    el('p', { class: 'state', text: t('st_' + o.status) }, ...payBadges(o.payment)));
  const lines = el('ul', {}, ...o.quote.lines.map((l) => el('li', {},
    el('span', { class: 'qty', text: `${l.quantity}×` }), el('span', { class: 'dish-name', text: dishName(l) }),
    l.options.length ? el('span', { class: 'opts', text: optionsText(l) }) : null)));
  const coupon = o.quote.coupon?.status === 'applied'
    ? el('p', { class: 'meta coupon', text: `${t('coupon', { c: o.quote.coupon.code })} −${money(o.quote.coupon.discount)}` }) : null;
  const last = o.history[o.history.length - 1];
  const who = last ? last.by.replace(/ ?\(key_[0-9a-f]+\)$/, '') : '';
  const by = last && last.by !== 'diner'
    ? el('p', { class: 'by', text: t(who ? 'by' : 'at', { status: t('st_' + last.status), who, at: clock(last.at) }) + (last.reason ? ` — ${last.reason}` : '') }) : null;
  const actions = el('div', { class: 'actions' });
  if (NEXT[o.status]) {
    actions.append(el('button', { type: 'button', class: 'primary next', 'data-to': NEXT[o.status], text: t('do_' + NEXT[o.status]),
      'aria-describedby': `o-${o.id}`, onclick: (e) => change(o, NEXT[o.status], null, e.currentTarget) }));
  }
  const p = o.payment;
  if (p && p.due > 0 && o.status !== 'cancelled' && !['paid', 'partially_refunded', 'refunded'].includes(p.state)) {
    actions.append(el('button', { type: 'button', class: 'take-payment', text: t('take_payment'), 'aria-describedby': `o-${o.id}`, onclick: () => askPayment(o) }));
  }
  if (p && p.refundable > 0) actions.append(el('button', { type: 'button', class: 'refund', text: t('refund'), 'aria-describedby': `o-${o.id}`, onclick: () => askRefund(o) }));
  if (open) actions.append(el('button', { type: 'button', class: 'danger cancel', text: t('do_cancel'), 'aria-describedby': `o-${o.id}`, onclick: () => askCancel(o) }));
  actions.append(el('button', { type: 'button', class: 'print', text: t('print'), 'aria-describedby': `o-${o.id}`, onclick: () => printTickets([o]) }));
  return el('article', { class: `order st-${o.status}${fresh.has(o.id) ? ' fresh' : ''}`, 'aria-labelledby': `o-${o.id}`, 'data-id': o.id, 'data-number': o.number, 'data-status': o.status, 'data-payment': p?.state },
    head, lines,
    o.note ? el('p', { class: 'note', text: `${t('note')}: ${o.note}` }) : null,
    o.name ? el('p', { class: 'meta', text: `${t('name')}: ${o.name}` }) : null,
    // The diner's own words: text only, never markup.
    o.rating ? el('p', { class: 'meta rating', text: t('rated', { s: o.rating.stars }) + (o.rating.note ? ` — ${o.rating.note}` : '') }) : null,
    coupon,
    el('p', { class: 'meta total', text: `${t('total')} ${money(o.quote.total)}` },
      awaitsPayment(p) && p.due > 0 ? el('span', { class: 'due', text: ` · ${t('to_pay', { a: money(p.due) })}` }) : null),
    p?.mismatches.length ? el('p', { class: 'meta mismatch', text: t('mismatch_hint', { why: p.mismatches.map((m) => m.reason).join('; ') }) }) : null,
    by, actions);
}

function renderQueue(fresh) {
  const byAge = (a, b) => (a.times.received || '').localeCompare(b.times.received || '');
  const cols = {
    new: S.orders.filter((o) => o.status === 'received').sort(byAge),
    doing: S.orders.filter((o) => o.status === 'accepted' || o.status === 'preparing').sort(byAge),
    ready: S.orders.filter((o) => o.status === 'ready').sort(byAge),
  };
  // Re-rendering must not throw a keyboard user's focus away.
  const active = document.activeElement;
  const kept = active?.closest?.('.order') ? { id: active.closest('.order').dataset.id, cls: ['next', 'take-payment', 'refund', 'cancel', 'print'].find((c) => active.classList.contains(c)) } : null;
  for (const [col, orders] of Object.entries(cols)) {
    $(`#count-${col}`).textContent = String(orders.length);
    $(`#cards-${col}`).replaceChildren(...orders.map((o) => card(o, fresh)));
  }
  const done = S.orders.filter((o) => !OPEN.includes(o.status));
  $('#done').hidden = !$('#show-done').checked;
  $('#cards-done').replaceChildren(...(done.length ? done.map((o) => card(o, fresh)) : [el('p', { text: t('empty') })]));
  if (kept) {
    const cardEl = $(`.order[data-id="${CSS.escape(kept.id)}"]`);
    (cardEl && ($(`.${kept.cls}`, cardEl) || $('button', cardEl)))?.focus();
  }
}

async function change(o, to, reason, button) {
  if (button) button.disabled = true;
  let r;
  try { r = await api(`/api/staff/orders/${encodeURIComponent(o.id)}/status`, { method: 'POST', body: reason ? { status: to, reason } : { status: to } }); } catch { r = { ok: false, status: 0, data: { detail: t('offline') } }; }
  if (r.status === 401) { sessionEnded(); return false; }
  if (!r.ok) {
    $('#announce').textContent = t('action_failed', { n: o.number, why: why(r) });
    alertBox(t('action_failed', { n: o.number, why: why(r) }));
    if (button) button.disabled = false;
    await refresh();
    return false;
  }
  await refresh();
  return true;
}

function alertBox(text) {
  let box = $('#action-error');
  if (!box) {
    box = el('p', { id: 'action-error', class: 'error', role: 'alert' });
    $('#app').prepend(box);
  }
  box.textContent = text;
  clearTimeout(alertBox.timer);
  alertBox.timer = setTimeout(() => { box.textContent = ''; }, 8000);
}

function askCancel(o) {
  const dialog = $('#cancel-dialog');
  $('#cancel-h').textContent = t('cancel_title', { n: o.number });
  $('#cancel-reason').value = '';
  $('#cancel-error').textContent = '';
  dialog.dataset.id = o.id;
  dialog.showModal();
  $('#cancel-reason').focus();
}

function setUpCancel() {
  const dialog = $('#cancel-dialog');
  if (!dialog) return;
  $('#cancel-back').addEventListener('click', () => dialog.close());
  $('#cancel-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const reason = $('#cancel-reason').value.trim();
    if (!reason) { $('#cancel-error').textContent = t('reason_needed'); $('#cancel-reason').focus(); return; }
    const o = S.orders.find((x) => x.id === dialog.dataset.id);
    if (!o) { dialog.close(); return; }
    if (await change(o, 'cancelled', reason, $('#cancel-confirm'))) dialog.close();
    $('#cancel-confirm').disabled = false;
  });
}

// ---- payments -----------------------------------------------------------------

// Whether an order still waits for its money (refunded orders were paid once).
const awaitsPayment = (p) => !!p && ['unpaid', 'pending', 'failed', 'expired'].includes(p.state);
// PAID / UNPAID / PENDING / REFUNDED / EXPIRED, and MISMATCH beside it when money came
// in that did not count. Words and a class, never colour alone.
function payBadges(p) {
  if (!p) return [];
  const badge = (kind, key) => el('span', { class: `pay pay-${kind}`, 'data-pay': kind, text: t('pay_' + key) });
  const kind = { partially_refunded: 'refunded', failed: 'unpaid' }[p.state] || p.state;
  return [badge(kind, p.state), p.mismatches.length ? badge('mismatch', 'mismatch') : null].filter(Boolean);
}

// Minor units from a typed amount ("48", "48.5", "48,50"), or null.
function minorOf(text) {
  const { exponent } = S.config.currency;
  const m = /^\s*(\d{1,9})(?:[.,](\d*))?\s*$/.exec(text || '');
  if (!m || (m[2] || '').length > exponent) return null;
  return Number(m[1]) * 10 ** exponent + Number((m[2] || '').padEnd(exponent, '0') || 0);
}
const typed = (minor) => (minor / 10 ** S.config.currency.exponent).toFixed(S.config.currency.exponent);
const newKey = () => crypto.randomUUID?.() || [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');

// Problem details beside the fields they name; the rest under the form.
function showProblem(prefix, r) {
  $$(`[id^="${prefix}-"][id$="-error"]`).forEach((e) => { e.textContent = ''; });
  $$(`[id^="${prefix}-"][aria-invalid]`).forEach((e) => e.removeAttribute('aria-invalid'));
  let rest = [];
  for (const e of r.data?.errors || []) {
    const box = $(`#${prefix}-${e.field}-error`);
    if (box) {
      box.textContent = e.reason;
      $(`#${prefix}-${e.field}`)?.setAttribute('aria-invalid', 'true');
    } else rest.push(`${e.field}: ${e.reason}`);
  }
  if (!r.data?.errors?.length) rest = [why(r)];
  $(`#${prefix}-error`).textContent = rest.join(' · ');
  const first = $(`[id^="${prefix}-"][aria-invalid]`);
  if (first) first.focus();
}

function askPayment(o) {
  const dialog = $('#pay-dialog');
  const p = o.payment;
  dialog.dataset.id = o.id;
  // One Idempotency-Key per attempt: a retry after a lost answer records nothing twice.
  dialog.dataset.key = newKey();
  $('#pay-h').textContent = t('pay_title', { n: o.number });
  $('#pay-due-line').textContent = t('due_line', { a: money(p.due), total: money(p.total) });
  $('#pay-form').reset();
  $('#pay-amount').value = typed(p.due);
  showProblem('pay', { data: { errors: [] } });
  $('#pay-error').textContent = '';
  payFields();
  dialog.showModal();
  $('#pay-tendered').focus();
}

const payMethod = () => $('#pay-form').elements['pay-method'].value;
function payFields() {
  const cash = payMethod() === 'cash';
  $('#pay-cash').hidden = !cash;
  $('#pay-ref').hidden = cash;
  const amount = minorOf($('#pay-amount').value);
  const tendered = minorOf($('#pay-tendered').value);
  $('#pay-change').textContent = cash && amount != null && tendered != null && tendered >= amount ? t('change_due', { a: money(tendered - amount) }) : '';
}

function askRefund(o) {
  const dialog = $('#refund-dialog');
  const p = o.payment;
  dialog.dataset.id = o.id;
  dialog.dataset.key = newKey();
  $('#refund-h').textContent = t('refund_title', { n: o.number });
  $('#refund-line').textContent = t('refundable_line', { a: money(p.refundable) });
  $('#refund-form').reset();
  $('#refund-amount').value = typed(p.refundable);
  showProblem('refund', { data: { errors: [] } });
  $('#refund-error').textContent = '';
  dialog.showModal();
  $('#refund-amount').focus();
}

// Sends a payment or refund with the dialog's key; the answer's summary updates the card at once.
async function record(kind, body, button) {
  const dialog = $(`#${kind}-dialog`);
  const o = S.orders.find((x) => x.id === dialog.dataset.id);
  if (!o) { dialog.close(); return; }
  button.disabled = true;
  let r;
  const path = `/api/staff/orders/${encodeURIComponent(o.id)}/${kind === 'pay' ? 'payments' : 'refunds'}`;
  try { r = await api(path, { method: 'POST', body, key: dialog.dataset.key }); } catch { r = { ok: false, status: 0, data: { detail: t('offline') } }; }
  button.disabled = false;
  if (r.status === 401) { dialog.close(); sessionEnded(); return; }
  // A refusal may mean the card is stale (another till took or refunded money): fetch it again.
  if (!r.ok) { showProblem(kind, r); if (r.status) refresh(); return; }
  dialog.close();
  if (r.data?.payment) o.payment = r.data.payment;
  const a = money(body.amount);
  // 202: a provider accepted the refund and has not finished it; its notification records it.
  const done = kind === 'refund' ? t(r.status === 202 ? 'refund_asked' : 'refunded_ok', { n: o.number, a })
    : r.data?.change_due ? t('paid_change', { n: o.number, a, c: money(r.data.change_due) }) : t('paid_ok', { n: o.number, a });
  $('#announce').textContent = done;
  noticeBox(done);
  render();
  refresh();
}

function noticeBox(text) {
  let box = $('#action-done');
  if (!box) {
    box = el('p', { id: 'action-done', class: 'done-note', role: 'status' });
    $('#app').prepend(box);
  }
  box.textContent = text;
  clearTimeout(noticeBox.timer);
  noticeBox.timer = setTimeout(() => { box.textContent = ''; }, 15000);
}

function setUpPayments() {
  const dialog = $('#pay-dialog');
  if (!dialog) return;
  $('#pay-back').addEventListener('click', () => dialog.close());
  $('#pay-form').addEventListener('input', payFields);
  $('#pay-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const method = payMethod();
    const amount = minorOf($('#pay-amount').value);
    const eg = typed(1234);
    const errors = [];
    if (!amount) errors.push({ field: 'amount', reason: t('amount_money', { eg }) });
    const body = { method, amount };
    if (method === 'cash' && $('#pay-tendered').value.trim()) {
      body.tendered = minorOf($('#pay-tendered').value);
      if (body.tendered == null) errors.push({ field: 'tendered', reason: t('amount_money', { eg }) });
      else if (amount && body.tendered < amount) errors.push({ field: 'tendered', reason: t('tendered_short') });
    }
    const reference = $('#pay-reference').value.trim();
    if (method !== 'cash' && reference) body.reference = reference;
    if (errors.length) { showProblem('pay', { data: { errors } }); return; }
    record('pay', body, $('#pay-confirm'));
  });
  const refund = $('#refund-dialog');
  $('#refund-back').addEventListener('click', () => refund.close());
  $('#refund-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const o = S.orders.find((x) => x.id === refund.dataset.id);
    const amount = minorOf($('#refund-amount').value);
    const reason = $('#refund-reason').value.trim();
    const errors = [];
    if (!amount) errors.push({ field: 'amount', reason: t('amount_money', { eg: typed(1234) }) });
    else if (o && amount > o.payment.refundable) errors.push({ field: 'amount', reason: t('over_refundable', { a: money(o.payment.refundable) }) });
    if (!reason) errors.push({ field: 'reason', reason: t('reason_needed') });
    if (errors.length) { showProblem('refund', { data: { errors } }); return; }
    record('refund', { amount, method: $('#refund-method').value, reason }, $('#refund-confirm'));
  });
}

// ---- tickets ----------------------------------------------------------------

function ticket(o) {
  const q = o.quote;
  const row = (label, value, cls = '') => el('p', { class: `row ${cls}` }, el('span', { text: label }), el('span', { text: value }));
  const locName = loc(S.config.locations.find((l) => l.id === o.location)?.name);
  return el('section', { class: 'ticket', 'data-number': o.number },
    el('p', { class: 'center', text: loc(S.config.name) }),
    el('p', { class: 'center', text: locName }),
    el('h2', { text: o.number }),
    el('p', { class: 'center', text: where(o) }),
    el('p', { class: 'center', text: t('placed', { at: clock(o.times.received) }) }),
    el('ul', {}, ...q.lines.map((l) => el('li', {},
      el('span', { class: 'row' }, el('span', { text: `${l.quantity}× ${dishName(l)}` }), el('span', { text: money(l.total) })),
      l.options.length ? el('span', { class: 'opts', text: optionsText(l) }) : null))),
    o.note ? el('p', { text: `${t('note')}: ${o.note}` }) : null,
    o.name ? el('p', { text: `${t('name')}: ${o.name}` }) : null,
    row(t('subtotal'), money(q.subtotal)),
    q.coupon?.status === 'applied' ? row(t('coupon', { c: q.coupon.code }), `−${money(q.discount)}`) : null,
    q.service_charge ? row(t('service'), money(q.service_charge)) : null,
    row(t('total'), money(q.total), 'total'),
    o.payment ? el('p', { class: 'center pay-line' }, ...payBadges(o.payment),
      awaitsPayment(o.payment) && o.payment.due > 0 ? document.createTextNode(` ${t('to_pay', { a: money(o.payment.due) })}`) : null) : null);
}

function printTickets(orders) {
  const box = $('#tickets');
  box.replaceChildren(...orders.map(ticket));
  window.print();
}

// ---- kitchen ----------------------------------------------------------------

function renderKitchen() {
  const cooking = S.orders.filter((o) => ['received', 'accepted', 'preparing'].includes(o.status))
    .sort((a, b) => (a.times.received || '').localeCompare(b.times.received || ''));
  const dishes = new Map();
  for (const o of cooking) {
    for (const l of o.quote.lines) {
      const d = dishes.get(l.dish) || { name: dishName(l), qty: 0, variants: new Map() };
      d.qty += l.quantity;
      const key = optionsText(l);
      const v = d.variants.get(key) || { label: key, qty: 0, orders: [] };
      v.qty += l.quantity;
      if (!v.orders.includes(o.number)) v.orders.push(o.number);
      d.variants.set(key, v);
      dishes.set(l.dish, d);
    }
  }
  const list = [...dishes.entries()].sort((a, b) => b[1].qty - a[1].qty || a[1].name.localeCompare(b[1].name));
  $('#kitchen').replaceChildren(...(list.length ? list.map(([id, d]) => el('article', { class: 'dish', 'data-dish': id, 'aria-labelledby': `k-${id}` },
    el('h2', { id: `k-${id}` }, el('span', { text: d.name }), el('span', { class: 'total-qty', text: `×${d.qty}` })),
    el('ul', {}, ...[...d.variants.values()].map((v) => el('li', {},
      el('strong', { text: `${v.qty}×` }), v.label ? document.createTextNode(` ${v.label}`) : null,
      el('span', { class: 'orders', text: v.orders.join(', ') })))))) : [el('p', { text: t('nothing') })]));
  const notes = cooking.filter((o) => o.note);
  $('#notes').hidden = !notes.length;
  $('#notes-list').replaceChildren(...notes.map((o) => el('li', {}, el('strong', { text: `${o.number}: ` }), document.createTextNode(o.note))));
  // Which open orders still wait for their money, with their badges.
  const waiting = cooking.filter((o) => awaitsPayment(o.payment) || o.payment?.mismatches.length);
  const box = $('#kitchen-pay');
  if (box) {
    box.hidden = !waiting.length;
    $('#kitchen-pay-list').replaceChildren(...waiting.map((o) => el('li', { 'data-number': o.number, 'data-payment': o.payment.state }, el('strong', { text: `${o.number} ` }), ...payBadges(o.payment))));
  }
}

// ---- sold out -----------------------------------------------------------------

async function loadSoldOut() {
  let r;
  try { r = await api('/api/staff/sold-out'); } catch { return false; }
  if (r.status === 401) { sessionEnded(); return null; }
  if (!r.ok) return false;
  S.soldOut = r.data;
  renderSoldOut();
  return true;
}

function renderSoldOut() {
  const root = $('#soldout');
  if (!root || !S.location) return;
  const menuId = S.config.locations.find((l) => l.id === S.location)?.menu;
  const menu = S.config.menus.find((m) => m.id === menuId);
  if (!menu) { root.replaceChildren(); return; }
  const focused = document.activeElement?.id;
  const sw = (id, label, on, item, disabled) => el('label', { class: 'switch', for: id },
    el('input', { type: 'checkbox', role: 'switch', id, checked: on, disabled, 'data-item': JSON.stringify(item), onchange: (e) => toggle(e.target, label) }),
    el('span', { text: label }),
    on ? el('span', { class: 'off', text: disabled ? `(${t('in_menu')})` : `(${t('sold_out')})` }) : null);
  root.replaceChildren(...menu.categories.map((cat) => el('section', { 'aria-labelledby': `c-${cat.id}` },
    el('h2', { id: `c-${cat.id}`, text: loc(cat.name) }),
    el('ul', {}, ...cat.dishes.map((d) => el('li', { class: 'dish-row' },
      sw(`so-${d.id}`, loc(d.name), d.sold_out || S.soldOut.dishes.includes(d.id), { kind: 'dish', dish: d.id }, d.sold_out),
      ...(d.options || []).map((g) => el('div', { class: 'choices' },
        el('p', { class: 'group-name', text: loc(g.name) }),
        ...g.choices.map((c) => sw(`so-${d.id}-${g.id}-${c.id}`, loc(c.name), c.sold_out || S.soldOut.choices.includes(`${d.id}/${g.id}/${c.id}`),
          { kind: 'choice', dish: d.id, group: g.id, choice: c.id }, c.sold_out))))))))));
  if (focused) document.getElementById(focused)?.focus();
}

async function toggle(input, label) {
  const item = JSON.parse(input.dataset.item);
  const soldOut = input.checked;
  input.disabled = true;
  let r;
  try { r = await api('/api/staff/sold-out', { method: 'PUT', body: { item, sold_out: soldOut } }); } catch { r = { ok: false, status: 0, data: { detail: t('offline') } }; }
  if (r.status === 401) { sessionEnded(); return; }
  if (!r.ok) {
    input.checked = !soldOut;
    input.disabled = false;
    $('#soldout-error').textContent = t('switch_failed', { x: label, why: why(r) });
    return;
  }
  $('#soldout-error').textContent = '';
  S.soldOut = r.data;
  renderSoldOut();
}

// ---- board --------------------------------------------------------------------

// The board from the staff queue: pickup orders only, open and from the last 12 hours
// (as GET /api/staff/board: preparing oldest first, ready most recently ready first).
function pickupBoard(orders) {
  const since = Date.now() - 12 * 3_600_000;
  const shown = orders.filter((o) => o.cart.fulfilment.mode === 'pickup' && OPEN.includes(o.status)
    && (!o.times.received || Date.parse(o.times.received) >= since));
  const at = (o, k) => o.times[k] || '';
  return {
    ready: shown.filter((o) => o.status === 'ready').sort((a, b) => at(b, 'ready').localeCompare(at(a, 'ready'))).map((o) => o.number),
    preparing: shown.filter((o) => o.status !== 'ready').sort((a, b) => at(a, 'received').localeCompare(at(b, 'received'))).map((o) => o.number),
    unpaid: shown.filter((o) => awaitsPayment(o.payment)).map((o) => o.number),
  };
}

// A number still to be paid carries a marker in every language of the site (no amounts: the board faces the room).
function renderBoard() {
  const b = S.board || { ready: [], preparing: [], unpaid: [] };
  const unpaid = new Set(b.unpaid || []);
  const langs = S.config.languages.filter((l) => STRINGS[l]);
  const mark = [...new Set(langs.map((l) => STRINGS[l].board_unpaid))].join(' · ');
  const item = (n) => el('li', { 'data-unpaid': unpaid.has(n) }, document.createTextNode(n), unpaid.has(n) ? el('span', { class: 'unpaid', text: mark }) : null);
  $('#ready').replaceChildren(...b.ready.map(item));
  $('#preparing').replaceChildren(...b.preparing.map(item));
}

// ---- start --------------------------------------------------------------------

async function start() {
  let r;
  try { r = await api('/api/staff/config'); } catch { r = null; }
  if (!r || !r.ok) { setConn('lost'); setTimeout(start, 2000); return; }
  S.config = r.data;
  indexMenus();
  const langs = S.config.languages;
  // The device's own choice, else the browser's language if the site has it, else the site's default.
  const browser = (navigator.languages || []).map((l) => l.toLowerCase().split('-')[0]);
  S.lang = [saved.get('lang'), ...browser].find((l) => langs.includes(l)) || langs[0];
  const ids = S.config.locations.map((l) => l.id);
  const fromUrl = new URLSearchParams(location.search).get('location');
  S.location = [fromUrl, saved.get('location')].find((l) => ids.includes(l)) || ids[0];
  document.body.dataset.paper = saved.get('paper') || '80';
  applyStrings();

  if (S.view === 'board') {
    // A board opened for a location (the link from the console) shows diners no picker.
    if (fromUrl && ids.includes(fromUrl)) {
      $('.board-setup').remove();
    } else {
      const sel = $('#location');
      sel.replaceChildren(...S.config.locations.map((l) => el('option', { value: l.id, selected: l.id === S.location, text: loc(l.name) })));
      sel.addEventListener('change', (e) => switchLocation(e.target.value));
    }
    connect();
    return;
  }
  $('#signin-form').addEventListener('submit', signIn);
  setUpCancel();
  setUpPayments();
  $('#show-done')?.addEventListener('change', () => render());
  $('#print-all')?.addEventListener('click', () => printTickets(S.orders.filter((o) => OPEN.includes(o.status))));
  const paper = $('#paper');
  if (paper) {
    paper.value = document.body.dataset.paper;
    paper.addEventListener('change', () => { document.body.dataset.paper = paper.value; saved.set('paper', paper.value); });
  }
  // Ages move on without new data; the queue is asked again too (a 304 while
  // nothing changed), so a payment shows even where no event announces it.
  setInterval(() => { if (S.signedIn && S.view === 'queue') { render(); if (S.live?.mode === 'sse') refresh(); } }, 20000);
  // Ask who is signed in only when this device signed in last time: a signed-out
  // device shows the form without a 401 (which browsers log as a console error).
  let me = null;
  if (saved.get('session') === '1') {
    try { me = await api('/api/staff/session'); } catch { me = null; }
  }
  if (me && me.ok) await signedIn(me.data);
  else showSignIn('');
}

start();
