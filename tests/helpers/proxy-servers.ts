/**
 * Real proxy software for tests (squid, tinyproxy, nginx, HAProxy,
 * mitmproxy), each started on 127.0.0.1 and a free port with a config in a
 * temporary folder. A missing binary fails loudly under CI=true; elsewhere
 * the tests skip with a message saying what to install.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, tempDir } from "./processes.js";

/** Proxy programs, where Debian installs them and the package that has them. */
export const proxyPrograms = {
  squid: { path: "/usr/sbin/squid", pkg: "squid" },
  tinyproxy: { path: "/usr/bin/tinyproxy", pkg: "tinyproxy" },
  nginx: { path: "/usr/sbin/nginx", pkg: "nginx-light" },
  haproxy: { path: "/usr/sbin/haproxy", pkg: "haproxy" },
  mitmdump: { path: "/usr/bin/mitmdump", pkg: "mitmproxy" },
} as const;

/** A proxy program name. */
export type ProxyProgram = keyof typeof proxyPrograms;

/**
 * True when the program is installed. When it is not: throws under
 * CI=true, otherwise prints what to install and returns false, so the
 * caller can `describe.skipIf(!available)`.
 */
export function proxyProgramAvailable(name: ProxyProgram): boolean {
  const { path, pkg } = proxyPrograms[name];
  if (existsSync(path)) return true;
  const message = `${name} is not installed (${path}); install it with: apt-get install -y ${pkg}`;
  if (process.env["CI"] === "true") throw new Error(message);
  console.warn(`skipping ${name} tests: ${message}`);
  return false;
}

/** A running proxy process. */
export interface ProxyServer {
  /** `http://127.0.0.1:port`. */
  readonly url: string;
  readonly port: number;
  /** Folder of its config and logs. */
  readonly dir: string;
  /** Its log (access log where the program has one) so far. */
  log(): string;
  /** Everything it printed so far. */
  output(): string;
  close(): Promise<void>;
}

function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        reject(new Error(`proxy exited before listening on ${port}:\n${output()}`));
        return;
      }
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline)
          reject(new Error(`proxy not listening on ${port}:\n${output()}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Process groups of the proxies started and not yet closed. */
const running = new Set<number>();

/** Signals a proxy's whole process group: nginx's workers outlive a killed master otherwise. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function killGroup(pid: number): void {
  running.delete(pid);
  signalGroup(pid, "SIGKILL");
}

// Also when a test file fails before its afterAll could close what it started.
process.once("exit", () => {
  for (const pid of [...running]) killGroup(pid);
});

/** Spawns `command args` in its own process group and waits for it to listen on `port`. */
export async function startProxyProcess(
  command: string,
  args: string[],
  options: { port: number; dir: string; logFile?: string; extraPorts?: number[] },
): Promise<ProxyServer> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
  if (child.pid !== undefined) running.add(child.pid);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await waitForPort(options.port, child, () => output);
    for (const extra of options.extraPorts ?? []) await waitForPort(extra, child, () => output);
  } catch (error) {
    if (child.pid !== undefined) killGroup(child.pid);
    throw error;
  }
  return {
    url: `http://127.0.0.1:${options.port}`,
    port: options.port,
    dir: options.dir,
    output: () => output,
    log: () =>
      options.logFile !== undefined && existsSync(options.logFile)
        ? readFileSync(options.logFile, "utf8")
        : output,
    async close() {
      const pid = child.pid;
      if (pid === undefined) return;
      // SIGTERM first, so a master reaps its workers (no zombies); SIGKILL if it lingers.
      signalGroup(pid, "SIGTERM");
      const timer = setTimeout(() => killGroup(pid), 3_000);
      await exited;
      clearTimeout(timer);
      killGroup(pid);
    },
  };
}

/** Options of the forward proxies. */
export interface ForwardProxyOptions {
  /** Require Basic authentication with these credentials. */
  readonly credentials?: { readonly user: string; readonly password: string };
  /** Refuse CONNECT to any port but 443 (squid's stock rule). */
  readonly connectOnly443?: boolean;
}

/** Starts squid as a forward proxy (CONNECT to any port unless `connectOnly443`). */
export async function startSquid(options: ForwardProxyOptions = {}): Promise<ProxyServer> {
  const dir = tempDir("wc-squid-");
  // squid drops root privileges to its `proxy` user, which must write the logs.
  chmodSync(dir, 0o777);
  const port = await freePort();
  const lines = [
    `http_port 127.0.0.1:${port}`,
    `pid_filename ${join(dir, "squid.pid")}`,
    `access_log stdio:${join(dir, "access.log")}`,
    `cache_log ${join(dir, "cache.log")}`,
    `coredump_dir ${dir}`,
    "cache deny all",
    "pinger_enable off",
    "shutdown_lifetime 0 seconds",
    "visible_hostname wc-test-squid",
    "acl SSL_ports port 443",
    "acl CONNECT method CONNECT",
  ];
  if (options.connectOnly443 === true) lines.push("http_access deny CONNECT !SSL_ports");
  if (options.credentials !== undefined) {
    const passwd = join(dir, "passwd");
    const hash = execFileSync("openssl", ["passwd", "-apr1", options.credentials.password])
      .toString()
      .trim();
    writeFileSync(passwd, `${options.credentials.user}:${hash}\n`);
    chmodSync(passwd, 0o644);
    lines.push(
      `auth_param basic program /usr/lib/squid/basic_ncsa_auth ${passwd}`,
      "auth_param basic realm wc-test",
      "acl authenticated proxy_auth REQUIRED",
      "http_access allow authenticated",
    );
  } else {
    lines.push("http_access allow all");
  }
  lines.push("http_access deny all");
  const config = join(dir, "squid.conf");
  writeFileSync(config, `${lines.join("\n")}\n`);
  return startProxyProcess(proxyPrograms.squid.path, ["-N", "-f", config], {
    port,
    dir,
    logFile: join(dir, "access.log"),
  });
}

/** Starts tinyproxy as a forward proxy (CONNECT to any port). */
export async function startTinyproxy(options: ForwardProxyOptions = {}): Promise<ProxyServer> {
  const dir = tempDir("wc-tinyproxy-");
  chmodSync(dir, 0o777);
  const port = await freePort();
  const logFile = join(dir, "tinyproxy.log");
  const lines = [
    `Port ${port}`,
    "Listen 127.0.0.1",
    "Timeout 600",
    `LogFile "${logFile}"`,
    "LogLevel Info",
    `PidFile "${join(dir, "tinyproxy.pid")}"`,
    "MaxClients 100",
    "Allow 127.0.0.1",
  ];
  if (options.connectOnly443 === true) lines.push("ConnectPort 443");
  if (options.credentials !== undefined) {
    lines.push(`BasicAuth ${options.credentials.user} ${options.credentials.password}`);
  }
  const config = join(dir, "tinyproxy.conf");
  writeFileSync(config, `${lines.join("\n")}\n`);
  return startProxyProcess(proxyPrograms.tinyproxy.path, ["-d", "-c", config], {
    port,
    dir,
    logFile,
  });
}

/** Options of startMitmproxy. */
export interface MitmproxyOptions {
  /** Offer HTTP/2 to clients. @default false (the corporate downgrade to HTTP/1.1) */
  readonly http2?: boolean;
  /** Refuse WebSocket upgrades with 403, as some corporate policies do. @default false */
  readonly blockWebSocket?: boolean;
}

/** A TLS-inspecting proxy: mitmdump, with its CA certificate file. */
export interface TlsInspectingProxy extends ProxyServer {
  /** PEM of the CA mitmproxy signs its certificates with. */
  readonly caCertPath: string;
}

/**
 * Starts mitmdump as a TLS-inspecting forward proxy: it answers CONNECT,
 * terminates TLS with a certificate of its own CA, buffers whole responses
 * (mitmproxy's default) and does not verify the receiver's certificate.
 */
export async function startMitmproxy(options: MitmproxyOptions = {}): Promise<TlsInspectingProxy> {
  const dir = tempDir("wc-mitmproxy-");
  const port = await freePort();
  const addon = join(dir, "block_websocket.py");
  writeFileSync(
    addon,
    [
      "from mitmproxy import http",
      "",
      "def request(flow: http.HTTPFlow) -> None:",
      '    if flow.request.headers.get("upgrade", "").lower() == "websocket":',
      '        flow.response = http.Response.make(403, b"WebSocket is blocked by policy")',
      "",
    ].join("\n"),
  );
  const server = await startProxyProcess(
    proxyPrograms.mitmdump.path,
    [
      "--listen-host",
      "127.0.0.1",
      "--listen-port",
      String(port),
      "--set",
      `confdir=${dir}`,
      "--set",
      `http2=${options.http2 === true}`,
      ...(options.blockWebSocket === true ? ["-s", addon] : []),
      "--ssl-insecure",
    ],
    { port, dir },
  );
  return { ...server, caCertPath: join(dir, "mitmproxy-ca-cert.pem") };
}

/**
 * A shipped deploy config (docs/deploy/NAME) with its site-specific values
 * replaced for a test. Every `from` must occur in the file, so the tested
 * file cannot drift from the shipped one unnoticed.
 */
export function deployConfig(name: string, replacements: readonly [string, string][]): string {
  const path = fileURLToPath(new URL(`../../docs/deploy/${name}`, import.meta.url));
  let text = readFileSync(path, "utf8");
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`docs/deploy/${name} no longer contains '${from}'`);
    text = text.replaceAll(from, to);
  }
  return text;
}

/** Options of startNginx and startHaproxy. */
export interface ReverseProxyOptions {
  /** `host:port` of the receiver, or of each receiver. */
  readonly upstream: string | readonly string[];
  /** Certificate and key the proxy presents. */
  readonly cert: { readonly certPath: string; readonly keyPath: string };
  /** Further replacements in the shipped config. */
  readonly replace?: readonly [string, string][];
}

function upstreams(options: ReverseProxyOptions): readonly string[] {
  return typeof options.upstream === "string" ? [options.upstream] : options.upstream;
}

/** Starts nginx with docs/deploy/nginx.conf on 127.0.0.1 and a free port (TLS). */
export async function startNginx(options: ReverseProxyOptions): Promise<ProxyServer> {
  const dir = tempDir("wc-nginx-");
  chmodSync(dir, 0o777);
  const port = await freePort();
  const text = deployConfig("nginx.conf", [
    ["pid /run/nginx.pid;", `pid ${join(dir, "nginx.pid")};`],
    ["error_log /var/log/nginx/error.log warn;", `error_log ${join(dir, "error.log")} warn;`],
    [
      "access_log /var/log/nginx/webhook-connect.log;",
      `access_log ${join(dir, "access.log")};\n    client_body_temp_path ${join(dir, "body")};\n    proxy_temp_path ${join(dir, "proxy")};`,
    ],
    [
      "server 127.0.0.1:8000;",
      upstreams(options)
        .map((u) => `server ${u};`)
        .join("\n        "),
    ],
    ["listen 443 ssl http2;", `listen 127.0.0.1:${port} ssl http2;`],
    ["/etc/ssl/webhook-connect/fullchain.pem", options.cert.certPath],
    ["/etc/ssl/webhook-connect/privkey.pem", options.cert.keyPath],
    ["worker_processes auto;", "worker_processes 1;"],
    ...(options.replace ?? []),
  ]);
  const config = join(dir, "nginx.conf");
  writeFileSync(config, text);
  return startProxyProcess(
    proxyPrograms.nginx.path,
    ["-p", dir, "-c", config, "-g", "daemon off;"],
    { port, dir, logFile: join(dir, "access.log") },
  );
}

/** Starts HAProxy with docs/deploy/haproxy.cfg on 127.0.0.1 and a free port (TLS). */
export async function startHaproxy(options: ReverseProxyOptions): Promise<ProxyServer> {
  const dir = tempDir("wc-haproxy-");
  const port = await freePort();
  const pem = join(dir, "cert.pem");
  writeFileSync(
    pem,
    Buffer.concat([readFileSync(options.cert.certPath), readFileSync(options.cert.keyPath)]),
  );
  const text = deployConfig("haproxy.cfg", [
    [
      "bind :443 ssl crt /etc/haproxy/certs/relay.example.com.pem",
      `bind 127.0.0.1:${port} ssl crt ${pem}`,
    ],
    [
      "server receiver1 127.0.0.1:8000 check",
      upstreams(options)
        .map((u, i) => `server receiver${i + 1} ${u} check`)
        .join("\n    "),
    ],
    [
      "server receiver1 127.0.0.1:8000 proto h2 check",
      upstreams(options)
        .map((u, i) => `server receiver${i + 1} ${u} proto h2 check`)
        .join("\n    "),
    ],
    ...(options.replace ?? []),
  ]);
  const config = join(dir, "haproxy.cfg");
  writeFileSync(config, text);
  return startProxyProcess(proxyPrograms.haproxy.path, ["-f", config, "-db"], { port, dir });
}
