import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../../config-file/config-error.js";
import { createModuleDeliverer } from "../../../../connector/modules/index.js";
import { deliverFrom, jsonMessage, never, tempDir, writeConfigs } from "../helpers.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function configErrorOf(
  webhooks: unknown,
  connections?: unknown,
  env = {},
): Promise<ConfigError> {
  const result = await deliverFrom(webhooks, connections, env).then(
    async (built) => {
      await built.close();
      return undefined;
    },
    (error: unknown) => error,
  );
  expect(result).toBeInstanceOf(ConfigError);
  return result as ConfigError;
}

/** A config that fails to load, and the fields its ConfigError must have. */
interface ConfigErrorCase {
  readonly name: string;
  readonly webhooks: unknown;
  readonly connections?: unknown;
  readonly expected: Partial<Record<"keyPath" | "problem" | "file", unknown>>;
}

/** Configs that fail to load, each a test of its own. */
const configErrorCases: ConfigErrorCase[] = [
  {
    name: "names the key of a bad module-config field",
    webhooks: { a: { module: "log", "module-config": { pretty_print: "yes" } } },
    expected: { keyPath: "a.module-config.pretty_print" },
  },
  {
    name: "rejects an unknown module-config key",
    webhooks: { a: { module: "log", "module-config": { pretty: true } } },
    expected: { keyPath: "a.module-config", problem: expect.stringContaining("pretty") },
  },
  {
    name: "rejects an entry with neither module nor chain",
    webhooks: { a: { data_type: "json" } },
    expected: { keyPath: "a" },
  },
  {
    name: "rejects a missing named connection",
    webhooks: { a: { module: "postgresql", connection: "nope", "module-config": {} } },
    connections: { db: { type: "postgres" } },
    expected: {
      keyPath: "a.connection",
      problem: expect.stringContaining("unknown connection 'nope'"),
    },
  },
  {
    name: "rejects a module that needs a connection but names none",
    webhooks: { a: { module: "postgresql" } },
    expected: { keyPath: "a.connection" },
  },
  {
    name: "rejects a connection of the wrong type",
    webhooks: { a: { module: "postgresql", connection: "cache" } },
    connections: { cache: { type: "redis" } },
    expected: { problem: expect.stringContaining("type 'redis'") },
  },
  {
    name: "rejects an unknown connection type in connections.json",
    webhooks: { a: { module: "log" } },
    connections: { x: { type: "carrier-pigeon" } },
    expected: { keyPath: "x.type", file: expect.stringMatching(/connections-/) },
  },
  {
    name: "rejects a bad connection field",
    webhooks: { a: { module: "log" } },
    connections: { db: { type: "postgresql", port: "abc" } },
    expected: { keyPath: "db.port" },
  },
];

describe("module mode config", () => {
  it("loads the seed's log example unchanged", async () => {
    const built = await deliverFrom({
      stripe_relay: { module: "log", "module-config": { pretty_print: true } },
    });
    cleanups.push(built.close);
    const outcome = await built.deliverer.deliver(
      jsonMessage({ a: 1 }, { webhookId: "stripe_relay" }),
      never,
    );
    expect(outcome).toEqual({ kind: "ack" });
    expect(built.output.text).toContain("WEBHOOK RECEIVED");
  });

  it("ignores receiver-side keys such as auth blocks in the same file", async () => {
    const built = await deliverFrom({
      gh: {
        data_type: "json",
        module: "log",
        authorization: "Bearer x",
        hmac: { secret: "s", header: "X-Hub-Signature-256", algorithm: "sha256" },
        rate_limit: { max_requests: 10, window_seconds: 60 },
      },
    });
    cleanups.push(built.close);
    expect(await built.deliverer.deliver(jsonMessage({}, { webhookId: "gh" }), never)).toEqual({
      kind: "ack",
    });
  });

  it("rejects a message whose webhook id has no entry", async () => {
    const built = await deliverFrom({ a: { module: "log" } });
    cleanups.push(built.close);
    const outcome = await built.deliverer.deliver(jsonMessage({}, { webhookId: "other" }), never);
    expect(outcome.kind).toBe("reject");
    expect(outcome.kind === "reject" && outcome.reason).toContain("'other'");
  });

  it("names file and key for an unknown module", async () => {
    const error = await configErrorOf({ a: { module: "telepathy" } });
    expect(error.keyPath).toBe("a.module");
    expect(error.message).toMatch(/webhooks-.*\.json: a\.module: unknown module 'telepathy'/);
  });

  for (const { name, webhooks, connections, expected } of configErrorCases) {
    it(name, async () => {
      expect(await configErrorOf(webhooks, connections)).toMatchObject(expected);
    });
  }

  it("substitutes {$VAR} and {$VAR:default} in both files", async () => {
    const dir = await tempDir();
    cleanups.push(dir.cleanup);
    const paths = await writeConfigs(
      dir.path,
      { a: { module: "save_to_disk", "module-config": { path: `${dir.path}/{$SUBDIR}` } } },
      { cache: { type: "redis-rq", host: "{$REDIS_HOST:127.0.0.1}", port: "{$REDIS_PORT:6379}" } },
    );
    const deliverer = await createModuleDeliverer({ ...paths, env: { SUBDIR: "out" } });
    cleanups.push(() => deliverer.close());
    expect(await deliverer.deliver(jsonMessage({}, { webhookId: "a" }), never)).toEqual({
      kind: "ack",
    });
  });

  it("names the variable when a placeholder has no value", async () => {
    const error = await configErrorOf({
      a: { module: "http_webhook", "module-config": { url: "{$TARGET_URL}" } },
    });
    expect(error.keyPath).toBe("a.module-config.url");
    expect(error.problem).toContain("TARGET_URL");
  });

  it("reports invalid JSON with the file name", async () => {
    const dir = await tempDir();
    cleanups.push(dir.cleanup);
    const path = `${dir.path}/broken.json`;
    await import("node:fs/promises").then((fs) => fs.writeFile(path, "{ nope"));
    const error = await createModuleDeliverer({ webhooksConfigPath: path, env: {} }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/broken\.json: invalid JSON/);
  });

  it("accepts aliases: postgres, mariadb, redis-publish", async () => {
    const built = await deliverFrom(
      {
        a: { module: "postgres", connection: "pg", "module-config": { table: "t_alias" } },
        b: { module: "mariadb", connection: "my", "module-config": { table: "t_alias" } },
        c: { module: "redis_publish", connection: "r", "module-config": { channel: "x" } },
      },
      { pg: { type: "postgres" }, my: { type: "mariadb" }, r: { type: "redis-publish" } },
    );
    cleanups.push(built.close);
  });
});
