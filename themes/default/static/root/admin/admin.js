// Carte marketing dashboard: the campaign and sales reports of the ordering API
// (role marketer, Bearer key kept in this tab's sessionStorage), drawn as
// tables and tiny bar charts, in English or Chinese. No framework, no library, no CDN.
//
// The default period is the server's (the shop's local days): `from` and `to`
// are only sent once the marketer picks dates, and the page shows the period
// the server answered with.

const $ = (sel) => document.querySelector(sel);
const KEY = 'carte.marketer.key';
const SVG = 'http://www.w3.org/2000/svg';

const STRINGS = {
  en: {
    title: 'Campaigns · Marketing', site: 'Carte · Marketing', skip: 'Skip to content', language: 'Language', h1: 'Campaigns',
    signin: 'Sign in', key: 'Marketer key', open: 'Open the dashboard', hint1: 'Create one with', hint2: '— it stays in this tab only.',
    need_key: 'Type the marketer key.', not_marketer: 'This key is not a marketer key. Use a key made with --role marketer.',
    unknown_key: 'This key is not known or was revoked.', signout: 'Forget key',
    from: 'From', to: 'To', location: 'Location', all_locations: 'All locations', show: 'Show',
    loading: 'Loading…', period: 'Figures from {from} to {to} ({currency}).', load_failed: 'Could not load the figures: {why}',
    totals_h: 'All campaigns', per_location: 'Per location', campaigns_h: 'By campaign', sales_h: 'Sales', exports_h: 'Exports (CSV)',
    campaign: 'Campaign', channel: 'Channel', details: 'Details', details_of: 'Details of {name}',
    coupons_h: 'Coupons and budgets', coupon: 'Coupon', redeemed: 'Redeemed', given: 'Given away', left_n: 'Redemptions left', left_money: 'Money left',
    dish: 'Dish', quantity: 'Quantity',
    t_campaigns: 'Figures per campaign', t_channels: 'Figures per channel', t_coupons: 'Coupon budgets', t_dishes: 'Sales per dish', t_locations: 'Figures per location',
    chart_revenue: 'Paid per campaign (net of refunds)', chart_channels: 'Orders per channel of {name}', chart_hours: 'Orders per hour of the day',
    orders_1: '{n} order', orders_n: '{n} orders', at_counter: '{n} at the counter', no_data: 'Nothing in this period.',
    dl_orders: 'Download orders', dl_members: 'Download members', dl_redemptions: 'Download redemptions', dl_payments: 'Download payments', dl_ratings: 'Download ratings',
    ratings_h: 'Ratings after the meal', rating_notes: 'What diners wrote', f_ratings: 'Ratings', f_average: 'Average stars', t_rating_dishes: 'Ratings per dish', t_rating_campaigns: 'Ratings per campaign', c_ratings: 'Ratings', c_average: 'Average', no_campaign: 'No campaign', for_excel: 'For Excel (Chinese names, phone numbers as text)',
    downloaded: 'Downloaded {kind}.', dl_failed: 'Could not download {kind}: {why}',
    ch_counter: 'At the counter', ch_direct: 'Direct (no channel)', colon: ': ', comma: ', ',
    f_visits: 'Visits', f_orders: 'Orders', f_revenue: 'Ordered', f_net_paid: 'Paid (net of refunds)', f_refunded: 'Refunds', f_discount: 'Discount given', f_redemptions_online: 'Redeemed online',
    f_redemptions_counter: 'Redeemed at the counter', f_new_members: 'New members', f_repeat_rate_bp: 'Repeat rate',
    c_visits: 'Visits', c_orders: 'Orders', c_revenue: 'Ordered', c_net_paid: 'Paid', c_refunded: 'Refunds', c_discount: 'Discount', c_redemptions_online: 'Online',
    c_redemptions_counter: 'Counter', c_new_members: 'New members', c_repeat_rate_bp: 'Repeat',
    f_cost_per_order: 'Discount per sale', f_roi_bp: 'Paid per 1.00 of discount (ROI)', f_conversion_bp: 'Conversion (orders per visit)',
    c_cost_per_order: 'Cost per order', c_roi_bp: 'ROI', c_conversion_bp: 'Conversion', ch_coupon: 'Coupon only (no link)',
    burn: 'Discount given per day in this period: {amount}', trend_h: 'Totals over time',
    vs_previous: 'vs previous {n} days ({from} – {to}): {orders}, {revenue}', vs_previous_1: 'vs the day before ({from}): {orders}, {revenue}',
    change: 'Change: {v}', no_change: 'no change', chart_day_orders: 'Orders per day (highest: {max})', chart_day_revenue: 'Revenue per day (highest: {max})',
    each_day: 'Each day', hours_h: 'Hours and dishes', t_days: 'Orders and revenue per day', c_day: 'Day',
    f_paid: 'Received', money_h: 'Money received', money_note: 'For the orders placed in this period, by the ledger of each order; “Ordered” is what they cost.',
    by_method_h: 'Paid by method', t_methods: 'Net paid per payment method', c_method: 'Method', c_net: 'Net paid',
    m_cash: 'Cash', m_card_terminal: 'Card terminal', m_counter_qr: 'Shop QR code', m_stripe: 'Stripe', m_wechat_pay: 'WeChat Pay',
  },
  zh: {
    title: '营销活动 · 营销', site: 'Carte · 营销', skip: '跳到内容', language: '语言', h1: '营销活动',
    signin: '登录', key: '营销密钥', open: '打开数据看板', hint1: '创建密钥：', hint2: '——只保存在此标签页中。',
    need_key: '请输入营销密钥。', not_marketer: '此密钥不是营销密钥。请使用 --role marketer 创建的密钥。',
    unknown_key: '此密钥不存在或已被吊销。', signout: '忘记密钥',
    from: '开始日期', to: '结束日期', location: '门店', all_locations: '全部门店', show: '查看',
    loading: '加载中…', period: '{from} 至 {to} 的数据（{currency}）。', load_failed: '无法加载数据：{why}',
    totals_h: '全部活动', per_location: '按门店', campaigns_h: '按活动', sales_h: '销售', exports_h: '导出（CSV）',
    campaign: '活动', channel: '渠道', details: '详情', details_of: '{name} 的详情',
    coupons_h: '优惠券与预算', coupon: '优惠券', redeemed: '已核销', given: '已优惠', left_n: '剩余次数', left_money: '剩余金额',
    dish: '菜品', quantity: '数量',
    t_campaigns: '各活动数据', t_channels: '各渠道数据', t_coupons: '优惠券预算', t_dishes: '各菜品销售', t_locations: '各门店数据',
    chart_revenue: '各活动实收（扣除退款）', chart_channels: '{name} 各渠道订单', chart_hours: '各时段订单',
    orders_1: '{n} 单', orders_n: '{n} 单', at_counter: '到店 {n} 次', no_data: '此期间没有数据。',
    dl_orders: '下载订单', dl_members: '下载会员', dl_redemptions: '下载核销记录', dl_payments: '下载支付记录', dl_ratings: '下载评分',
    ratings_h: '餐后评分', rating_notes: '顾客留言', f_ratings: '评分数', f_average: '平均星级', t_rating_dishes: '各菜品评分', t_rating_campaigns: '各活动评分', c_ratings: '评分数', c_average: '平均', no_campaign: '无活动', for_excel: '用 Excel 打开（中文姓名、电话号码按文本）',
    downloaded: '已下载 {kind}。', dl_failed: '无法下载 {kind}：{why}',
    ch_counter: '到店核销', ch_direct: '直接（无渠道）', colon: '：', comma: '，',
    f_visits: '访问', f_orders: '订单', f_revenue: '下单金额', f_net_paid: '实收（扣除退款）', f_refunded: '退款', f_discount: '优惠金额', f_redemptions_online: '线上核销',
    f_redemptions_counter: '到店核销', f_new_members: '新会员', f_repeat_rate_bp: '复购率',
    c_visits: '访问', c_orders: '订单', c_revenue: '下单金额', c_net_paid: '实收', c_refunded: '退款', c_discount: '优惠', c_redemptions_online: '线上',
    c_redemptions_counter: '到店', c_new_members: '新会员', c_repeat_rate_bp: '复购',
    f_cost_per_order: '单均优惠成本', f_roi_bp: '投入产出比（实收 ÷ 优惠）', f_conversion_bp: '转化率（订单 ÷ 访问）',
    c_cost_per_order: '单均优惠', c_roi_bp: '投入产出比', c_conversion_bp: '转化率', ch_coupon: '仅优惠码（无链接）',
    burn: '本期日均优惠：{amount}', trend_h: '总计走势',
    vs_previous: '对比前 {n} 天（{from} 至 {to}）：{orders}，{revenue}', vs_previous_1: '对比前一天（{from}）：{orders}，{revenue}',
    change: '变化：{v}', no_change: '持平', chart_day_orders: '每日订单（最高 {max}）', chart_day_revenue: '每日收入（最高 {max}）',
    each_day: '每日明细', hours_h: '时段与菜品', t_days: '每日订单与收入', c_day: '日期',
    f_paid: '已收款', money_h: '收款', money_note: '本期下单的订单按各自支付记录统计；“下单金额”为订单应付金额。',
    by_method_h: '按支付方式', t_methods: '各支付方式实收', c_method: '支付方式', c_net: '实收',
    m_cash: '现金', m_card_terminal: '刷卡', m_counter_qr: '店内收款码', m_stripe: 'Stripe', m_wechat_pay: '微信支付',
  },
};

let lang = 'en';
let config = null; // GET /api/staff/config (public): languages, locations and dish names in every language
let report = null;
let sales = null;
let ratings = null; // GET /api/reports/ratings
let shown = null;
let chosen = null; // {from, to} once the marketer picks dates; null = the server's default period

const t = (k, vars = {}) => (STRINGS[lang][k] ?? STRINGS.en[k] ?? k).replace(/\{(\w+)\}/g, (_, n) => vars[n] ?? '');
const siteLang = () => config?.languages?.[0] || 'zh';

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null) node.setAttribute(k, v);
  node.append(...children.filter((c) => c != null));
  return node;
}

const money = (minor) => {
  if (minor == null) return '—';
  const e = report?.exponent ?? 2;
  return new Intl.NumberFormat(lang, { style: 'currency', currency: report?.currency || 'CNY', currencyDisplay: 'narrowSymbol', minimumFractionDigits: e, maximumFractionDigits: e })
    .format(minor / 10 ** e);
};
const count = (n) => (n == null ? '—' : String(n));
const percent = (bp) => (bp == null ? '—' : `${(bp / 100).toFixed(1)}%`);
const roi = (bp) => (bp == null ? '—' : `${(bp / 10000).toFixed(2)}×`);
const shortDay = (iso) => new Intl.DateTimeFormat(lang, { weekday: 'short', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(new Date(`${iso}T00:00:00Z`));
const day = (iso) => new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${iso}T00:00:00Z`));

/**
 * A name in the chosen language: from a localized map (the console config's
 * dishes and locations, or a `names` map should the report carry one), else the
 * report's `name`, which is in the site's default language — marked as such.
 */
function named(item, localized) {
  const map = localized || item.names || (typeof item.name === 'object' ? item.name : null);
  if (map && map[lang]) return { text: map[lang], lang };
  const text = typeof item.name === 'string' && item.name ? item.name : (map && Object.values(map)[0]) || item.id || '';
  return { text, lang: siteLang() };
}
const langOf = (n) => (n.lang === lang ? null : n.lang);

function channelName(h) {
  if (['counter', 'coupon', 'direct'].includes(h.channel)) return { text: t(`ch_${h.channel}`), lang };
  return named(h);
}
function dishName(d) {
  for (const menu of config?.menus || []) {
    for (const cat of menu.categories) {
      const found = cat.dishes.find((x) => x.id === d.dish);
      if (found) return named(d, found.name);
    }
  }
  return named({ ...d, name: d.name || d.dish });
}
function locationName(id) {
  const fromConfig = config?.locations?.find((l) => l.id === id);
  if (fromConfig) return named({ id }, fromConfig.name);
  const fromReport = report?.site_locations?.find((l) => l.id === id);
  return named(fromReport || { id, name: id });
}

async function api(path) {
  const key = sessionStorage.getItem(KEY) || '';
  const response = await fetch(path, { headers: { authorization: `Bearer ${key}` }, cache: 'no-store' });
  if (response.status === 401 || response.status === 403) {
    throw Object.assign(new Error(t(response.status === 403 ? 'not_marketer' : 'unknown_key')), { auth: true });
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    const fields = (problem.errors || []).map((e) => `${e.field}: ${e.reason}`).join('; ');
    throw new Error(fields || problem.detail || `HTTP ${response.status}`);
  }
  return response;
}

/** The report's query: the dates only once chosen (else the server's default), the location if any. */
function query(period = chosen) {
  const params = new URLSearchParams();
  if (period) { params.set('from', period.from); params.set('to', period.to); }
  if ($('#location').value) params.set('location', $('#location').value);
  return params.toString();
}

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}
const picture = (attrs, ...shapes) => { const s = svg('svg', { 'aria-hidden': 'true', focusable: 'false', ...attrs }); s.append(...shapes); return s; };

/** A bar chart: one list item per row (its label and value as text that wraps, never cut) and a bar. */
function barChart(figure, title, rows, cls = 'a') {
  const max = Math.max(1, ...rows.map((r) => r.value));
  const items = rows.map((r) => {
    const bar = picture({}, svg('rect', { width: `${((100 * r.value) / max).toFixed(2)}%`, height: '100%', class: cls }));
    return el('li', {}, el('span', { class: 'label', lang: langOf(r.label) }, r.label.text), ' ', el('span', { class: 'value' }, r.text), bar);
  });
  figure.replaceChildren(el('figcaption', {}, title), items.length ? el('ul', { class: 'bars' }, ...items) : el('p', { class: 'hint' }, t('no_data')));
}

// Table columns: the first six keep their places (tests and habits count on them).
const FIGURES = [
  ['visits', count], ['orders', count], ['revenue', money], ['discount', money],
  ['redemptions_online', count], ['redemptions_counter', count], ['net_paid', money], ['refunded', money],
  ['new_members', count], ['repeat_rate_bp', percent], ['cost_per_order', money], ['roi_bp', roi], ['conversion_bp', percent],
];
// Tiles: money received first, what was ordered beside it.
const TILES = [
  ['net_paid', money], ['revenue', money], ['refunded', money],
  ...FIGURES.filter(([k]) => !['net_paid', 'revenue', 'refunded'].includes(k)),
];
const METHODS = ['cash', 'card_terminal', 'counter_qr', 'stripe', 'wechat_pay'];
const figureCells = (f) => FIGURES.map(([k, fmt]) => el('td', { 'data-figure': k }, fmt(f[k])));
const figureHeads = () => FIGURES.map(([k]) => t(`c_${k}`));
const rowHead = (n) => el('th', { scope: 'row', lang: langOf(n) }, n.text);

/** A table in its own horizontally scrolling box (the first column stays in view). */
function table(id, label, heads, rows) {
  const head = el('tr', {}, ...heads.map((h) => el('th', { scope: 'col' }, h)));
  return el('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': label },
    el('table', { id }, el('caption', { class: 'vh' }, label), el('thead', {}, head), el('tbody', {}, ...rows)));
}

function renderTotals() {
  const { totals, locations } = report;
  $('#totals').replaceChildren(...TILES.map(([k, fmt]) =>
    el('div', {}, el('dt', {}, t(`f_${k}`)), el('dd', { 'data-figure': k }, fmt(totals[k])))));
  const box = $('#locations');
  box.replaceChildren();
  if (!report.location && locations.length > 0) {
    box.append(el('h3', {}, t('per_location')), table('per-location', t('t_locations'), [t('location'), ...figureHeads()],
      locations.map((l) => el('tr', { 'data-location': l.location }, rowHead(locationName(l.location)), ...figureCells(l)))));
  }
}

function renderCampaigns() {
  const rows = report.campaigns.map((c) => {
    const name = named(c);
    const button = el('button', { type: 'button', class: 'link', 'data-campaign': c.campaign, 'aria-label': t('details_of', { name: name.text }) }, t('details'));
    button.addEventListener('click', () => showDetail(c.campaign));
    return el('tr', { 'data-campaign': c.campaign }, rowHead(name), ...figureCells(c), el('td', {}, button));
  });
  $('#campaigns-box').replaceChildren(table('campaigns', t('t_campaigns'), [t('campaign'), ...figureHeads(), el('span', { class: 'vh' }, t('details'))], rows));
  barChart($('#campaign-chart'), t('chart_revenue'), report.campaigns.map((c) => ({ label: named(c), value: c.net_paid, text: `${money(c.net_paid)} / ${money(c.revenue)}` })));
}

const ordersText = (n) => t(n === 1 ? 'orders_1' : 'orders_n', { n });

function showDetail(id, focus = true) {
  const c = report.campaigns.find((x) => x.campaign === id);
  if (!c) { $('#detail').hidden = true; shown = null; return; }
  shown = id;
  const name = named(c);
  $('#detail').hidden = false;
  $('#detail-h').replaceChildren(`${t('campaign')}${t('colon')}`, el('span', { lang: langOf(name) }, name.text));
  $('#channels-box').replaceChildren(table('channels', t('t_channels'), [t('channel'), ...figureHeads()],
    c.channels.map((h) => el('tr', { 'data-channel': h.channel }, rowHead(channelName(h)), ...figureCells(h)))));
  barChart($('#channel-chart'), t('chart_channels', { name: name.text }), c.channels.map((h) => ({
    label: channelName(h), value: h.orders + h.redemptions_counter,
    text: `${ordersText(h.orders)}${t('comma')}${t('at_counter', { n: h.redemptions_counter })}`,
  })), 'b');
  $('#burn').replaceChildren(t('burn', { amount: '' }), el('strong', { 'data-figure': 'discount_per_day' }, money(c.discount_per_day)));
  $('#coupons-box').replaceChildren(table('coupons', t('t_coupons'), [t('coupon'), t('redeemed'), t('given'), t('left_n'), t('left_money')],
    c.coupons.map((k) => el('tr', { 'data-coupon': k.code }, el('th', { scope: 'row' }, k.code), el('td', {}, count(k.redemptions)),
      el('td', {}, money(k.discount)), el('td', {}, count(k.budget_left)), el('td', {}, money(k.budget_amount_left))))));
  if (focus) $('#detail-h').focus();
}

/** Columns over time, one a day (the table below the chart gives every figure as text). */
function columns(values, cls) {
  const max = Math.max(1, ...values);
  return picture({ class: 'cols', viewBox: `0 0 ${values.length * 10} 100`, preserveAspectRatio: 'none' },
    ...values.map((v, i) => (v > 0 ? svg('rect', { x: i * 10 + 1.5, y: 100 - Math.max(3, (100 * v) / max), width: 7, height: Math.max(3, (100 * v) / max), class: cls }) : null)).filter(Boolean));
}

/** How much a figure moved since the previous period: "+3 (+50.0%)", "−¥12.00", "no change". */
function change(now, before, fmt) {
  const d = now - before;
  if (d === 0) return t('no_change');
  const sign = d > 0 ? '+' : '−';
  return `${sign}${fmt(Math.abs(d))}${before > 0 ? ` (${sign}${((100 * Math.abs(d)) / before).toFixed(1)}%)` : ''}`;
}

function renderTrend() {
  const { by_day: days = [], previous: prev } = sales;
  if (!prev) return;
  $('#trend').replaceChildren(...[['orders', count], ['revenue', money]].map(([k, fmt]) => el('div', {},
    el('dt', {}, t(`f_${k}`)), el('dd', { 'data-figure': k }, fmt(sales[k])),
    el('dd', { class: 'delta', 'data-change': k }, t('change', { v: change(sales[k], prev[k], fmt) })))));
  const vs = $('#vs-previous');
  Object.assign(vs.dataset, { from: prev.from, to: prev.to });
  vs.textContent = t(days.length === 1 ? 'vs_previous_1' : 'vs_previous', {
    n: days.length, from: day(prev.from), to: day(prev.to), orders: ordersText(prev.orders), revenue: money(prev.revenue),
  });
  const axis = () => el('p', { class: 'axis' }, el('span', {}, days.length ? shortDay(days[0].day) : ''), el('span', {}, days.length ? shortDay(days.at(-1).day) : ''));
  const most = (k) => Math.max(0, ...days.map((d) => d[k]));
  const chart = (k, fmt, cls) => el('figure', { class: 'chart', 'data-chart': k },
    el('figcaption', {}, t(`chart_day_${k}`, { max: fmt(most(k)) })), columns(days.map((d) => d[k]), cls), axis());
  $('#day-charts').replaceChildren(chart('orders', count, 'a'), chart('revenue', money, 'b'));
  $('#days-box').replaceChildren(table('days', t('t_days'), [t('c_day'), t('c_orders'), t('c_revenue')],
    days.map((d) => el('tr', { 'data-day': d.day }, rowHead({ text: shortDay(d.day), lang }), el('td', {}, count(d.orders)), el('td', {}, money(d.revenue))))));
}

/** Money received for the period's orders: paid, refunds, net, and net per method. */
function renderMoney() {
  $('#money').replaceChildren(...[['paid', money], ['refunded', money], ['net_paid', money], ['revenue', money]].map(([k, fmt]) =>
    el('div', {}, el('dt', {}, t(`f_${k}`)), el('dd', { 'data-figure': k }, fmt(sales[k])))));
  const by = sales.by_method || {};
  $('#methods-box').replaceChildren(table('methods', t('t_methods'), [t('c_method'), t('c_net')],
    METHODS.map((m) => el('tr', { 'data-method': m }, rowHead({ text: t(`m_${m}`), lang }), el('td', {}, money(by[m] ?? 0))))));
}

function renderSales() {
  renderTrend();
  renderMoney();
  barChart($('#hour-chart'), t('chart_hours'), sales.by_hour.filter((h) => h.orders > 0).map((h) => ({
    label: { text: `${String(h.hour).padStart(2, '0')}:00`, lang }, value: h.orders, text: `${ordersText(h.orders)} · ${money(h.revenue)}`,
  })), 'b');
  $('#dishes-box').replaceChildren(table('dishes', t('t_dishes'), [t('dish'), t('quantity'), t('c_revenue')],
    sales.by_dish.map((d) => el('tr', { 'data-dish': d.dish }, rowHead(dishName(d)), el('td', {}, count(d.quantity)), el('td', {}, money(d.revenue))))));
}

// Ratings after the meal: how many and the mean, per dish and per campaign, and what
// diners wrote (their text only ever as text).
function renderRatings() {
  const avg = (s) => (s.ratings ? s.average.toLocaleString(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : '–');
  $('#rating-tiles').replaceChildren(
    el('div', {}, el('dt', {}, t('f_ratings')), el('dd', { 'data-figure': 'ratings' }, count(ratings.all.ratings))),
    el('div', {}, el('dt', {}, t('f_average')), el('dd', { 'data-figure': 'average' }, avg(ratings.all))));
  $('#rating-dishes-box').replaceChildren(table('rating-dishes', t('t_rating_dishes'), [t('dish'), t('c_ratings'), t('c_average')],
    ratings.dishes.map((d) => el('tr', { 'data-dish': d.id }, rowHead(dishName({ dish: d.id })), el('td', {}, count(d.stars.ratings)), el('td', {}, avg(d.stars))))));
  $('#rating-campaigns-box').replaceChildren(table('rating-campaigns', t('t_rating_campaigns'), [t('campaign'), t('c_ratings'), t('c_average')],
    ratings.campaigns.map((c) => el('tr', { 'data-campaign': c.id }, rowHead(c.id === '(none)' ? { text: t('no_campaign'), lang } : { text: c.id, lang }),
      el('td', {}, count(c.stars.ratings)), el('td', {}, avg(c.stars))))));
  $('#rating-notes').replaceChildren(...ratings.ratings.filter((r) => r.note).map((r) => el('li', {}, `${r.stars}★ — ${r.note}`)));
}

function renderPeriod() {
  const s = $('#status');
  s.dataset.from = report.from;
  s.dataset.to = report.to;
  s.textContent = t('period', { from: day(report.from), to: day(report.to), currency: report.currency });
}

function renderLocations() {
  const select = $('#location');
  const ids = (config?.locations || report?.site_locations || []).map((l) => l.id);
  const value = select.value;
  select.replaceChildren(el('option', { value: '' }, t('all_locations')),
    ...ids.map((id) => { const n = locationName(id); return el('option', { value: id, lang: langOf(n) }, n.text); }));
  select.value = ids.includes(value) ? value : '';
}

function renderAll() {
  if (!report) return;
  renderLocations();
  renderTotals();
  renderCampaigns();
  if (sales) renderSales();
  if (ratings) renderRatings();
  if (shown) showDetail(shown, false);
  renderPeriod();
}

async function load() {
  $('#status').textContent = t('loading');
  try {
    const q = query();
    const [campaigns, sold, rated] = await Promise.all([
      api(`/api/reports/campaigns?${q}`).then((r) => r.json()),
      api(`/api/reports/sales?${q}`).then((r) => r.json()),
      api(`/api/reports/ratings?${q}`).then((r) => r.json()),
    ]);
    report = campaigns;
    sales = sold;
    ratings = rated;
    // The period the server answered with (its default is the shop's local days).
    $('#from').value = report.from;
    $('#to').value = report.to;
    renderAll();
    return true;
  } catch (error) {
    $('#status').textContent = '';
    if (error.auth) {
      sessionStorage.removeItem(KEY);
      showSignin(error.message);
    } else {
      $('#status').textContent = t('load_failed', { why: error.message });
    }
    return false;
  }
}

async function download(kind) {
  const label = t(`dl_${kind}`);
  try {
    const period = report ? { from: report.from, to: report.to } : chosen;
    const excel = $('#excel').checked;
    const response = await api(`/api/exports/${kind}.csv?${query(period)}${excel ? '&excel=1' : ''}`);
    const blob = await response.blob();
    const link = el('a', { href: URL.createObjectURL(blob), download: `${kind}${period ? `-${period.from}-${period.to}` : ''}${excel ? '-excel' : ''}.csv` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    $('#status').textContent = t('downloaded', { kind });
  } catch (error) {
    $('#status').textContent = t('dl_failed', { kind: label, why: error.message });
  }
}

function showSignin(message = '') {
  $('#signin').hidden = false;
  $('#app').hidden = true;
  $('#signout').hidden = true;
  $('#signin-error').textContent = message;
  if (message) $('#key').focus();
}

function showApp() {
  $('#signin').hidden = true;
  $('#app').hidden = false;
  $('#signout').hidden = false;
  return load();
}

function applyStrings() {
  document.documentElement.lang = lang;
  document.title = t('title');
  for (const node of document.querySelectorAll('[data-t]')) node.textContent = t(node.dataset.t);
  $('#lang').value = lang;
}

function chooseLanguage() {
  const asked = new URLSearchParams(location.search).get('lang');
  const wanted = [asked, ...(navigator.languages || []), navigator.language].filter(Boolean).map((l) => l.toLowerCase().split('-')[0]);
  return wanted.find((l) => STRINGS[l]) || 'en';
}

function init() {
  lang = chooseLanguage();
  applyStrings();
  // Names in every language of the site; the dashboard works without them.
  fetch('/api/staff/config').then((r) => (r.ok ? r.json() : null)).catch(() => null).then((c) => {
    config = c;
    renderAll();
  });
  $('#lang').addEventListener('change', () => {
    lang = $('#lang').value;
    const url = new URL(location.href);
    url.searchParams.set('lang', lang);
    history.replaceState(null, '', url);
    applyStrings();
    renderAll();
  });
  $('#signin-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = $('#key').value.trim();
    if (!key) {
      $('#signin-error').textContent = t('need_key');
      $('#key').focus();
      return;
    }
    sessionStorage.setItem(KEY, key);
    $('#key').value = '';
    await showApp();
  });
  $('#filters').addEventListener('submit', (event) => {
    event.preventDefault();
    const from = $('#from').value;
    const to = $('#to').value;
    chosen = from && to ? { from, to } : null;
    load();
  });
  $('#signout').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    report = null;
    sales = null;
    shown = null;
    chosen = null;
    showSignin();
  });
  for (const button of document.querySelectorAll('[data-export]')) {
    button.addEventListener('click', () => download(button.dataset.export));
  }
  // Signed out: no request at all, just the form.
  if (sessionStorage.getItem(KEY)) showApp();
  else showSignin();
}

init();
