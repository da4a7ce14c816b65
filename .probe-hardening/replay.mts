import { Pool } from "/work/main/node_modules/undici/index.js";
import { Random, clientCase, rawCase } from "/work/main/tests/receiver/hardening/fuzz-requests.js";
import { startReceiverFixture, relayed } from "/work/main/tests/receiver/hardening/receiver-fixture.js";
const seed = 644220681; const target = Number(process.argv[2]);
const rng = new Random(seed);
let caseRng!: Random;
for (let i = 0; i <= target; i++) caseRng = new Random(Math.floor(rng.next() * 2 ** 32));
caseRng.next();
const c = clientCase(caseRng);
console.log(c.method, c.path, c.body.length, Object.keys(c.headers).length, Object.values(c.headers).reduce((a, v) => a + v.length, 0));
const fx = await startReceiverFixture({ "fz-json": relayed("ch", {}, { max_message_bytes: 32768 }), "fz-limited": relayed("ch", {}, { max_message_bytes: 32768 }) }, { limits: { headersTimeoutMs: 3000, requestTimeoutMs: 6000, maxHeaderBytes: 16384 } });
const pool = new Pool(fx.url, { connections: 1 });
for (let k = 0; k < 3; k++) {
  const t = Date.now();
  try {
    const r = await pool.request({ path: c.path, method: c.method as "POST", headers: c.headers, body: c.body, headersTimeout: 3000, bodyTimeout: 3000 });
    console.log("status", r.statusCode, await r.body.text(), Date.now() - t);
  } catch (e) { console.log("error", (e as Error).message, (e as any).code, Date.now() - t); }
}
await pool.close(); await fx.close();
