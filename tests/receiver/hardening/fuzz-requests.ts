/**
 * Seeded generators of random and mutated requests for the ingest fuzz
 * test: methods, paths (valid ids, traversal, bad escapes), headers
 * (duplicated, oversized, binary), bodies of random sizes and encodings,
 * and HTTP/1.1 framings that lie about the body (Content-Length
 * mismatches, broken chunking, truncation).
 */
import { createHmac } from "node:crypto";
import { gzipSync } from "node:zlib";

/** Deterministic PRNG (mulberry32) so a failing run can be replayed from its seed. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }

  /** Printable ASCII without spaces. */
  token(length: number): string {
    let text = "";
    for (let i = 0; i < length; i++) text += String.fromCharCode(this.int(0x21, 0x7e));
    return text;
  }
}

/** Webhooks of the fuzzed receiver. */
export const FUZZ_WEBHOOKS = {
  json: "fz-json",
  blob: "fz-blob",
  hmac: "fz-hmac",
  limited: "fz-limited",
} as const;
export const FUZZ_SECRET = "fuzz-secret";
export const FUZZ_TOKEN = "fuzz-token";
/** `max_message_bytes` of every fuzzed webhook. */
export const FUZZ_MAX_BYTES = 32_768;

/** One generated HTTP/1.1 request as bytes, with how the client must treat the connection. */
export interface RawFuzzCase {
  readonly kind: "raw";
  readonly label: string;
  readonly bytes: Buffer;
  /** The request is deliberately incomplete: destroy the socket after writing. */
  readonly abort: boolean;
}

/** A well-formed request for a real HTTP client (undici over HTTP/1.1, or HTTP/2). */
export interface ClientFuzzCase {
  readonly kind: "client";
  readonly label: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

const METHODS = ["POST", "POST", "POST", "PUT", "PATCH", "GET", "DELETE", "HEAD", "OPTIONS"];
const ODD_METHODS = ["FOO", "P0ST", "post", "CONNECT", "TRACE", "M-SEARCH", "PROPFIND", ""];
const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=latin1",
  "application/vnd.api+json",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/octet-stream",
  "",
  "json",
  ";;;",
];
const ENCODINGS = ["gzip", "br", "identity", "deflate, gzip", "x-bogus"];
const OTHER_PATHS = [
  "/health",
  "/ready",
  "/metrics",
  "/",
  "//",
  "*",
  "/webhook",
  "/webhook/",
  "/connect/stream/ch-fuzz/poll?timeout=0",
  "/connect/stream/../../etc",
  "/connect/ack",
  "/admin/webhook-connect/overview",
  "/webhookconnect.v1.RelayService/Pull",
  "/webhookconnect.v1.RelayService/Nope",
];

function webhookId(rng: Random): string {
  const ids = Object.values(FUZZ_WEBHOOKS);
  switch (rng.int(0, 11)) {
    case 0:
      return "..";
    case 1:
      return rng.pick(["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "%2E%2E%2F"]);
    case 2:
      return rng.pick(["%zz", "%", "%E0%A4%A", "%C3%28", "%00", "%ff%fe"]);
    case 3:
      return "a".repeat(rng.int(64, 400));
    case 4:
      return encodeURIComponent(rng.bytes(rng.int(1, 20)).toString("latin1"));
    case 5:
      return `${rng.pick(ids)}/${rng.token(rng.int(1, 8)).replace(/[?#]/g, "")}`;
    case 6:
      return `unknown-${rng.int(0, 99)}`;
    default:
      return rng.pick(ids);
  }
}

function randomPath(rng: Random): string {
  const path = rng.chance(0.85) ? `/webhook/${webhookId(rng)}` : rng.pick(OTHER_PATHS);
  if (!rng.chance(0.3)) return path;
  const query = rng.chance(0.5)
    ? `a=${rng.int(0, 9)}&b=%zz&c`
    : encodeURI(rng.token(rng.int(1, 40)));
  return `${path}${path.includes("?") ? "&" : "?"}${query}`;
}

const jsonValues = (rng: Random): string =>
  JSON.stringify({
    id: `evt_${rng.int(0, 1e6)}`,
    amount: rng.next() * 1000,
    tags: Array.from({ length: rng.int(0, 5) }, () => rng.token(rng.int(1, 10))),
    nested: { deep: [null, true, { x: "é" }] },
  });

function randomBody(rng: Random): Buffer {
  switch (rng.int(0, 9)) {
    case 0:
      return Buffer.alloc(0);
    case 1:
      return rng.bytes(rng.int(1, 2_000));
    case 2: {
      const json = Buffer.from(jsonValues(rng));
      for (let i = rng.int(1, 4); i > 0; i--) json[rng.int(0, json.length - 1)] = rng.int(0, 255);
      return json;
    }
    case 3:
      return gzipSync(jsonValues(rng));
    case 4:
      return Buffer.from(jsonValues(rng), "utf16le");
    case 5:
      // Around the size limit, sometimes over it.
      return Buffer.alloc(rng.int(FUZZ_MAX_BYTES - 100, FUZZ_MAX_BYTES + 2_000), 0x20);
    case 6:
      return Buffer.from(`{"pad":"${"x".repeat(rng.int(0, 20_000))}"}`);
    default:
      return Buffer.from(jsonValues(rng));
  }
}

function signatureHeaders(rng: Random, body: Buffer): [string, string][] {
  const headers: [string, string][] = [];
  if (rng.chance(0.5)) {
    const signature = createHmac("sha256", FUZZ_SECRET).update(body).digest("hex");
    headers.push(["X-Signature", rng.chance(0.8) ? `sha256=${signature}` : rng.token(64)]);
  }
  if (rng.chance(0.5)) {
    headers.push(["Authorization", rng.chance(0.8) ? `Bearer ${FUZZ_TOKEN}` : "Bearer nope"]);
  }
  return headers;
}

/** Header fields that a real HTTP client can send. */
function validHeaders(rng: Random, body: Buffer): [string, string][] {
  const headers: [string, string][] = [];
  const contentType = rng.pick(CONTENT_TYPES);
  if (contentType !== "") headers.push(["Content-Type", contentType]);
  if (rng.chance(0.1)) headers.push(["Content-Encoding", rng.pick(ENCODINGS)]);
  headers.push(...signatureHeaders(rng, body));
  const extra = rng.chance(0.05) ? rng.int(90, 160) : rng.int(0, 8);
  for (let i = 0; i < extra; i++) {
    const value = rng.chance(0.02) ? "v".repeat(rng.int(1_000, 40_000)) : rng.token(rng.int(0, 60));
    headers.push([`X-Fuzz-${rng.chance(0.2) ? "dup" : i}`, value.trim()]);
  }
  if (rng.chance(0.05)) headers.push(["traceparent", rng.token(55)]);
  if (rng.chance(0.05)) headers.push(["X-Forwarded-For", `${rng.token(10)}, 10.0.0.1`]);
  return headers;
}

/** Header lines a parser must refuse or tolerate: binary, control bytes, folding, no colon. */
function hostileHeaderLines(rng: Random): Buffer[] {
  const lines: Buffer[] = [];
  for (let i = rng.int(1, 4); i > 0; i--) {
    switch (rng.int(0, 7)) {
      case 0:
        lines.push(Buffer.concat([Buffer.from("X-Bin: "), rng.bytes(rng.int(1, 200))]));
        break;
      case 1:
        lines.push(Buffer.from(`X-Obs: ${"\u00e9\u00ff".repeat(rng.int(1, 50))}`, "latin1"));
        break;
      case 2:
        lines.push(Buffer.from(`X-Folded: a\r\n  continued ${rng.token(5)}`));
        break;
      case 3:
        lines.push(Buffer.from(`no colon here ${rng.token(5)}`));
        break;
      case 4:
        lines.push(Buffer.from(`Bad Name${rng.pick(["(", ")", "@", " ", "\u0000"])}: v`, "latin1"));
        break;
      case 5:
        lines.push(
          Buffer.from(
            `Content-Length: ${rng.pick(["-1", "abc", "1e3", "99999999999999999999", " 5"])}`,
          ),
        );
        break;
      case 6:
        lines.push(
          Buffer.from(
            `Transfer-Encoding: ${rng.pick(["chunked, gzip", "gzip", "x", "chunked\u0000"])}`,
            "latin1",
          ),
        );
        break;
      default:
        lines.push(Buffer.from(`X-Ctl: a${String.fromCharCode(rng.int(0, 31))}b`, "latin1"));
    }
  }
  return lines;
}

function chunked(rng: Random, body: Buffer, broken: boolean): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const size = Math.min(body.length - at, rng.int(1, 4_096));
    const sizeText =
      broken && rng.chance(0.3) ? rng.pick(["zz", "-1", "", "1;ext=\u0001"]) : size.toString(16);
    parts.push(
      Buffer.from(`${sizeText}\r\n`, "latin1"),
      body.subarray(at, at + size),
      Buffer.from("\r\n"),
    );
    at += size;
  }
  parts.push(
    Buffer.from(
      broken && rng.chance(0.5) ? "0\r\nX-Trailer: \u0000\r\n\r\n" : "0\r\n\r\n",
      "latin1",
    ),
  );
  return Buffer.concat(parts);
}

/** A request over a raw socket: any bytes at all. */
export function rawCase(rng: Random): RawFuzzCase {
  const style = rng.int(0, 19);
  if (style === 0) {
    const preface = rng.chance(0.3)
      ? Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
      : Buffer.alloc(0);
    return {
      kind: "raw",
      label: "garbage",
      bytes: Buffer.concat([preface, rng.bytes(rng.int(1, 3_000))]),
      abort: true,
    };
  }
  const method = rng.chance(0.9) ? rng.pick(METHODS) : rng.pick(ODD_METHODS);
  const version = rng.chance(0.95) ? "HTTP/1.1" : rng.pick(["HTTP/1.0", "HTTP/9.9", "HTTP/1", ""]);
  const body = randomBody(rng);
  const eol = rng.chance(0.03) ? "\n" : "\r\n";
  const lines: Buffer[] = [Buffer.from(`${method} ${randomPath(rng)} ${version}`.trimEnd())];
  if (!rng.chance(0.05)) lines.push(Buffer.from("Host: fuzz.test"));
  if (rng.chance(0.03)) lines.push(Buffer.from("Host: other.test"));
  for (const [name, value] of validHeaders(rng, body))
    lines.push(Buffer.from(`${name}: ${value}`, "latin1"));
  if (rng.chance(0.15)) lines.push(...hostileHeaderLines(rng));

  const framing = rng.pick([
    "exact",
    "exact",
    "exact",
    "chunked",
    "broken-chunked",
    "short",
    "long",
    "dup",
    "none",
    "truncate",
  ] as const);
  let payload = body;
  let abort = false;
  switch (framing) {
    case "exact":
      lines.push(Buffer.from(`Content-Length: ${body.length}`));
      break;
    case "chunked":
    case "broken-chunked":
      lines.push(Buffer.from("Transfer-Encoding: chunked"));
      if (rng.chance(0.1)) lines.push(Buffer.from(`Content-Length: ${body.length}`));
      payload = chunked(rng, body, framing === "broken-chunked");
      break;
    case "short":
      // The rest of the body is read as the next request.
      lines.push(Buffer.from(`Content-Length: ${rng.int(0, Math.max(0, body.length - 1))}`));
      break;
    case "long":
      lines.push(Buffer.from(`Content-Length: ${body.length + rng.int(1, 1_000)}`));
      abort = true;
      break;
    case "dup":
      lines.push(Buffer.from(`Content-Length: ${body.length}`));
      lines.push(Buffer.from(`Content-Length: ${rng.chance(0.5) ? body.length : body.length + 1}`));
      break;
    case "none":
      break;
    case "truncate":
      lines.push(Buffer.from(`Content-Length: ${body.length}`));
      abort = true;
      break;
  }
  if (!abort) lines.push(Buffer.from("Connection: close"));
  const eolBytes = Buffer.from(eol);
  const head = Buffer.concat([...lines.flatMap((line) => [line, eolBytes]), eolBytes]);
  let bytes = Buffer.concat([head, payload]);
  if (framing === "truncate") bytes = bytes.subarray(0, rng.int(1, Math.max(1, bytes.length - 1)));
  return { kind: "raw", label: `${method} ${framing}`, bytes, abort };
}

/** A well-formed request for undici or HTTP/2, with random but legal headers and bodies. */
export function clientCase(rng: Random): ClientFuzzCase {
  const body = randomBody(rng);
  const headers: Record<string, string> = {};
  for (const [name, value] of validHeaders(rng, body)) {
    const key = name.toLowerCase();
    // Repeated names are joined, as a client would send them.
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
  }
  const method = rng.pick(["POST", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
  return {
    kind: "client",
    label: method,
    method,
    path: randomPath(rng).replace(/[^\x21-\x7e]/g, ""),
    headers,
    body,
  };
}
