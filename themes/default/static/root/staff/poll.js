// How often a polling staff screen checks the queue (production on Lambda, where there
// is no event stream): every second while orders move, stepping out to every 5 s
// once nothing has changed for a minute, and every 30 s while the screen is hidden.
// Most of a shop's day is idle, and these checks are most of its table reads.

/** Milliseconds until the next check, `idleMs` after the last change or touch. */
export function pollDelay(idleMs, hidden) {
  if (hidden) return 30000;
  if (idleMs < 60000) return 1000;
  return Math.min(5000, 2000 + Math.floor((idleMs - 60000) / 15000) * 1000);
}

/** Checks made by a screen idle for `idleMs` in all, from its last change (for the cost model). */
export function checksWhileIdle(idleMs, hidden = false) {
  let n = 0;
  for (let t = 0; t < idleMs; t += pollDelay(t, hidden)) n += 1;
  return n;
}
