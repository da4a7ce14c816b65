/**
 * The inspector's web page: plain HTML, CSS and JavaScript served by the
 * connector itself (no framework, no external fetches). Values from
 * webhooks are only ever set as text, never parsed as HTML.
 */

const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Webhook Connect inspector</title>
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header>
  <h1>Webhook Connect <span>inspector</span></h1>
  <input id="search" type="search" placeholder="Search path, headers, body…" aria-label="Search">
  <select id="status" aria-label="Filter by outcome">
    <option value="">all outcomes</option>
    <option value="acked">acked</option>
    <option value="nacked">nacked (redelivered)</option>
    <option value="dead_lettered">dead-lettered</option>
  </select>
  <button id="replay-shown" type="button" title="Replay every delivery in the list">Replay shown</button>
  <span id="live" class="live">connecting…</span>
</header>
<main>
  <section id="list-pane">
    <table id="list"><thead><tr><th>time</th><th>request</th><th>status</th><th>ms</th></tr></thead><tbody></tbody></table>
    <p id="empty" class="empty">No deliveries yet. Send a webhook to the receiver and it appears here.</p>
  </section>
  <section id="detail" hidden>
    <div class="bar">
      <h2 id="d-title"></h2>
      <input id="d-target" type="url" placeholder="replay to another URL (optional)" aria-label="Replay target URL">
      <button id="d-replay" type="button">Replay</button>
      <button id="d-curl" type="button">Copy as curl</button>
    </div>
    <p id="d-meta" class="meta"></p>
    <p id="d-note" class="note" hidden></p>
    <h3>Request body <button id="d-raw" type="button" class="small">raw</button></h3>
    <pre id="d-body" class="body"></pre>
    <h3>Request headers</h3>
    <table id="d-headers" class="kv"><tbody></tbody></table>
    <h3>Attempts</h3>
    <div id="d-attempts"></div>
    <textarea id="d-curl-text" readonly hidden aria-label="curl command"></textarea>
  </section>
</main>
<script src="/app.js"></script>
</body>
</html>
`;

const css = `*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;color:#1d2330;background:#f5f6f8}
header{display:flex;gap:.6rem;align-items:center;padding:.6rem 1rem;background:#1d2330;color:#fff}
header h1{font-size:1rem;margin:0 1rem 0 0;white-space:nowrap}header h1 span{font-weight:400;opacity:.7}
header input{flex:1;min-width:8rem;padding:.35rem .5rem;border-radius:4px;border:0}
header select,header button{padding:.35rem .5rem;border-radius:4px;border:0}
.live{font-size:.8rem;opacity:.8;white-space:nowrap}.live.on::before{content:"● ";color:#3ddc84}
main{display:grid;grid-template-columns:minmax(22rem,2fr) 3fr;gap:1rem;padding:1rem;align-items:start}
section{background:#fff;border-radius:6px;box-shadow:0 1px 2px #0002;overflow:auto}
#list-pane{max-height:calc(100vh - 5rem)}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #eceef2;vertical-align:top}
th{font-size:.75rem;text-transform:uppercase;color:#6b7385;position:sticky;top:0;background:#fff}
#list tbody tr{cursor:pointer}#list tbody tr:hover{background:#f0f4ff}#list tbody tr.selected{background:#dfe8ff}
td.req{font-family:ui-monospace,Menlo,monospace;word-break:break-all}
.badge{display:inline-block;min-width:2.6rem;text-align:center;border-radius:3px;padding:0 .3rem;color:#fff;font-weight:600}
.acked{background:#1f9d55}.nacked{background:#d69e2e}.dead_lettered{background:#d64545}.none{background:#8a93a6}
.empty{padding:1rem;color:#6b7385}
#detail{padding:0 1rem 1rem}
.bar{display:flex;gap:.5rem;align-items:center;flex-wrap:wrap;position:sticky;top:0;background:#fff;padding:.8rem 0}
.bar h2{font:600 1rem ui-monospace,Menlo,monospace;margin:0;flex:1;min-width:12rem;word-break:break-all}
.bar input{padding:.3rem .5rem;min-width:14rem;border:1px solid #ccd;border-radius:4px}
button{cursor:pointer;background:#2f6fed;color:#fff;border:0;border-radius:4px;padding:.35rem .7rem}
button.small{font-size:.7rem;padding:.1rem .4rem;background:#8a93a6}
.meta{color:#6b7385;margin:.2rem 0}.note{background:#eef6ee;padding:.4rem .6rem;border-radius:4px}
.note.error{background:#fdecec}
h3{font-size:.85rem;margin:1rem 0 .3rem;color:#3b4252}
pre.body{background:#f7f8fa;border:1px solid #eceef2;border-radius:4px;padding:.6rem;margin:0;white-space:pre-wrap;word-break:break-all;max-height:28rem;overflow:auto;font:12px/1.45 ui-monospace,Menlo,monospace}
table.kv td{font:12px ui-monospace,Menlo,monospace;word-break:break-all}table.kv td:first-child{white-space:nowrap;color:#3b4252;width:1%}
.attempt{border:1px solid #eceef2;border-radius:4px;margin:.5rem 0;padding:.4rem .6rem}
.attempt summary{cursor:pointer;font-family:ui-monospace,Menlo,monospace}
.attempt .tag{font-size:.7rem;background:#6b46c1;color:#fff;border-radius:3px;padding:0 .3rem;margin-left:.3rem}
textarea{width:100%;height:8rem;margin-top:1rem;font:12px ui-monospace,Menlo,monospace}
@media (max-width:900px){main{grid-template-columns:1fr}}
`;

const js = `"use strict";
const $ = (id) => document.getElementById(id);
const state = { selected: null, detail: null, raw: false, timer: null };

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}
function badge(outcome, status) {
  return el("span", status === null || status === undefined ? "---" : status, "badge " + outcome);
}
function target(d) { return d.path + (d.query ? "?" + d.query : ""); }
function time(iso) { return new Date(iso).toLocaleTimeString(); }

function filterParams() {
  const params = new URLSearchParams({ limit: "200" });
  if ($("search").value) params.set("q", $("search").value);
  if ($("status").value) params.set("status", $("status").value);
  return params;
}

async function loadList() {
  const res = await fetch("/api/deliveries?" + filterParams());
  const { deliveries } = await res.json();
  const body = $("list").tBodies[0];
  body.replaceChildren();
  for (const d of deliveries) {
    const row = el("tr");
    row.dataset.id = d.message_id;
    if (d.message_id === state.selected) row.className = "selected";
    row.append(el("td", time(d.updated_at)));
    const req = el("td", d.method + " " + target(d), "req");
    row.append(req);
    const status = el("td");
    status.append(badge(d.outcome, d.status));
    row.append(status, el("td", d.duration_ms));
    row.addEventListener("click", () => select(d.message_id));
    body.append(row);
  }
  $("empty").hidden = deliveries.length > 0;
}

async function select(id) {
  state.selected = id;
  for (const row of $("list").tBodies[0].rows) row.classList.toggle("selected", row.dataset.id === id);
  const res = await fetch("/api/deliveries/" + encodeURIComponent(id));
  if (!res.ok) return;
  state.detail = await res.json();
  renderDetail();
}

function prettyBody(text, contentType) {
  if (text === null) return null;
  if (!state.raw && /json/i.test(contentType || "") || (!state.raw && /^\\s*[[{]/.test(text))) {
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch { /* not JSON */ }
  }
  return text;
}
function bodyText(holder, contentType) {
  const text = prettyBody(holder.body_text, contentType);
  if (text !== null) return text === "" ? "(empty)" : text;
  return "(binary, " + atob(holder.body_base64).length + " bytes, base64)\\n" + holder.body_base64;
}
function headerTable(pairs) {
  const table = el("table", undefined, "kv");
  const body = el("tbody");
  for (const [name, value] of pairs) {
    const row = el("tr");
    row.append(el("td", name), el("td", value));
    body.append(row);
  }
  table.append(body);
  return table;
}

function renderDetail() {
  const d = state.detail;
  $("detail").hidden = false;
  $("d-title").textContent = d.method + " " + target(d);
  $("d-meta").textContent = [
    d.outcome.replace("_", "-"), "message " + d.message_id, "webhook " + d.webhook_id,
    "buffer attempt " + d.delivery_attempt, "from " + (d.source_ip || "?"),
    "received " + new Date(d.received_at).toLocaleString(),
  ].join(" · ") + (d.reason ? " · " + d.reason : "");
  $("d-body").textContent = bodyText(d, d.content_type);
  $("d-headers").replaceWith(Object.assign(headerTable(d.headers), { id: "d-headers" }));
  const list = $("d-attempts");
  list.replaceChildren();
  if (d.attempt_list.length === 0) list.append(el("p", "No requests recorded.", "meta"));
  d.attempt_list.forEach((a, index) => {
    const box = el("details", undefined, "attempt");
    box.dataset.replay = String(a.replay);
    if (index === d.attempt_list.length - 1) box.open = true;
    const summary = el("summary");
    summary.append(badge(a.status !== null && a.status < 300 ? "acked" : a.status === null ? "none" : "nacked", a.status));
    summary.append(" " + a.method + " " + a.url + " · " + a.duration_ms + " ms · " + time(a.started_at));
    if (a.replay) summary.append(el("span", "replay", "tag"));
    else if (a.local_retry > 0) summary.append(el("span", "local retry " + a.local_retry, "tag"));
    box.append(summary);
    if (a.error) box.append(el("p", a.error, "meta"));
    if (a.status !== null) {
      box.append(el("h3", "Response headers"), headerTable(a.headers));
      const type = (a.headers.find(([n]) => n.toLowerCase() === "content-type") || [])[1];
      box.append(el("h3", "Response body (first 64 KiB)"), el("pre", bodyText(a, type), "body"));
    }
    list.append(box);
  });
}

function shellQuote(text) { return "'" + text.replace(/'/g, "'\\\\''") + "'"; }
const skipped = new Set(["host", "content-length", "connection", "transfer-encoding", "keep-alive", "expect"]);
function curlOf(d) {
  const last = d.attempt_list[d.attempt_list.length - 1];
  const url = $("d-target").value || (last && last.url !== "modules" ? last.url : "http://localhost:3000" + target(d));
  const parts = ["curl", "-X", d.method || "POST", shellQuote(url)];
  for (const [name, value] of d.headers) {
    if (!skipped.has(name.toLowerCase())) parts.push("-H", shellQuote(name + ": " + value));
  }
  if (d.body_text !== null) return parts.concat("--data-binary", shellQuote(d.body_text)).join(" ");
  return "printf %s " + shellQuote(d.body_base64) + " | base64 -d | " + parts.concat("--data-binary", "@-").join(" ");
}

$("d-curl").addEventListener("click", async () => {
  const text = curlOf(state.detail);
  const area = $("d-curl-text");
  area.value = text;
  area.hidden = false;
  try { await navigator.clipboard.writeText(text); note("curl command copied", false); }
  catch { area.select(); note("select the command below and copy it", false); }
});
$("d-raw").addEventListener("click", () => { state.raw = !state.raw; $("d-raw").textContent = state.raw ? "pretty" : "raw"; renderDetail(); });

function note(text, error) {
  const n = $("d-note");
  n.textContent = text;
  n.className = error ? "note error" : "note";
  n.hidden = false;
}

$("d-replay").addEventListener("click", async () => {
  const id = state.selected;
  const targetUrl = $("d-target").value;
  const res = await fetch("/api/deliveries/" + encodeURIComponent(id) + "/replay", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(targetUrl ? { target_url: targetUrl } : {}),
  });
  const result = await res.json();
  if (!res.ok) note("replay failed: " + result.message, true);
  else note("replayed to " + result.target_url + ": " + (result.status ?? "no answer") + (result.reason ? " (" + result.reason + ")" : ""), result.outcome !== "delivered");
  await select(id);
});

$("replay-shown").addEventListener("click", async () => {
  const ids = [...$("list").tBodies[0].rows].map((row) => row.dataset.id);
  if (ids.length === 0 || !confirm("Replay " + ids.length + " deliveries?")) return;
  const res = await fetch("/api/replay", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ids }) });
  const result = await res.json();
  if (state.selected) { await select(state.selected); note(res.ok ? "replayed " + result.replayed : result.message, !res.ok); }
});

function refreshSoon() {
  clearTimeout(state.timer);
  state.timer = setTimeout(() => void loadList(), 100);
}
$("search").addEventListener("input", refreshSoon);
$("status").addEventListener("change", refreshSoon);

const events = new EventSource("/api/events");
events.addEventListener("open", () => { $("live").textContent = "live"; $("live").className = "live on"; });
events.addEventListener("error", () => { $("live").textContent = "reconnecting…"; $("live").className = "live"; });
events.addEventListener("delivery", (event) => {
  const change = JSON.parse(event.data);
  refreshSoon();
  if (change.message_id === state.selected) void select(state.selected);
});
void loadList();
`;

/** Assets by path. */
export const inspectorAssets: Readonly<
  Record<string, { readonly type: string; readonly body: string }>
> = {
  "/": { type: "text/html; charset=utf-8", body: html },
  "/app.css": { type: "text/css; charset=utf-8", body: css },
  "/app.js": { type: "text/javascript; charset=utf-8", body: js },
};
