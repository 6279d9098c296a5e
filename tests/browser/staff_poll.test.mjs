// How often a polling staff screen checks the queue (themes/default/static/root/staff/poll.js):
// prompt while orders move, five times fewer checks over an idle day than one a second.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checksWhileIdle, pollDelay } from '../../themes/default/static/root/staff/poll.js';

test('every_second_while_orders_move_then_stepping_out_to_five_seconds', () => {
  assert.equal(pollDelay(0, false), 1000);
  assert.equal(pollDelay(59_999, false), 1000);
  assert.equal(pollDelay(60_000, false), 2000);
  assert.equal(pollDelay(75_000, false), 3000);
  assert.equal(pollDelay(90_000, false), 4000);
  assert.equal(pollDelay(105_000, false), 5000);
  assert.equal(pollDelay(12 * 3600_000, false), 5000);
  assert.equal(pollDelay(0, true), 30_000, 'a hidden screen checks twice a minute');
});

test('an_idle_twelve_hour_day_takes_about_a_fifth_of_the_checks', () => {
  const day = 12 * 3600_000;
  const idle = checksWhileIdle(day);
  // One check a second would be 43,200; docs/deploy.md's cost model uses this figure.
  assert.equal(idle, 8_696);
  assert.ok(idle * 4.9 < 43_200);
  assert.equal(checksWhileIdle(60_000), 60, 'the first minute after a change: every second');
});
