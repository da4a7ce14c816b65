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

/** Every start-up failure here is exit 2 and a single line naming `named`; `says` is what else that line must hold. */
async function expectOneLineFailure(args: string[], named: string, ...says: string[]) {
  const run = await failStart(args);
  expect(run.code, run.output).toBe(2);
  expect(run.lines, run.output).toEqual([expect.stringContaining(named)]);
  for (const text of says) expect(run.lines[0]).toContain(text);
  return run;
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
  /** The receiver's flags in their usual order; `--host` only where a case sets it. */
  const flags = (opts: { buffer: string; config?: string; host?: string; port?: string }) => [
    "--config",
    opts.config ?? config,
    ...(opts.host === undefined ? [] : ["--host", opts.host]),
    "--port",
    opts.port ?? "0",
    "--buffer",
    opts.buffer,
  ];
  /** Flags for a TLS start on loopback with its own buffer file. */
  const tlsFlags = (db: string, certPath: string, keyPath: string) => [
    ...flags({ host: "127.0.0.1", buffer: buffer(db) }),
    "--tls-cert",
    certPath,
    "--tls-key",
    keyPath,
  ];

  it("names a missing --tls-cert file", async () => {
    const cert = makeSelfSignedCert("startup");
    const missing = join(dir, "missing-cert.pem");
    await expectOneLineFailure(
      tlsFlags("tls1.db", missing, cert.keyPath),
      "--tls-cert",
      missing,
      "not found",
    );
  });

  it("names a missing --tls-key file", async () => {
    const cert = makeSelfSignedCert("startup");
    const missing = join(dir, "missing-key.pem");
    await expectOneLineFailure(tlsFlags("tls2.db", cert.certPath, missing), "--tls-key", missing);
  });

  it("refuses a certificate file that is not PEM", async () => {
    const cert = makeSelfSignedCert("startup");
    const garbage = join(dir, "garbage.pem");
    writeFileSync(garbage, "not a certificate\n");
    const run = await expectOneLineFailure(tlsFlags("tls3.db", garbage, cert.keyPath), garbage);
    expect(run.output).not.toMatch(/\n\s+at /);
  });

  it("names the address when the port is in use", async () => {
    const holder: Server = createServer();
    holder.listen(0, "127.0.0.1");
    await once(holder, "listening");
    const port = (holder.address() as { port: number }).port;
    try {
      await expectOneLineFailure(
        flags({ host: "127.0.0.1", port: String(port), buffer: buffer("port.db") }),
        `127.0.0.1:${port}`,
        "in use",
      );
    } finally {
      holder.close();
    }
  });

  it("names a --host that is not an address of this machine", async () => {
    const run = await expectOneLineFailure(
      flags({ host: "192.0.2.1", buffer: buffer("host.db") }),
      "192.0.2.1",
    );
    expect(run.output).not.toMatch(/\n\s+at /);
  });

  const unusableBuffers: { title: string; url: string; says: string[]; hides?: string }[] = [
    {
      title: "reports an unreachable NATS buffer URL on one line",
      url: "nats://127.0.0.1:1",
      says: ["nats://127.0.0.1:1"],
    },
    {
      title: "reports an unreachable Redis buffer URL on one line, without its password",
      url: "redis://relay:s3cret-pw@127.0.0.1:1/0",
      says: ["redis://relay:***@127.0.0.1:1/0", "ECONNREFUSED"],
      hides: "s3cret-pw",
    },
    {
      title: "names a data directory path that runs through a file",
      url: buffer("webhooks.json/b.db"),
      says: ["not a directory"],
    },
    {
      title: "refuses a data directory that cannot be created (under /proc) instead of hanging",
      url: "sqlite:/proc/webhook-connect-no-such-dir/b.db",
      says: ["/proc/webhook-connect-no-such-dir"],
    },
  ];
  for (const { title, url, says, hides } of unusableBuffers) {
    it(title, async () => {
      const run = await expectOneLineFailure(flags({ buffer: url }), "--buffer", ...says);
      if (hides !== undefined) expect(run.output).not.toContain(hides);
    });
  }

  it("reports an unreadable config (a directory) on one line", async () => {
    await expectOneLineFailure(flags({ config: dir, buffer: buffer("cfg.db") }), dir);
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

    const refusing = [
      { title: "names a read-only data directory", dataDir: readOnly, says: "read-only" },
      { title: "names a full data directory", dataDir: full, says: "full" },
    ];
    for (const { title, dataDir, says } of refusing) {
      it(title, async (ctx) => {
        if (!mounted.includes(dataDir)) ctx.skip("mounting a tmpfs needs CAP_SYS_ADMIN");
        await expectOneLineFailure(
          flags({ buffer: `sqlite:${join(dataDir, "buffer.db")}` }),
          dataDir,
          says,
        );
      });
    }
  });
});
