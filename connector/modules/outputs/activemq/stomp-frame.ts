/**
 * STOMP 1.2 frames: encoding with header escaping and `content-length`,
 * and an incremental parser for frames arriving over a byte stream
 * (heart-beat EOLs between frames are skipped).
 */

/** One STOMP frame. */
export interface StompFrame {
  readonly command: string;
  /** Header name → value (the first occurrence wins, as STOMP 1.2 says). */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
}

function escapeHeader(value: string): string {
  return value.replace(/[\\\r\n:]/g, (c) =>
    c === "\\" ? "\\\\" : c === "\r" ? "\\r" : c === "\n" ? "\\n" : "\\c",
  );
}

function unescapeHeader(value: string): string {
  return value.replace(/\\([\\rnc])/g, (_m, c: string) =>
    c === "\\" ? "\\" : c === "r" ? "\r" : c === "n" ? "\n" : ":",
  );
}

/**
 * Encodes a frame. CONNECT headers are not escaped (STOMP 1.2 §Value
 * Encoding); `content-length` is added when there is a body.
 */
export function encodeFrame(
  command: string,
  headers: ReadonlyArray<readonly [string, string]>,
  body: Uint8Array = new Uint8Array(0),
): Buffer {
  const encodeValue =
    command === "CONNECT" || command === "STOMP" ? (v: string) => v : escapeHeader;
  const lines = [command];
  for (const [name, value] of headers) lines.push(`${encodeValue(name)}:${encodeValue(value)}`);
  if (body.length > 0) lines.push(`content-length:${body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join("\n")}\n\n`), body, Buffer.from([0])]);
}

/** Incremental frame parser: feed bytes, get complete frames. */
export class StompParser {
  #buffer: Buffer = Buffer.alloc(0);

  /** Appends `chunk` and returns every frame it completed. */
  push(chunk: Buffer): StompFrame[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const frames: StompFrame[] = [];
    for (;;) {
      let start = 0;
      while (
        start < this.#buffer.length &&
        (this.#buffer[start] === 10 || this.#buffer[start] === 13)
      ) {
        start++;
      }
      const headerEnd = this.#buffer.indexOf("\n\n", start);
      const crlfEnd = this.#buffer.indexOf("\r\n\r\n", start);
      const useCrlf = crlfEnd !== -1 && (headerEnd === -1 || crlfEnd < headerEnd);
      const end = useCrlf ? crlfEnd : headerEnd;
      if (end === -1) {
        this.#buffer = this.#buffer.subarray(start);
        return frames;
      }
      const lines = this.#buffer.subarray(start, end).toString("utf8").split(/\r?\n/);
      const command = lines.shift() ?? "";
      const headers = new Map<string, string>();
      for (const line of lines) {
        const colon = line.indexOf(":");
        if (colon === -1) continue;
        const name = unescapeHeader(line.slice(0, colon));
        if (!headers.has(name)) headers.set(name, unescapeHeader(line.slice(colon + 1)));
      }
      const bodyStart = end + (useCrlf ? 4 : 2);
      const length = headers.get("content-length");
      let bodyEnd: number;
      if (length !== undefined && /^\d+$/.test(length)) {
        bodyEnd = bodyStart + Number(length);
        if (this.#buffer.length < bodyEnd + 1) {
          this.#buffer = this.#buffer.subarray(start);
          return frames;
        }
      } else {
        bodyEnd = this.#buffer.indexOf(0, bodyStart);
        if (bodyEnd === -1) {
          this.#buffer = this.#buffer.subarray(start);
          return frames;
        }
      }
      frames.push({
        command,
        headers,
        body: Buffer.from(this.#buffer.subarray(bodyStart, bodyEnd)),
      });
      this.#buffer = this.#buffer.subarray(bodyEnd + 1);
    }
  }
}
