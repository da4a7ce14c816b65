import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../../config-file/config-error.js";
import {
  blobMessage,
  deliverFrom,
  jsonMessage,
  never,
  type TestDeliverer,
  tempDir,
} from "../helpers.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function setup(moduleConfig: Record<string, unknown>, dataType = "json") {
  const dir = await tempDir();
  cleanups.push(dir.cleanup);
  const built: TestDeliverer = await deliverFrom({
    hook: {
      module: "save_to_disk",
      data_type: dataType,
      "module-config": { path: dir.path, ...moduleConfig },
    },
  });
  cleanups.unshift(built.close);
  return { dir: dir.path, built };
}

describe("save_to_disk module", () => {
  it("writes the raw body bytes to a file named with the message_id", async () => {
    const { dir, built } = await setup({});
    const message = jsonMessage({ z: 1, a: [1, 2] });
    expect(await built.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
    const files = await readdir(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toContain(message.messageId);
    expect(files[0]).toMatch(/\.json$/);
    expect(await readFile(join(dir, files[0]!))).toEqual(Buffer.from(message.body));
  });

  it("does not add a second file when the message is redelivered", async () => {
    const { dir, built } = await setup({});
    const message = jsonMessage({ n: 1 });
    await built.deliverer.deliver(message, never);
    await built.deliverer.deliver(message, never);
    expect(await readdir(dir)).toHaveLength(1);
  });

  it("writes an envelope with headers and metadata when include_headers is set", async () => {
    const { dir, built } = await setup({ include_headers: true });
    const message = jsonMessage({ n: 2 });
    await built.deliverer.deliver(message, never);
    const [file] = await readdir(dir);
    const doc = JSON.parse(await readFile(join(dir, file!), "utf8")) as Record<string, unknown>;
    expect(doc).toMatchObject({
      message_id: message.messageId,
      webhook_id: "hook",
      payload: { n: 2 },
      headers: { "x-signature": "sha256=abc" },
    });
  });

  it("keeps blob bytes exact with a .bin extension", async () => {
    const { dir, built } = await setup({}, "blob");
    const bytes = new Uint8Array([0, 1, 2, 254, 255]);
    await built.deliverer.deliver(blobMessage(bytes), never);
    const [file] = await readdir(dir);
    expect(file).toMatch(/\.bin$/);
    expect(new Uint8Array(await readFile(join(dir, file!)))).toEqual(bytes);
  });

  it("neutralises path characters in ids", async () => {
    const { dir, built } = await setup({ filename_pattern: "{message_id}" });
    const message = jsonMessage({}, { messageId: "../../etc/passwd" });
    expect(await built.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
    const files = await readdir(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).not.toContain("/");
    expect(files[0]).not.toContain("..");
  });

  it("accepts the seed's pattern with {timestamp} and {uuid}", async () => {
    const { dir, built } = await setup({ filename_pattern: "webhook_{timestamp}_{uuid}.json" });
    const message = jsonMessage({});
    await built.deliverer.deliver(message, never);
    expect(await readdir(dir)).toEqual([`webhook_1741064767089_${message.messageId}.json`]);
  });

  it.each([
    [{ filename_pattern: "../{message_id}" }, "a.module-config.filename_pattern"],
    [{ filename_pattern: "{timestamp}" }, "a.module-config.filename_pattern"],
    [{ filename_pattern: "{message_id}_{secret}" }, "a.module-config.filename_pattern"],
  ])("rejects the pattern %j", async (moduleConfig, keyPath) => {
    const dir = await tempDir();
    cleanups.push(dir.cleanup);
    const error = await deliverFrom({
      a: { module: "save_to_disk", "module-config": { path: dir.path, ...moduleConfig } },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).keyPath).toBe(keyPath);
  });

  it("returns retry when the directory cannot be created", async () => {
    const dir = await tempDir();
    cleanups.push(dir.cleanup);
    const { writeFile } = await import("node:fs/promises");
    await writeFile(join(dir.path, "file"), "x");
    const built = await deliverFrom({
      hook: { module: "save_to_disk", "module-config": { path: join(dir.path, "file", "sub") } },
    });
    cleanups.unshift(built.close);
    const outcome = await built.deliverer.deliver(jsonMessage({}), never);
    expect(outcome.kind).toBe("retry");
  });
});
