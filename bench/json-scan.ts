/**
 * `node --import tsx bench/json-scan.ts`: the ingest JSON check on typical
 * ~1 KiB webhook bodies, against its baseline `JSON.parse` (of the decoded
 * text, as the check used to do) in the same run. Prints µs per body and
 * the ratio scanner/baseline (below 1: the scanner is faster).
 */
import { scanJson } from "../receiver/ingest/json-scan.js";

/** Bodies shaped like real webhooks, each about 1 KiB. */
const bodies: Record<string, Buffer> = {
  stripe: Buffer.from(
    JSON.stringify({
      id: "evt_1NG8Du2eZvKYlo2CUI79vXWy",
      object: "event",
      api_version: "2023-10-16",
      created: 1_686_089_970,
      data: {
        object: {
          id: "pi_3NG8Dt2eZvKYlo2C0v0Qm1Xy",
          object: "payment_intent",
          amount: 2000,
          amount_capturable: 0,
          amount_received: 2000,
          capture_method: "automatic",
          client_secret: "pi_3NG8Dt2eZvKYlo2C0v0Qm1Xy_secret_xyz",
          confirmation_method: "automatic",
          created: 1_686_089_969,
          currency: "usd",
          customer: null,
          description: "Order #1234 — café au lait ×2",
          latest_charge: "ch_3NG8Dt2eZvKYlo2C0Zf6b3Yh",
          livemode: false,
          metadata: { order_id: "6735", channel: "web" },
          payment_method: "pm_1NG8Dt2eZvKYlo2CwXy0yZ1a",
          payment_method_types: ["card"],
          status: "succeeded",
        },
      },
      livemode: false,
      pending_webhooks: 1,
      request: {
        id: "req_aBcDeFgHiJkLmN",
        idempotency_key: "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
      },
      type: "payment_intent.succeeded",
    }),
  ),
  github: Buffer.from(
    JSON.stringify({
      ref: "refs/heads/main",
      before: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
      after: "59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5",
      repository: {
        id: 186_853_002,
        name: "hello-world",
        full_name: "octocat/hello-world",
        private: false,
        owner: { login: "octocat", id: 21_031_067, type: "User", site_admin: false },
        html_url: "https://github.com/octocat/hello-world",
        fork: false,
        default_branch: "main",
        stargazers_count: 80,
      },
      pusher: { name: "octocat", email: "octocat@github.com" },
      commits: [
        {
          id: "59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5",
          message: 'Fix the "quoted" typo\n\nCloses #42',
          timestamp: "2024-01-05T12:34:56+01:00",
          author: { name: "Mona Lisa", email: "mona@github.com", username: "mona" },
          added: [],
          removed: [],
          modified: ["README.md", "src/index.ts"],
        },
      ],
      forced: false,
      deleted: false,
    }),
  ),
  // Raw text: Shopify ids exceed 2^53, which a JS object literal cannot hold.
  shopify: Buffer.from(`{
  "id": 820982911946154508,
  "email": "jon@example.com",
  "created_at": "2024-03-01T10:11:12-05:00",
  "total_price": "403.00",
  "subtotal_price": "393.00",
  "total_tax": "0.00",
  "currency": "USD",
  "financial_status": "paid",
  "confirmed": true,
  "line_items": [
    { "id": 866550311766439020, "title": "IPod Nano - 8GB", "quantity": 1, "price": "199.00" },
    { "id": 141249953214522974, "title": "IPod Nano - 8GB", "quantity": 1, "price": "199.00" }
  ],
  "shipping_address": { "city": "Wichita", "country_code": "US", "zip": "67202", "latitude": 37.6879 },
  "tags": "tag1, tag2",
  "test": false
}`),
  "bench (one long string)": Buffer.from(
    `{"sent_at":1700000000000.123,"id":"w1-42","type":"bench.event","data":{"pad":"${"x".repeat(940)}"}}`,
  ),
};

const ROUNDS = 5;
const ITERATIONS = 100_000;

function measure(run: () => void): number {
  for (let i = 0; i < ITERATIONS / 10; i++) run();
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < ITERATIONS; i++) run();
    best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e3 / ITERATIONS);
  }
  return best;
}

let sink = 0;
console.log("| body | bytes | JSON.parse µs | scanJson µs | ratio |");
console.log("|---|---|---|---|---|");
for (const [name, body] of Object.entries(bodies)) {
  const baseline = measure(() => {
    sink += JSON.parse(body.toString("utf8")) === null ? 1 : 0;
  });
  const scanner = measure(() => {
    sink += scanJson(body);
  });
  console.log(
    `| ${name} | ${body.length} | ${baseline.toFixed(3)} | ${scanner.toFixed(3)} | ${(scanner / baseline).toFixed(2)} |`,
  );
}
if (sink < 0) console.log(sink);
