/**
 * Start-up inputs the config loader does not see (SPEC §2, issue #14 §5):
 * TLS files, the listen address, the buffer URL and the data directory.
 * Each failure is one line naming the flag, file or address and the
 * problem, with exit code 2 and no stack trace.
 */
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeSelfSignedCert } from "../helpers/certs.js";
import { runCli, tempDir, writeJson } from "../helpers/processes.js";

const valid = {
  hook: {
    module: "webhook_connect",
    "module-config": { channel: "startup", channel_token: "startup-token-value" },
  },
};

async function failStart(args: string[]) {
  const run = runCli(["receiver", ...args]);
  const code = await run.exited;
  const output = run.output();
  const lines = output.split("\n").filter((line) => line.trim() !== "");
  return { code, lines, output };
}

/** Mounts a tmpfs (needs CAP_SYS_ADMIN); undefined where that is not allowed. */
function mountTmpfs(dir: string, options: string): string | undefined {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { stdio: "ignore" });
    return dir;
  } catch {
    return undefined;
  }
}

describe("receiver start-up errors outside the config file", () => {
  const dir = tempDir("wc-startup-");
  const config = writeJson(dir, "webhooks.json", valid);
  const buffer = (name: string) => `sqlite:${join(dir, name)}`;
  const base = (name: string) => [
    "--config",
    config,
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--buffer",
    buffer(name),
  ];

  it("names a missing --tls-cert file", async () => {
    const cert = makeSelfSignedCert("startup");
    const missing = join(dir, "missing-cert.pem");
    const run = await failStart([
      ...base("tls1.db"),
      "--tls-cert",
      missing,
      "--tls-key",
      cert.keyPath,
    ]);
    expect(run.code, run.output).toBe(2);
    expect(run.lines, run.output).toEqual([expect.stringContaining("--tls-cert")]);
    expect(run.lines[0]).toContain(missing);
    expect(run.lines[0]).toContain("not found");
  });

  it("names a missing --tls-key file", async () => {
    const cert = makeSelfSignedCert("startup");
    const missing = join(dir, "missing-key.pem");
    const run = await failStart([
      ...base("tls2.db"),
      "--tls-cert",
      cert.certPath,
      "--tls-key",
      missing,
    ]);
    expect(run.code, run.output).toBe(2);
    expect(run.lines, run.output).toEqual([expect.stringContaining("--tls-key")]);
    expect(run.lines[0]).toContain(missing);
  });

  it("refuses a certificate file that is not PEM", async () => {
    const cert = makeSelfSignedCert("startup");
    const garbage = join(dir, "garbage.pem");
    writeFileSync(garbage, "not a certificate\n");
    const run = await failStart([
      ...base("tls3.db"),
      "--tls-cert",
      garbage,
      "--tls-key",
      cert.keyPath,
    ]);
    expect(run.code, run.output).toBe(2);
    expect(run.lines, run.output).toHaveLength(1);
    expect(run.lines[0]).toContain(garbage);
    expect(run.output).not.toMatch(/\n\s+at /);
  });

  it("names the address when the port is in use", async () => {
    const holder: Server = createServer();
    holder.listen(0, "127.0.0.1");
    await once(holder, "listening");
    const port = (holder.address() as { port: number }).port;
    try {
      const run = await failStart([
        "--config",
        config,
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        "--buffer",
        buffer("port.db"),
      ]);
      expect(run.code, run.output).toBe(2);
      expect(run.lines, run.output).toEqual([expect.stringContaining(`127.0.0.1:${port}`)]);
      expect(run.lines[0]).toContain("in use");
    } finally {
      holder.close();
    }
  });

  it("names a --host that is not an address of this machine", async () => {
    const run = await failStart([
      "--config",
      config,
      "--host",
      "192.0.2.1",
      "--port",
      "0",
      "--buffer",
      buffer("host.db"),
    ]);
    expect(run.code, run.output).toBe(2);
    expect(run.lines, run.output).toEqual([expect.stringContaining("192.0.2.1")]);
    expect(run.output).not.toMatch(/\n\s+at /);
  });

  it("reports an unreachable NATS buffer URL on one line", async () => {
    const run = await failStart([
      "--config",
      config,
      "--port",
      "0",
      "--buffer",
      "nats://127.0.0.1:1",
    ]);
    expect(run.code, run.output).toBe(2);
    expect(run.lines, run.output).toEqual([expect.stringContaining("--buffer")]);
    expect(run.lines[0]).toContain("nats://127.0.0.1:1");
  });

  it("reports an unreachable Redis buffer URL on one line, without its password", async () => {
    const run = await failStart([
      "--config",
      config,
      "--port",
      "0",
      "--buffer",
      "redis://relay:s3cret-pw@127.0.0.1:1/0",
    ]);
    expect(run.code, run.output).toBe(2);
    expect(run.lines, run.output).toEqual([expect.stringContaining("--buffer")]);
    expect(run.lines[0]).toContain("redis://relay:***@127.0.0.1:1/0");
    expect(run.lines[0]).toContain("ECONNREFUSED");
    expect(run.output).not.toContain("s3cret-pw");
  });

  it("names a data directory path that runs through a file", async () => {
    const run = await failStart([
      "--config",
      config,
      "--port",
      "0",
      "--buffer",
      buffer("webhooks.json/b.db"),
    ]);
    expect(run.code, run.output).toBe(2);
    expect(run.lines, run.output).toEqual([expect.stringContaining("--buffer")]);
    expect(run.lines[0]).toContain("not a directory");
  });

  it("refuses a data directory that cannot be created (under /proc) instead of hanging", async () => {
    const run = await failStart([
      "--config",
      config,
      "--port",
      "0",
      "--buffer",
      "sqlite:/proc/webhook-connect-no-such-dir/b.db",
    ]);
    expect(run.code, run.output).toBe(2);
    expect(run.lines, run.output).toEqual([expect.stringContaining("--buffer")]);
    expect(run.lines[0]).toContain("/proc/webhook-connect-no-such-dir");
  });

  it("reports an unreadable config (a directory) on one line", async () => {
    const run = await failStart(["--config", dir, "--port", "0", "--buffer", buffer("cfg.db")]);
    expect(run.code, run.output).toBe(2);
    expect(run.lines, run.output).toEqual([expect.stringContaining(dir)]);
  });

  describe("data directory on a file system that refuses writes", () => {
    const readOnly = join(dir, "ro");
    const full = join(dir, "full");
    let mounted: string[] = [];

    beforeAll(() => {
      mounted = [mountTmpfs(readOnly, "size=64k,ro"), mountTmpfs(full, "size=8k")].filter(
        (path): path is string => path !== undefined,
      );
      if (mounted.includes(full)) writeFileSync(join(full, "filler"), Buffer.alloc(8 * 1024));
    });

    afterAll(() => {
      for (const path of mounted) execFileSync("umount", [path], { stdio: "ignore" });
      rmSync(dir, { recursive: true, force: true });
    });

    it("names a read-only data directory", async (ctx) => {
      if (!mounted.includes(readOnly)) ctx.skip("mounting a tmpfs needs CAP_SYS_ADMIN");
      const run = await failStart([
        "--config",
        config,
        "--port",
        "0",
        "--buffer",
        `sqlite:${join(readOnly, "buffer.db")}`,
      ]);
      expect(run.code, run.output).toBe(2);
      expect(run.lines, run.output).toEqual([expect.stringContaining(readOnly)]);
      expect(run.lines[0]).toContain("read-only");
    });

    it("names a full data directory", async (ctx) => {
      if (!mounted.includes(full)) ctx.skip("mounting a tmpfs needs CAP_SYS_ADMIN");
      const run = await failStart([
        "--config",
        config,
        "--port",
        "0",
        "--buffer",
        `sqlite:${join(full, "buffer.db")}`,
      ]);
      expect(run.code, run.output).toBe(2);
      expect(run.lines, run.output).toEqual([expect.stringContaining(full)]);
      expect(run.lines[0]).toContain("full");
    });
  });
});
