/**
 * A server-sent events parser (the WHATWG event-stream format): yields one
 * event per blank-line-terminated block; comments (`:` lines, such as the
 * receiver's padding) are skipped.
 */

/** One parsed event. */
export interface SseEvent {
  /** `event:` field, `message` when absent. */
  readonly event: string;
  /** `data:` lines joined with newlines. */
  readonly data: string;
  /** `id:` field, if any. */
  readonly id?: string;
}

function parseBlock(block: string): SseEvent | undefined {
  let event = "message";
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "id") id = value;
  }
  if (data.length === 0) return undefined;
  return { event, data: data.join("\n"), ...(id === undefined ? {} : { id }) };
}

/** Parses a byte stream into events. */
export async function* parseSse(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of chunks) {
    pending += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, "\n");
    for (let end = pending.indexOf("\n\n"); end !== -1; end = pending.indexOf("\n\n")) {
      const block = pending.slice(0, end);
      pending = pending.slice(end + 2);
      const event = parseBlock(block);
      if (event !== undefined) yield event;
    }
  }
}
