// Carte order status page: the order number large, its status and payment polled,
// and "Pay now" where the location's policy takes payment online. The page loads
// this file instead of app.js. Text from the API only goes in via textContent.

const $ = (s, r = document) => r.querySelector(s);
const $$ = (s, r = document) => [...r.querySelectorAll(s)];
const T = JSON.parse($('#t')?.textContent || '{}');
const t = (k, v = {}) => (T[k] || k).replace(/\{(\w+)\}/g, (_, n) => v[n] ?? '');
const lang = document.documentElement.lang;
const el = (tag, props, ...kids) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...kids.filter((k) => k != null && k !== false));
  return e;
};
const api = async (path, body) => {
  const r = await fetch(path, {
    method: body ? 'POST' : 'GET',
    headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body && JSON.stringify(body),
    cache: 'no-store',
  });
  return { ok: r.ok, status: r.status, data: await r.json().catch(() => ({})) };
};
const money = (n, code) => {
  const f = new Intl.NumberFormat(lang, { style: 'currency', currency: code, currencyDisplay: 'narrowSymbol' });
  return f.format(n / 10 ** f.resolvedOptions().maximumFractionDigits);
};
try { localStorage.setItem('carte:lang', JSON.stringify(lang)); } catch { /* private mode */ }
// "Beef noodles (Large, Egg), Tea": a set meal's dish followed by its own choices (`group/choice/inner`).
const choicesText = (options, name) => options.reduce((parts, o) => {
  if (o.group.includes('/') && parts.length) parts[parts.length - 1].inner.push(name(o));
  else parts.push({ name: name(o), inner: [] });
  return parts;
}, []).map((p) => (p.inner.length ? `${p.name} (${p.inner.join(', ')})` : p.name)).join(', ');
const sw = $('script[data-sw]')?.dataset.sw;
// The worker keeps the pages for offline visits and shows "your order is ready"; this
// script may run after the load event, so register at once then.
const registerSw = () => navigator.serviceWorker.register(sw);
if (sw && 'serviceWorker' in navigator) {
  if (document.readyState === 'complete') registerSw().catch(() => {}); else addEventListener('load', () => registerSw().catch(() => {}), { once: true });
}

const query = new URLSearchParams(location.search);
const policies = JSON.parse($('#pay-policies')?.textContent || '[]');
const root = $('[data-status]');
// The orders followed on this device, newest last (app.js adds each one placed).
const mine = () => { try { return JSON.parse(localStorage.getItem('carte:orders')) || []; } catch { return []; } };
if (root) orderStatus();
document.documentElement.dataset.ready = '1';

function orderStatus() {
  const id = query.get('id');
  const token = query.get('token');
  const state = $('#state');
  if (!id || !token) { root.classList.add('loaded'); yourOrders(); return; }
  if (query.get('new')) {
    $('#thanks').hidden = false;
    history.replaceState(null, '', location.pathname + `?id=${encodeURIComponent(id)}&token=${encodeURIComponent(token)}`);
  }
  const steps = ['received', 'accepted', 'preparing', 'ready', 'completed'];
  let last = null;
  let paid = null;
  let timer = 0;
  let shownButtons = '';
  const payProblem = (text) => { $('#pay-problem').textContent = text || ''; };
  const render = (o) => {
    $('#number').textContent = o.number;
    try {
      localStorage.setItem('carte:orders', JSON.stringify([...mine().filter((x) => x.id !== id), { id, token, number: o.number, at: o.times.received }].slice(-20)));
    } catch { /* private mode */ }
    state.textContent = t('s_' + o.status);
    const at = steps.indexOf(o.status);
    $$('#steps li').forEach((li, i) => {
      li.classList.toggle('done', i <= at);
      if (i === at) li.setAttribute('aria-current', 'step'); else li.removeAttribute('aria-current');
    });
    root.dataset.state = o.status;
    const f = o.fulfilment;
    const table = f.mode === 'dine_in';
    if (table && o.status === 'ready') state.textContent = t('s_ready_table');
    // A table order is brought to the table, not collected.
    $('#steps [data-step=ready]').textContent = t(table ? 's_ready_table' : 's_ready');
    const hm = (d) => new Date(d).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' });
    $('#where-s').textContent = table ? t('to_table', { n: f.table })
      : `${t('pickup_time')}: ${new Date(f.slot).toLocaleString(lang, { weekday: 'short', hour: '2-digit', minute: '2-digit' })}`;
    const p = !table && o.place;
    $('#place').hidden = !p;
    if (p) {
      $('#place-name').textContent = t('collect_at', { name: p.name });
      $('#place-address').textContent = p.address;
      $('#place-map').href = p.map_url;
    }
    // The server counts it: the median order-to-ready time of the shop's last orders.
    const e = o.estimate;
    $('#eta').hidden = !e;
    if (e) {
      $('#eta-time').textContent = !e.ready_at ? '' : new Date(e.ready_at) > Date.now() ? t('ready_around', { time: hm(e.ready_at) }) : t('ready_soon');
      $('#eta-ahead').textContent = t('ahead', { n: e.ahead });
      $('#eta-how').textContent = e.minutes ? t('from_' + e.basis, { n: e.samples, m: e.minutes }) : '';
    }
    const q = o.quote;
    const line = (a, b, cls = '') => el('tr', { className: cls }, el('td', { textContent: a }), el('td', { className: 'price', textContent: money(b, q.currency) }));
    $('#summary').replaceChildren(el('table', {}, el('tbody', {},
      ...q.lines.map((l) => line(`${l.quantity} × ${l.name}${l.options.length ? ` (${choicesText(l.options, (x) => x.name)})` : ''}`, l.total)),
      q.discount ? line(t('discount'), -q.discount, 'discount') : null,
      q.service_charge ? line(t('service_charge'), q.service_charge) : null,
      line(t('total'), q.total, 'total'))));
    renderPayment(o);
    offerNotify(o.push_key);
    renderRating(o);
    $('#checked').textContent = t('updated_at', { time: new Date().toLocaleTimeString(lang) });
  };
  // The payment: its state, what is due, and "Pay now" when the location takes payment online.
  const renderPayment = (o) => {
    const p = o.payment;
    if (!p) return;
    $('#pay').hidden = false;
    root.dataset.payment = p.state;
    $('#pay-state').textContent = t('p_' + p.state);
    const open = p.due > 0 && !['paid', 'refunded', 'partially_refunded', 'expired'].includes(p.state) && o.status !== 'cancelled';
    $('#pay-due').textContent = open ? t('to_pay', { amount: money(p.due, o.quote.currency) }) : '';
    const policy = policies.find((x) => x.id === o.location);
    const due = policy?.[o.fulfilment.mode];
    const online = open && due && due !== 'pay_at_counter' ? policy.online : [];
    const key = online.join();
    if (key === shownButtons) return;
    shownButtons = key;
    $('#pay-buttons').replaceChildren(...online.map((m) => el('button', {
      type: 'button', className: 'button pay', textContent: online.length > 1 ? t('pay_with_' + m) : t('pay_now'),
      onclick: (e) => pay(m, e.currentTarget),
    })));
    if (!online.length) $('#pay-qr').replaceChildren();
  };
  // "Notify me when it is ready": Web Push, offered while the order is open and the
  // shop has a key; the page this order is followed on is kept for the notification's tap.
  const pushed = () => { try { return localStorage.getItem('carte:push:' + id); } catch { return null; } };
  const offerNotify = (key) => {
    $('#notify').hidden = !(key && 'PushManager' in window && 'serviceWorker' in navigator && Notification.permission !== 'denied' && !pushed());
    $('#notify-me').onclick = () => subscribe(key);
  };
  const subscribe = async (key) => {
    const button = $('#notify-me');
    const say = (k) => { $('#notified').textContent = t(k); };
    button.disabled = true;
    try {
      if (await Notification.requestPermission() !== 'granted') { say('notify_denied'); return; }
      const push = (await registerSw()).pushManager;
      const options = { userVisibleOnly: true, applicationServerKey: key };
      let sub;
      try { sub = await push.subscribe(options); } catch {
        // Subscribed before with another key (the shop's key changed): start again.
        await (await push.getSubscription())?.unsubscribe();
        sub = await push.subscribe(options);
      }
      const r = await api(`/api/orders/${encodeURIComponent(id)}/push?token=${encodeURIComponent(token)}`, { ...sub.toJSON(), lang });
      if (!r.ok) throw new Error(r.data.detail);
      await caches.open('carte-push').then((c) => c.put(`/__push/${id}`, new Response(location.href)));
      localStorage.setItem('carte:push:' + id, '1');
      button.hidden = true;
      say('notify_on');
    } catch {
      button.disabled = false;
      say('notify_failed');
    }
  };
  // After the meal: 1–5 stars, a note and each dish's own stars if the diner likes; once.
  const renderRating = (o) => {
    const form = $('#rate');
    form.hidden = !o.can_rate;
    if (o.rating) {
      $('#rated').hidden = false;
      $('#rated').textContent = t('rated_thanks', { s: o.rating.stars });
    }
    if (!o.can_rate || form.dataset.built) return;
    form.dataset.built = '1';
    const dishes = [...new Map(o.quote.lines.map((l) => [l.dish, l.name])).entries()];
    $('#rate-dishes').replaceChildren(...dishes.map(([dish, name], i) => el('p', {},
      el('label', { htmlFor: `rate-d${i}`, textContent: t('rate_dish', { dish: name }) }), ' ',
      el('select', { id: `rate-d${i}`, name: dish }, el('option', { value: '', textContent: t('rate_skip') }),
        ...[5, 4, 3, 2, 1].map((n) => el('option', { value: n, textContent: `${n}★` }))))));
    form.onsubmit = async (e) => {
      e.preventDefault();
      const data = new FormData(form);
      const body = {
        stars: Number(data.get('stars')),
        note: data.get('note') || null,
        dishes: dishes.map(([dish]) => ({ dish, stars: Number(data.get(dish)) })).filter((d) => d.stars),
      };
      const button = form.querySelector('button');
      button.disabled = true;
      try {
        const r = await api(`/api/orders/${encodeURIComponent(id)}/rating?token=${encodeURIComponent(token)}`, body);
        if (r.ok || r.status === 409) { poll(); return; }
        $('#rate-problem').textContent = [r.data.detail, ...(r.data.errors || []).map((x) => x.reason)].filter(Boolean).join(' · ') || t('rate_failed');
      } catch {
        $('#rate-problem').textContent = t('rate_failed');
      }
      button.disabled = false;
    };
  };
  // Starts a checkout with the provider: off to its page, or its QR code shown here.
  const pay = async (method, button) => {
    button.disabled = true;
    payProblem(t('opening_payment'));
    const surface = method === 'wechat_pay' && !matchMedia('(pointer: coarse)').matches ? 'qr_code' : 'mobile_browser';
    try {
      const r = await api('/api/payments/checkout', { order_id: id, token, method, surface, lang });
      const next = r.ok && r.data.next;
      if (next?.action === 'redirect' && /^https?:/i.test(next.url)) { location.assign(next.url); return; }
      if (next?.action === 'qr_code' && next.url) {
        payProblem('');
        await showQr(next.url);
      } else {
        const type = (r.data.type || '').split(/[/:]/).pop();
        payProblem(type === 'already-paid' ? t('already_paid') : type === 'payments-not-configured' ? t('pay_unavailable')
          : [r.data.detail || r.data.title, ...(r.data.errors || []).map((e) => e.reason)].filter(Boolean).join(' · '));
      }
      poll();
    } catch {
      payProblem(t('pay_offline'));
    }
    button.disabled = false;
  };
  const showQr = async (url) => {
    const box = $('#pay-qr');
    // WeChat's code_url (weixin://…) opens WeChat on a phone that has it.
    const link = /^(https?|weixin):/i.test(url) ? el('a', { href: url, textContent: t('open_payment') }) : null;
    box.replaceChildren(el('p', { textContent: t('scan_to_pay') }), link);
    try {
      const { qrSvg } = await import($('#pay-qr').dataset.qr);
      // The SVG is made here of numbers only, never of the URL's text.
      box.insertBefore(el('div', { className: 'qr', innerHTML: qrSvg(url) }), link);
    } catch { /* the link still opens it */ }
  };
  // A steady check every 4 s while the order is open or a payment is waited for,
  // every 30 s once it is ready; none once completed or cancelled.
  const poll = async () => {
    clearTimeout(timer);
    let delay = 4000;
    try {
      const r = await api(`/api/orders/${encodeURIComponent(id)}?token=${encodeURIComponent(token)}&lang=${encodeURIComponent(lang)}`);
      if (r.status === 404) { state.textContent = t('status_missing'); return; }
      if (r.ok) {
        last = r.data.status;
        render(r.data);
        paid = r.data.payment?.state;
        const waiting = ['unpaid', 'pending'].includes(paid) && last !== 'cancelled';
        if (!waiting && (last === 'completed' || last === 'cancelled')) return;
        if (!waiting && last === 'ready') delay = 30000;
      }
    } catch { /* offline: try again later */ } finally { root.classList.add('loaded'); }
    if (!document.hidden) timer = setTimeout(poll, delay);
  };
  document.addEventListener('visibilitychange', () => { if (!document.hidden) poll(); });
  addEventListener('online', () => poll());
  $('#share').addEventListener('click', async () => {
    const url = location.href;
    const shared = $('#shared');
    try {
      if (navigator.share) await navigator.share({ url, title: document.title });
      else { await navigator.clipboard.writeText(url); shared.textContent = t('link_copied'); }
    } catch {
      shared.replaceChildren(el('a', { href: url, textContent: url }));
    }
  });
  poll();
}

// No order in the address: the list of this device's orders, newest first.
function yourOrders() {
  root.hidden = true;
  $('#mine-link').hidden = true;
  const list = mine().reverse();
  $('h1').textContent = t('your_orders');
  $('#mine').replaceChildren(list.length ? el('ul', { className: 'links' }, ...list.map((o) => el('li', {}, el('a', {
    href: `?id=${encodeURIComponent(o.id)}&token=${encodeURIComponent(o.token)}`,
    textContent: [o.number, o.at && new Date(o.at).toLocaleString(lang, { weekday: 'short', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })].filter(Boolean).join(' · '),
  })))) : el('p', { textContent: t('no_orders') }));
}
