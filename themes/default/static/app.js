// Carte storefront: cart, options, checkout and sign-up (the status page has status.js).
// Every page works without this file (the menu is a plain order form); this
// adds the cart, the options dialog and live quotes on top.
// Text from the catalog, the API or the diner only ever goes in via textContent.

const $ = (s, r = document) => r.querySelector(s);
const $$ = (s, r = document) => [...r.querySelectorAll(s)];
const store = {
  get: (k) => { try { return JSON.parse(localStorage.getItem('carte:' + k)); } catch { return null; } },
  set: (k, v) => { try { localStorage.setItem('carte:' + k, JSON.stringify(v)); } catch { /* private mode */ } },
};
const T = JSON.parse($('#t')?.textContent || '{}');
const t = (k, v = {}) => (T[k] || k).replace(/\{(\w+)\}/g, (_, n) => v[n] ?? '');
const lang = document.documentElement.lang;
const el = (tag, props, ...kids) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...kids.filter((k) => k != null && k !== false));
  return e;
};
const uuid = () => crypto.randomUUID?.() || [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
const api = async (path, body, headers = {}) => {
  const r = await fetch(path, {
    method: body ? 'POST' : 'GET',
    headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body && JSON.stringify(body),
    cache: 'no-store',
  });
  const data = await r.json().catch(() => ({}));
  return { ok: r.ok, status: r.status, data };
};
const problemText = (p) => [p.detail || p.title, ...(p.errors || []).map((e) => e.reason)].filter(Boolean).join(' · ');
let currency = /"priceCurrency":\s*"(\w+)"/.exec($('script[type="application/ld+json"]')?.textContent)?.[1] || 'CNY';
const fmts = {};
const money = (n, code = currency) => {
  const f = fmts[code] ||= new Intl.NumberFormat(lang, { style: 'currency', currency: code, currencyDisplay: 'narrowSymbol' });
  return f.format(n / 10 ** f.resolvedOptions().maximumFractionDigits);
};

// Every page: remember the language, the campaign link, and install the service worker.
const query = new URLSearchParams(location.search);
if (location.pathname === '/') {
  const remembered = store.get('lang');
  const link = remembered && $(`a[hreflang="${CSS.escape(remembered)}"]`);
  if (link) location.replace(link.href);
} else {
  store.set('lang', lang);
}
if (query.get('c') && query.get('ch')) {
  // Attribution: last touch, first touch, and one anonymous visit count (fire and forget).
  const touch = { campaign: query.get('c'), channel: query.get('ch') };
  store.set('attr', touch);
  if (!store.get('first')) store.set('first', { ...touch, at: new Date().toISOString() });
  const where = $('#order')?.dataset.location;
  if (where) fetch('/api/visits', { method: 'POST', keepalive: true, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...touch, location: where }) }).catch(() => {});
}
if (query.get('coupon')) store.set('coupon', query.get('coupon'));
if (location.search) $$('.langs a').forEach((a) => { a.search = location.search; });
const sw = $('script[data-sw]')?.dataset.sw;
// The service worker is for the next visit: installed when this one is loaded and idle.
if (sw && 'serviceWorker' in navigator) {
  const install = () => (self.requestIdleCallback || setTimeout)(() => navigator.serviceWorker.register(sw).then(() => navigator.serviceWorker.ready).then((reg) => {
    const urls = [location.pathname, ...performance.getEntriesByType('resource').map((e) => e.name)];
    reg.active?.postMessage({ cache: urls.filter((u) => !u.includes('/api/')) });
  }).catch(() => {}));
  if (document.readyState === 'complete') install(); else addEventListener('load', install, { once: true });
}

// Member sign-up, on the join page and in checkout: a code to the phone or email, then
// the code proves it and the server keeps the member in its session cookie.
function join(root, joined) {
  const out = $('#j-out', root);
  const say = (text, cls = 'problem') => out.append(el('p', { className: cls, textContent: text }));
  const who = () => ({ phone: $('#j-phone', root).value.trim() || null, email: $('#j-email', root).value.trim() || null });
  $('#j-go', root).addEventListener('click', async () => {
    const { phone, email } = who();
    out.replaceChildren();
    if (!phone && !email) return say(t('phone_or_email'));
    if (!$('#j-consent', root).checked) return say(t('consent_needed'));
    try {
      const r = await api('/api/members/code', phone ? { phone } : { email });
      if (!r.ok) return say(problemText(r.data));
      say(t('code_sent'), 'ok');
      $('#j-code-field', root).hidden = $('#j-confirm-row', root).hidden = false;
      $('#j-code', root).focus();
    } catch {
      say(t('offline'));
    }
  });
  $('#j-confirm', root).addEventListener('click', async () => {
    const { phone, email } = who();
    const orders = (store.get('orders') || []).slice(-20).map(({ id, token }) => ({ id, token }));
    out.replaceChildren();
    try {
      const r = await api('/api/members/verify', { ...(phone ? { phone } : { email }), code: $('#j-code', root).value.trim(), consent: $('#j-consent', root).checked, order_ids: orders, last_touch: store.get('attr') || null, location: $('#order')?.dataset.location || null });
      if (!r.ok) return say(problemText(r.data));
      store.set('member', { id: r.data.member.id });
      $('#j-code-field', root).hidden = $('#j-confirm-row', root).hidden = true;
      say(t(r.data.created ? 'joined' : 'already_member'), 'ok');
      const code = r.data.welcome_code?.code;
      // Kept for checkout, which fills it in (no retyping).
      if (code) { store.set('coupon', code); out.append(el('p', { textContent: t('welcome_code') }), el('p', { className: 'code', textContent: code })); }
      joined?.(code);
      dispatchEvent(new Event('carte:joined'));
    } catch {
      say(t('offline'));
    }
  });
}
const joinRoot = $('[data-join]');
if (joinRoot && !$('#order')) join(joinRoot);

// Passkeys on the join page (their own script): sign in with one, or add one once proven.
const keysBox = $('[data-passkeys]');
if (keysBox) import(keysBox.dataset.src).then((pk) => {
  if (!pk.usable()) return;
  const say = (text, cls = 'problem') => $('#j-passkey-out').replaceChildren(el('p', { className: cls, textContent: text }));
  const step = (added) => { $('#j-passkey-row').hidden = true; $('#j-passkey-add-row').hidden = added; };
  keysBox.hidden = false;
  $('#j-passkey').addEventListener('click', () => pk.signIn().then((r) => { store.set('member', { id: r.member.id }); step(true); say(t('signed_in'), 'ok'); }, () => say(t('passkey_failed'))));
  $('#j-passkey-add').addEventListener('click', () => pk.register().then(() => { step(true); say(t('passkey_added'), 'ok'); }, () => say(t('passkey_failed'))));
  addEventListener('carte:joined', () => step(false));
}).catch(() => {});

// The menu page: cart, options dialog, filters, sold-out state and checkout.
// Little work at start: the catalog comes on the first touch, lists when opened.
// The location's clock: local parts of an instant, a local day and minute as an
// instant, and whether the shop is open then (by the same hours the server checks).
function shopClock(tz, hours) {
  const dtf = new Intl.DateTimeFormat('en-US', {
    timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short',
  });
  const parts = (ms) => Object.fromEntries(dtf.formatToParts(ms).map((x) => [x.type, x.value]));
  const wall = (ms) => { const x = parts(ms); return Date.UTC(x.year, x.month - 1, x.day, x.hour, x.minute); };
  const toUtc = (y, m, d, min) => {
    const guess = Date.UTC(y, m, d, 0, min);
    let ms = guess - (wall(guess) - guess);
    ms = guess - (wall(ms) - ms);
    return wall(ms) === guess ? ms : null;
  };
  const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
  const mins = (s) => +s.slice(0, 2) * 60 + +s.slice(3, 5);
  const open = (ms) => {
    const x = parts(ms);
    const day = x.weekday.slice(0, 3).toLowerCase();
    const prev = days[(days.indexOf(day) + 6) % 7];
    const now = x.hour * 60 + +x.minute;
    return hours.some((w) => {
      const ok = (d) => !w.days?.length || w.days.includes(d);
      if (!w.hours?.length) return ok(day);
      return w.hours.some((h) => {
        const [a, b] = [mins(h.from), mins(h.until)];
        return a < b ? now >= a && now < b && ok(day) : (now >= a && ok(day)) || (now < b && ok(prev));
      });
    });
  };
  // The next change (closing or opening) within a week. It can only happen where some
  // opening hours start or end, or at midnight (a rule of other days): only those
  // instants are tried, a few dozen instead of every 5 minutes of the week.
  const edges = [...new Set([0, ...hours.flatMap((w) => (w.hours || []).flatMap((h) => [mins(h.from), mins(h.until)]))])].sort((a, b) => a - b);
  const next = (ms) => {
    const o = open(ms);
    const x = parts(ms);
    for (let d = 0; d <= 7; d++) {
      for (const min of edges) {
        const at = toUtc(+x.year, x.month - 1, +x.day + d, min);
        if (at !== null && at > ms && at < ms + 7 * 864e5 && open(at) !== o) return at;
      }
    }
    return null;
  };
  return { parts, toUtc, open, next };
}

const form = $('#order');
if (form) menu(form);

// A dish's own page: the live sold-out switch, as on the menu (its Add links then lead
// to the menu without adding).
const dishPage = $('article.dish-page[data-dish]');
if (dishPage && !dishPage.classList.contains('is-out')) {
  api('/api/sold-out').then((r) => {
    if (!r.ok || !r.data.dishes.includes(dishPage.dataset.dish)) return;
    dishPage.classList.add('is-out');
    $('h1', dishPage).after(el('p', { className: 'meta' }, el('span', { className: 'badge out', textContent: t('sold_out') })));
    $$('.add-at a', dishPage).forEach((a) => {
      const url = new URL(a.href);
      url.searchParams.delete('add');
      a.href = url;
      a.textContent = a.textContent.split(' · ').pop();
    });
  }).catch(() => {});
}

function menu(form) {
  const loc = form.dataset.location;
  const cartKey = 'cart:' + loc;
  const pendingKey = 'pending:' + loc;
  let cart = store.get(cartKey) || { v: null, lines: [] };
  let cat = null;
  let catP = null;
  let member = store.get('member');
  let busy = false;
  // A card is `li.dish#d-<dish id>`.
  const dishLi = (id) => document.getElementById('d-' + id);
  const idOf = (li) => li.id.slice(2);
  const dishName = (id) => dishLi(id)?.querySelector('h3')?.textContent || id;
  const live = (text) => { $('#live').textContent = text; };
  // Each card's Add button is made here: without the script the plain form has a
  // quantity field instead, and a 300-dish menu is lighter without 300 buttons.
  $$('#menu .pick').forEach((pick) => {
    const add = el('button', { type: 'button', className: 'add' }, t('add'), el('span', { className: 'vh', textContent: ' ' + $('h3', pick.closest('li')).textContent }));
    add.dataset.add = '';
    pick.append(add);
  });
  const checkout = $('#checkout');
  const checkoutOpen = () => document.documentElement.classList.contains('co');
  form.idempotency_key.value = uuid();

  // Options of a line in the diner's words, and its unit price from the page (from
  // what was kept when it was added, while the card's options are not loaded).
  const optsIn = (id) => dishLi(id)?.querySelector('details.opts');
  const choiceInput = (line, g, c) => $(`input[name="opt.${CSS.escape(line.dish)}.${CSS.escape(g)}"][value="${CSS.escape(c)}"]`, optsIn(line.dish));
  const describe = (line) => {
    if (line.options.length && !optsIn(line.dish)) return line.text || '';
    const parts = [];
    for (const o of line.options) {
      for (const c of o.choices) {
        const name = choiceInput(line, o.group, c)?.parentElement.textContent.trim() || c;
        const parent = o.group.split('/').slice(0, 2).join('/');
        const of = o.group.includes('/') && parts.find((p) => p.key === parent);
        if (of) of.inner.push(name);
        else parts.push({ key: `${o.group}/${c}`, name, inner: [] });
      }
    }
    return parts.map((p) => (p.inner.length ? `${p.name} (${p.inner.join(', ')})` : p.name)).join(', ');
  };
  const unitOf = (line) => {
    const li = dishLi(line.dish);
    if (!li || (line.options.length && !optsIn(line.dish))) return line.unit || 0;
    return +li.dataset.price + line.options.reduce((s, o) => s + o.choices.reduce((x, c) => x + +(choiceInput(line, o.group, c)?.dataset.delta || 0), 0), 0);
  };
  const count = () => cart.lines.reduce((s, l) => s + l.quantity, 0);
  const estimate = () => cart.lines.reduce((s, l) => s + unitOf(l) * l.quantity, 0);
  // A − or + button for `name`, calling `onstep(d)` with d = -1 or 1.
  const stepButton = (d, name, onstep) => el('button', {
    type: 'button', className: d < 0 ? 'step less' : 'step', textContent: d < 0 ? '−' : '+',
    ariaLabel: t(d < 0 ? 'less' : 'more', { name }), onclick: () => onstep(d),
  });
  // One more or one less of a cart line, said aloud, and priced again in checkout.
  const bump = (line, d) => {
    line.quantity += d;
    save();
    live(t('cart_count', { n: count(), total: money(estimate()) }));
    if (checkoutOpen()) quote();
  };
  // On each card, how many are in the cart, and − to take one out (the last line of
  // that dish: for a dish with options, the one added last).
  const counts = () => {
    const by = new Map();
    cart.lines.forEach((l) => by.set(l.dish, (by.get(l.dish) || 0) + l.quantity));
    $$('#menu li.dish').forEach((li) => {
      const n = by.get(idOf(li)) || 0;
      const pick = $('.pick', li);
      if (!pick) return;
      let less = $('.less', pick);
      if (n && !less) {
        const dish = idOf(li);
        less = stepButton(-1, dishName(dish), (d) => {
          const line = cart.lines.findLast((l) => l.dish === dish);
          if (line) bump(line, d);
        });
        pick.prepend(less, el('output', { className: 'n' }));
      }
      if (less) {
        less.hidden = !n;
        $('.n', pick).textContent = n || '';
        $('.n', pick).hidden = !n;
      }
      li.classList.toggle('in-cart', n > 0);
    });
  };
  const save = () => {
    cart.lines = cart.lines.filter((l) => l.quantity > 0);
    store.set(cartKey, cart);
    counts();
    const n = count();
    $('#cartbar').hidden = !n || checkoutOpen();
    if (n) $('#view').textContent = t('view_order', { n, total: money(estimate()) });
    if (checkoutOpen()) renderLines();
  };
  const sameLine = (a, b) => a.dish === b.dish && JSON.stringify(a.options) === JSON.stringify(b.options);
  const addLine = (line) => {
    line.unit = unitOf(line);
    line.text = describe(line);
    const found = cart.lines.find((l) => sameLine(l, line));
    if (found) found.quantity = Math.min(99, found.quantity + line.quantity);
    else cart.lines.push(line);
    save();
    live(t('added', { name: dishName(line.dish) }) + '. ' + t('cart_count', { n: count(), total: money(estimate()) }));
    if (checkoutOpen()) quote();
  };

  // Cart lines in checkout, with − and + per line.
  function renderLines() {
    const box = $('#lines');
    if (!cart.lines.length) return $('p', box) || box.replaceChildren(el('p', { className: 'muted', textContent: t('empty_cart') }));
    box.replaceChildren(el('ul', {}, ...cart.lines.map((line) => {
      const name = dishName(line.dish);
      const step = (d) => stepButton(d, name, (by) => bump(line, by));
      return el('li', { className: 'line' },
        el('span', { className: 'line-name' }, el('strong', { textContent: name }), describe(line) && el('small', { textContent: describe(line) })),
        el('span', { className: 'line-qty' }, step(-1), el('output', { textContent: line.quantity }), step(1)),
        el('span', { className: 'price', textContent: money(unitOf(line) * line.quantity) }));
    })));
  }

  // The options dialog: required, min and max enforced; the price shown as choices change.
  const dlg = $('#dlg');
  let opener = null;
  let dlgDish = null;
  // A set meal's chosen dish has its own fieldsets (`.sub`, after the choice's label):
  // they count only while that choice is picked, and their inputs are not the set's.
  const own = (f) => $$('input', f).filter((i) => i.closest('fieldset') === f);
  const active = (f) => !f.parentElement.matches('.sub') || !!$('input:checked', f.parentElement.previousElementSibling);
  const groups = () => $$('fieldset', dlg).filter(active);
  const dlgPicked = () => groups().map((f) => ({
    group: f.dataset.group,
    choices: own(f).filter((i) => i.checked && i.value).map((i) => i.value),
  })).filter((o) => o.choices.length);
  const dlgQty = () => Math.max(1, Math.min(99, +$('#dlg-qty').value || 1));
  const dlgUpdate = () => {
    $$('fieldset', dlg).forEach((f) => {
      const max = +f.dataset.max;
      const boxes = own(f).filter((i) => i.type === 'checkbox');
      const full = boxes.filter((b) => b.checked).length >= max;
      boxes.forEach((b) => { if (!b.checked && !b.dataset.out) b.disabled = full; });
    });
    const unit = unitOf({ dish: dlgDish, options: dlgPicked() });
    $('#dlg-ok').textContent = `${t('add_to_order')} · ${money(unit * dlgQty())}`;
  };
  // A menu carries no option inputs (a chain's 300-dish menu would weigh half as much
  // again): a dish's fieldsets come from its own page's <template id="opts">, fetched
  // on the first press (or when a cart line needs them) and then kept on its card.
  const optsOf = (li) => li.opts ||= fetch($('h3 a', li).href).then((r) => r.text()).then((html) => {
    const tpl = new DOMParser().parseFromString(html, 'text/html').getElementById('opts');
    const d = el('details', { className: 'opts', hidden: true }, ...tpl.content.children);
    li.append(d);
    return d;
  }).catch(() => { li.opts = null; });
  const openOptions = async (li, button) => {
    const dish = dlgDish = idOf(li);
    opener = button;
    $('#dlg-h').textContent = dishName(dish);
    $('#dlg-err').textContent = '';
    const body = $('#dlg-body');
    const ok = $('#dlg-ok');
    const groupsBox = el('div');
    const photo = $('img', li)?.cloneNode();
    if (photo) { photo.className = 'dlg-photo'; photo.alt = ''; photo.loading = 'eager'; }
    const qty = el('input', { id: 'dlg-qty', type: 'number', min: 1, max: 99, value: 1, inputMode: 'numeric' });
    const step = (d) => stepButton(d, dishName(dish), (by) => { qty.value = Math.max(1, Math.min(99, (+qty.value || 1) + by)); dlgUpdate(); });
    body.replaceChildren(...[photo, groupsBox, el('p', { className: 'field dlg-qty' }, el('label', { htmlFor: 'dlg-qty', textContent: t('quantity') }),
      el('span', { className: 'line-qty' }, step(-1), qty, step(1)))].filter(Boolean));
    ok.textContent = t('add_to_order');
    ok.disabled = true;
    if (!dlg.open) dlg.showModal();
    const opts = await optsOf(li);
    if (dlgDish !== dish || !dlg.open) return;
    if (!opts) { $('#dlg-err').textContent = t('offline'); return; }
    groupsBox.replaceWith(...$$(':scope > fieldset', opts).map((f) => f.cloneNode(true)));
    const sold = store.get('soldout')?.choices || [];
    $$('input', body).forEach((i) => {
      const f = i.closest('fieldset')?.dataset;
      if (f && (sold.includes(`${f.owner || dish}/${f.own || f.group}/${i.value}`) || i.disabled)) {
        i.disabled = true;
        i.dataset.out = '1';
        i.checked = false;
      }
    });
    ok.disabled = false;
    dlgUpdate();
    $('input:not([disabled])', body)?.focus();
  };
  dlg.addEventListener('change', dlgUpdate);
  dlg.addEventListener('input', dlgUpdate);
  $('#dlg-cancel').addEventListener('click', () => dlg.close());
  dlg.addEventListener('close', () => opener?.focus());
  $('#dlg-form').addEventListener('submit', (e) => {
    for (const f of groups()) {
      const n = own(f).filter((i) => i.checked && i.value).length;
      const name = $('legend', f).firstChild.textContent.trim();
      if (n < +f.dataset.min || n > +f.dataset.max) {
        e.preventDefault();
        $('#dlg-err').textContent = n < +f.dataset.min ? t('pick_required', { group: name }) : t('pick_at_most', { n: f.dataset.max, group: name });
        $('input:not([disabled])', f)?.focus();
        return;
      }
    }
    addLine({ dish: dlgDish, quantity: dlgQty(), options: dlgPicked() });
  });

  // The category rail marks the category being read.
  const rail = new Map($$('.cats a').map((a) => [a.hash.slice(1), a]));
  if (rail.size && 'IntersectionObserver' in window) {
    const seen = new IntersectionObserver((entries) => {
      for (const e of entries) {
        if (!e.isIntersecting) continue;
        rail.forEach((a) => a.removeAttribute('aria-current'));
        const a = rail.get(e.target.id);
        // Scroll the rail sideways only: scrollIntoView would move the page to the rail.
        if (a) { a.setAttribute('aria-current', 'true'); a.closest('ul').scrollLeft = a.offsetLeft - 16; }
      }
    }, { rootMargin: '-20% 0px -70% 0px' });
    $$('#menu section.cat').forEach((section) => seen.observe(section));
  }

  $('#menu').addEventListener('pointerdown', (e) => {
    const li = e.target.closest('[data-add]')?.closest('li[data-options]');
    if (li) optsOf(li);
  }, { passive: true });
  $('#menu').addEventListener('click', (e) => {
    const button = e.target.closest('[data-add]');
    if (!button) return;
    const li = button.closest('li.dish');
    if (li.hasAttribute('data-sold-out')) return;
    if (li.hasAttribute('data-options')) openOptions(li, button);
    else addLine({ dish: idOf(li), quantity: 1, options: [] });
  });

  // "Add" on a dish's own page (`?add=<dish>`): the same as its card's Add, once
  // (the parameter leaves the address, so a reload adds nothing).
  const adding = query.get('add');
  if (adding) {
    const url = new URL(location.href);
    url.searchParams.delete('add');
    history.replaceState(history.state, '', url);
    dishLi(adding)?.querySelector('[data-add]')?.click();
  }

  // Search and filters by tag and allergen (lists filled on first use).
  // A card names its tags in its links, its allergens (when it has any) in data-allergens.
  const allergensOf = (li) => li.dataset.allergens?.split('|') || [];
  const filters = $('#filters');
  let filled = false;
  const fill = () => {
    if (filled) return;
    filled = true;
    const values = (list) => [...new Set(list)].sort();
    values($$('#menu a.tag').map((a) => a.textContent)).forEach((v) => $('#tag').append(el('option', { value: v, textContent: v })));
    values($$('li[data-allergens]').flatMap(allergensOf)).forEach((v) => $('#allergen').append(el('option', { value: v, textContent: `${t('free_from')}: ${v}` })));
  };
  filters.addEventListener('pointerdown', fill);
  filters.addEventListener('focusin', fill);
  const filter = () => {
    const q = $('#q').value.trim().toLowerCase();
    const tag = $('#tag').value;
    const allergen = $('#allergen').value;
    let any = false;
    $$('#menu section.cat').forEach((s) => {
      let shown = 0;
      $$('li.dish', s).forEach((li) => {
        const ok = (!q || li.textContent.toLowerCase().includes(q))
          && (!tag || $$('a.tag', li).some((a) => a.textContent === tag))
          && (!allergen || !allergensOf(li).includes(allergen));
        li.hidden = !ok;
        shown += ok;
      });
      s.hidden = !shown;
      any ||= shown > 0;
    });
    $('#nomatch').hidden = any;
  };
  filters.addEventListener('input', filter);

  // Checkout view: its own history entry, so Back returns to the menu.
  const showCheckout = (open, focus = true) => {
    document.documentElement.classList.toggle('co', open);
    save();
    if (open) { if (focus) checkout.focus(); quote(); }
  };
  $('#view').addEventListener('click', () => { history.pushState({ checkout: 1 }, '', '#checkout'); showCheckout(true); });
  $('#back').addEventListener('click', () => history.back());
  addEventListener('popstate', () => showCheckout(location.hash === '#checkout'));

  // Where the diner is: a table from the QR code, or pickup.
  const modeInputs = $$('input[name=mode]', form);
  const mode = () => (modeInputs.find((i) => i.checked) || modeInputs[0])?.value;
  const tableParam = query.get('table');
  if (tableParam) store.set('table:' + loc, tableParam);
  const table = store.get('table:' + loc);
  if (table && form.table && [...form.table.options].some((o) => o.value && o.value === table)) {
    form.table.value = table;
    const dineIn = modeInputs.find((i) => i.value === 'dine_in');
    if (dineIn) dineIn.checked = true;
    $('#where').textContent = t('table_n', { n: table });
  }
  // Open or closed now, from the hours on the page (the catalog loads later); when
  // closed, pickup for a later slot where the shop offers it.
  const os = $('#open-state');
  if (os) {
    const tz = os.dataset.tz;
    const clock = shopClock(tz, JSON.parse(os.dataset.hours || '[]'));
    const now = Date.now();
    const isOpen = clock.open(now);
    const at = clock.next(now);
    const when = at && new Intl.DateTimeFormat(lang, { timeZone: tz, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', ...(clock.parts(at).day !== clock.parts(now).day ? { weekday: 'short' } : {}) }).format(at);
    const pickup = modeInputs.find((i) => i.value === 'pickup');
    if (!isOpen) {
      os.classList.add('closed');
      if (pickup) { pickup.checked = true; queueMicrotask(() => pickup.dispatchEvent(new Event('change', { bubbles: true }))); }
    }
    if (when) os.textContent = isOpen ? t('open_until', { time: when }) : [t('closed_opens', { time: when }), pickup && t('closed_pickup')].filter(Boolean).join(' ');
  }
  form.addEventListener('change', async (e) => {
    if (e.target.name === 'mode' && mode() === 'pickup' && !slotsDone) { await catalog(); slots(); }
    if (['mode', 'table', 'slot'].includes(e.target.name)) quote();
  });
  $('#apply').addEventListener('click', () => quote());
  $('#coupon').addEventListener('change', () => quote());

  // Pickup slots: the location's grid in the site's time zone, today and the next
  // `days_ahead` days (the server takes no slot further ahead).
  let slotsDone = false;
  function slots() {
    const p = cat?.location.pickup;
    if (!p || !form.slot) return;
    slotsDone = true;
    const tz = cat.timezone;
    const { parts, toUtc, open } = shopClock(tz, cat.location.hours);
    const earliest = Date.now() + p.lead_minutes * 60000;
    const fmt = new Intl.DateTimeFormat(lang, { timeZone: tz, hour: '2-digit', minute: '2-digit' });
    const select = form.slot;
    const keep = select.value;
    select.replaceChildren();
    const start = parts(Date.now());
    const ahead = Math.min(p.days_ahead ?? 1, 30);
    const dayName = new Intl.DateTimeFormat(lang, { timeZone: tz, weekday: 'short', month: 'short', day: 'numeric' });
    for (let i = 0; i <= ahead; i++) {
      const noon = toUtc(+start.year, start.month - 1, +start.day + i, 720);
      const label = i < 2 ? t(i ? 'tomorrow' : 'today') : noon ? dayName.format(noon) : `+${i}`;
      const group = el('optgroup', { label });
      for (let m = 0; m < 1440; m += p.slot_minutes) {
        const ms = toUtc(+start.year, start.month - 1, +start.day + i, m);
        if (ms && ms >= earliest && open(ms)) {
          const iso = new Date(ms).toISOString().replace('.000Z', 'Z');
          group.append(el('option', { value: iso, textContent: `${group.label} ${fmt.format(ms)}`, selected: iso === keep }));
        }
      }
      if (group.children.length) select.append(group);
    }
    const first = select.options[0];
    // The first slot again, on top, as the choice most diners want.
    if (first) select.prepend(el('option', { value: first.value, textContent: t('asap', { time: first.textContent }), selected: !keep || keep === first.value }));
    else select.append(el('option', { value: '', textContent: t('no_slots') }));
  }

  // The cart as the API takes it, or null while something is missing.
  const apiCart = () => {
    const m = mode();
    const fulfilment = m === 'dine_in' ? { mode: m, table: form.table?.value } : { mode: m, slot: form.slot?.value };
    if (!fulfilment.table && !fulfilment.slot) return null;
    const coupon = form.coupon.value.trim();
    return {
      location: loc,
      fulfilment,
      lines: cart.lines.map(({ dish, quantity, options }) => ({ dish, quantity, options })),
      ...(coupon ? { coupon } : {}),
    };
  };
  const problem = (text) => { $('#problem').textContent = text || ''; };
  // The server's reasons a cart cannot be ordered, in the page's language: its
  // `pricing_errors` by kind (English server text is never shown on a Chinese page).
  const cartProblem = (p) => {
    const said = (p.pricing_errors || []).map((e) => {
      const key = 'pe_' + e.kind;
      const dish = e.dish ? dishName(e.dish) : (e.line != null && cart.lines[e.line] ? dishName(cart.lines[e.line].dish) : '');
      return T[key] ? t(key, { dish, table: e.table || '', n: e.max ?? e.min ?? e.days_ahead ?? '' }) : t('pe_other');
    });
    return [...new Set(said)].join(' ') || (lang.startsWith('en') ? problemText(p) : t('pe_other'));
  };
  const row = (label, amount, cls = '') => el('tr', { className: cls }, el('td', { textContent: label }), el('td', { className: 'price', textContent: money(amount) }));

  // What became of the coupon, beside its field; a refusal stays until the diner
  // changes the code or drops it (one tap).
  const outcome = $('#coupon-outcome');
  const dropCoupon = () => { form.coupon.value = ''; store.set('coupon', null); couponOutcome(null); };
  function couponOutcome(cp) {
    if (!cp) return outcome.replaceChildren();
    const ok = cp.status === 'applied';
    outcome.className = ok ? 'ok' : 'problem';
    outcome.replaceChildren(ok ? t('coupon_applied', { code: cp.code, amount: money(cp.discount) })
      : t('coupon_no', { code: cp.code, reason: t('r_' + cp.reason?.reason, { min: money(cp.reason?.min_spend || 0) }) }),
    ok ? '' : el('button', { type: 'button', className: 'ghost', textContent: t('drop_coupon'), onclick: () => { dropCoupon(); quote(); } }));
  }

  // The server's price of the cart: the only total the diner sees.
  let quoteSeq = 0;
  async function quote() {
    const c = cart.lines.length && cat && apiCart();
    const box = $('#quote');
    if (!c) return box.replaceChildren(cart.lines.length ? el('p', { className: 'muted', textContent: t('total_note') }) : '');
    const seq = ++quoteSeq;
    try {
      const r = await api('/api/quote', { cart: c, version: cat.version });
      if (seq !== quoteSeq) return;
      if (!r.ok) { box.replaceChildren(); return problem(r.data.pricing_errors ? cartProblem(r.data) : problemText(r.data)); }
      problem('');
      const q = r.data.quote;
      const rows = [row(t('subtotal'), q.subtotal)];
      if (q.discount) rows.push(row(t('discount'), -q.discount, 'discount'));
      if (q.service_charge) rows.push(row(t('service_charge'), q.service_charge));
      if (q.tax && !q.tax_inclusive) rows.push(row(t('tax'), q.tax));
      rows.push(row(t('total') + (q.tax_inclusive && q.tax ? ` (${t('tax_included')} ${money(q.tax)})` : ''), q.total, 'total'));
      box.replaceChildren(el('table', {}, el('tbody', {}, ...rows)));
      couponOutcome(q.coupon);
    } catch {
      if (seq === quoteSeq) problem(t('offline'));
    }
  }

  // A changed menu is explained, not silently broken.
  function reconcile(version) {
    if (!cart.v || cart.v === version || !cart.lines.length) { cart.v = version; return; }
    const notes = [];
    cart.lines = cart.lines.filter((line) => {
      const li = dishLi(line.dish);
      if (!li || li.hasAttribute('data-sold-out')) { notes.push(t('removed', { name: li ? dishName(line.dish) : line.dish })); return false; }
      const unit = unitOf(line);
      if (line.unit != null && unit !== line.unit) notes.push(t('now_price', { name: dishName(line.dish), price: money(unit) }));
      line.unit = unit;
      return true;
    });
    cart.v = version;
    if (notes.length) {
      const box = $('#changed');
      box.replaceChildren(el('p', { textContent: t('menu_changed') }), el('ul', {}, ...notes.map((n) => el('li', { textContent: n }))));
      box.hidden = false;
      live(t('menu_changed') + ' ' + notes.join('. '));
    }
  }

  // Placing the order: one Idempotency-Key per checkout, kept for retries of the same order.
  async function place() {
    if (busy) return;
    if (!cart.lines.length) return problem(t('empty_cart'));
    if (!cat && !(await catalog())) return problem(t('offline'));
    const c = apiCart();
    if (!c) return problem(mode() === 'dine_in' ? t('choose_table') : t('pickup_time'));
    const attr = store.get('attr');
    const body = {
      cart: c, version: cat.version,
      note: form.note.value.trim() || null, name: form.name.value.trim() || null,
      attribution: attr && cat.coupons.some((k) => k.campaign === attr.campaign) ? attr : null,
      first_touch: store.get('first'), last_touch: attr,
    };
    const text = JSON.stringify(body);
    let pending = store.get(pendingKey);
    if (!pending || pending.body !== text) pending = { key: uuid(), body: text };
    store.set(pendingKey, pending);
    busy = true;
    const button = $('#place');
    button.disabled = true;
    button.textContent = t('placing');
    problem('');
    try {
      const r = await api('/api/orders', body, { 'idempotency-key': pending.key });
      if (r.ok) {
        const o = r.data;
        store.set('orders', [...(store.get('orders') || []).slice(-19), { id: o.id, token: o.token, number: o.number }]);
        if (c.coupon && c.coupon === store.get('coupon')) store.set('coupon', null);
        cart.lines = [];
        store.set(cartKey, cart);
        localStorage.removeItem('carte:' + pendingKey);
        location.assign(`/${lang}/status/?id=${encodeURIComponent(o.id)}&token=${encodeURIComponent(o.token)}&new=1`);
        return;
      }
      const type = (r.data.type || '').split(':').pop();
      if (type === 'slot-full') { problem(t('slot_full')); slots(); }
      else if (type === 'menu-changed') { problem(t('menu_changed')); cat.version = r.data.version; cart.v = r.data.version; save(); quote(); }
      else if (type === 'coupon-rejected') {
        couponOutcome({ code: c.coupon, reason: r.data.reason });
        problem(t('coupon_no', { code: c.coupon, reason: t('r_' + r.data.reason?.reason, { min: money(r.data.reason?.min_spend || 0) }) }));
        $('#problem').append(' ', el('button', { type: 'button', className: 'ghost', textContent: t('order_without_coupon'), onclick: () => { dropCoupon(); place(); } }));
      }
      else problem(`${t('failed')} ${r.data.pricing_errors ? cartProblem(r.data) : problemText(r.data)}`);
    } catch {
      problem(t('offline'));
      addEventListener('online', place, { once: true });
    } finally {
      busy = false;
      button.disabled = false;
      button.textContent = t('place_order');
    }
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); place(); });

  // Sign-up inside checkout: a member may use member coupons; a welcome code fills the coupon.
  const memberBox = $('#member');
  if (member) memberBox.hidden = true;
  else {
    join(memberBox, (code) => {
      member = store.get('member');
      if (code && !form.coupon.value) form.coupon.value = code;
      quote();
    });
  }

  // The live sold-out switches.
  api('/api/sold-out').then((r) => {
    const s = r.ok && r.data;
    if (!s) return;
    store.set('soldout', s);
    s.dishes.forEach((id) => {
      const li = dishLi(id);
      if (!li || li.hasAttribute('data-sold-out')) return;
      li.classList.add('is-out');
      li.setAttribute('data-sold-out', '');
      $$('input, button', li.querySelector('.pick') || li).forEach((i) => { i.disabled = true; });
      li.querySelector('.meta')?.prepend(el('span', { className: 'badge out', textContent: t('sold_out') }));
    });
  }).catch(() => {});

  // The catalog: its version (a changed menu), the coupons of a campaign link, the pickup grid.
  function catalog() {
    catP ||= fetch(form.dataset.catalog).then((r) => r.json()).then((c) => {
      cat = c;
      currency = cat.currency.code;
      reconcile(cat.version);
      const attr = store.get('attr');
      const offer = attr && cat.coupons.find((k) => k.campaign === attr.campaign && k.code);
      const code = store.get('coupon') || offer?.code;
      if (code && !form.coupon.value) form.coupon.value = code;
      if (mode() === 'pickup') slots();
      save();
      if (checkoutOpen()) quote();
      return cat;
    }).catch(() => { catP = null; return null; });
    return catP;
  }
  save();
  cart.lines.forEach((l) => { const li = l.options.length && dishLi(l.dish); if (li) optsOf(li).then(save); });
  if (location.hash === '#checkout') showCheckout(true, false);
  // Now for a cart or pickup, else on the first touch.
  if (cart.lines.length || mode() === 'pickup') catalog();
  else ['pointerdown', 'keydown', 'focusin'].forEach((type) => addEventListener(type, catalog, { once: true, passive: true }));
}

document.documentElement.dataset.ready = '1';
