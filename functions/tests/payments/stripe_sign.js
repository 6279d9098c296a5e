// Signs Stripe webhook payloads with Stripe's official Node library, for
// functions/tests/payments_stripe.rs: reads a JSON array of
// {payload, secret, timestamp} on stdin and writes a JSON array of the
// `Stripe-Signature` header values Stripe would send.
//
// The library is the npm package `stripe` (root package.json, `npm ci`).
'use strict';

let Stripe;
try {
  Stripe = require('stripe');
} catch (e) {
  process.stderr.write(
    "the npm package `stripe` is missing: run `npm ci` (or `npm install`) at the repository root\n",
  );
  process.exit(3);
}

const stripe = new Stripe('sk_test_carte_signing_only');
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', () => {
  const cases = JSON.parse(input);
  const headers = cases.map(({ payload, secret, timestamp }) => {
    const header = stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
    // The library's own verifier accepts what it signed (at the time it was signed).
    stripe.webhooks.constructEvent(payload, header, secret, Number.MAX_SAFE_INTEGER);
    return header;
  });
  process.stdout.write(JSON.stringify(headers));
});
