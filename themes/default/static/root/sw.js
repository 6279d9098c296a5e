// Carte service worker: keeps the shell (pages, CSS, JS, catalog, images) for repeat
// visits and offline browsing. It never touches /api: orders, quotes and status
// always go to the network, so a write is never cached or replayed from here.
// It also shows "your order is ready" when the shop's server pushes it (Web Push).
const CACHE = 'carte-v1';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

// The page sends the URLs it has loaded already, which the worker did not see.
self.addEventListener('message', (e) => {
  const urls = (e.data?.cache || []).filter((u) => new URL(u, self.location).origin === self.location.origin);
  e.waitUntil(caches.open(CACHE).then((c) => Promise.all(urls.map((u) => c.add(u).catch(() => {})))));
});

self.addEventListener('fetch', (e) => {
  const req = e.request;
  const url = new URL(req.url);
  // The API, and `carte serve`'s live-reload stream and script (an endless response the
  // worker would hold open and try to cache: one per page view, until the browser's six
  // connections are used up).
  if (req.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/__carte/')) return;
  // Fingerprinted assets and resized images never change: cache first.
  if (url.pathname.startsWith('/assets/') || url.pathname.startsWith('/images/')) {
    e.respondWith(caches.match(req).then((hit) => hit || fetch(req).then((res) => {
      if (res.ok) caches.open(CACHE).then((c) => c.put(req, res.clone()));
      return res;
    })));
    return;
  }
  // Pages and catalogs: the network first (fresh prices), the cache when offline.
  e.respondWith(fetch(req).then((res) => {
    if (res.ok) {
      const copy = res.clone();
      caches.open(CACHE).then((c) => c.put(url.pathname === '/' || req.mode === 'navigate' ? url.pathname : req, copy));
    }
    return res;
  }).catch(() => caches.match(req.mode === 'navigate' ? url.pathname : req).then((hit) => hit || caches.match(req, { ignoreSearch: true }))
    .then((hit) => hit || Response.error())));
});

// "Order A-042 is ready": the message the shop's server encrypted for this browser.
self.addEventListener('push', (e) => {
  let m;
  try { m = e.data.json(); } catch { m = { title: e.data ? e.data.text() : '' }; }
  e.waitUntil(self.registration.showNotification(m.title || '✓', { body: m.body, tag: m.tag, renotify: true, data: m }));
});

// A tap opens the order's page: the tab that follows it, or the page it was followed
// on (kept by the status page, with its token), or this device's orders.
self.addEventListener('notificationclick', (e) => {
  e.notification.close();
  const m = e.notification.data || {};
  e.waitUntil((async () => {
    const kept = m.order && await caches.open('carte-push').then((c) => c.match(`/__push/${m.order}`));
    const url = (kept && await kept.text()) || m.url || '/';
    const tabs = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const tab = m.order && tabs.find((w) => new URL(w.url).searchParams.get('id') === m.order);
    return tab ? tab.focus() : self.clients.openWindow(url);
  })());
});
