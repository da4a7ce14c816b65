/**
 * The outbound forward proxy of the connector: `proxy_url` (or `--proxy`)
 * when configured, else the conventional `HTTPS_PROXY` / `HTTP_PROXY`
 * variables (lower-case forms first) for the scheme of `cloud_url`;
 * `no_proxy` / `NO_PROXY` lists the hosts reached directly. Only
 * `http://` proxies are supported (TLS to the receiver goes through a
 * CONNECT tunnel, so the proxy never sees the traffic in clear).
 */
import { ConfigError } from "../../config-file/index.js";
import { parseNoProxy } from "./no-proxy.js";

/** A proxy the connector's connections to the receiver go through. */
export interface ForwardProxy {
  /** Host name or IP of the proxy (IPv6 without brackets). */
  readonly host: string;
  /** Port of the proxy. */
  readonly port: number;
  /** `Basic …` value of `Proxy-Authorization`, when the URL has credentials. Never logged. */
  readonly authorization: string | undefined;
  /** `http://host:port` without credentials: the name used in logs and errors. */
  readonly label: string;
}

/** Where the proxy settings come from. */
export interface ProxySources {
  /** `proxy_url` from the configuration (file, `CONNECTOR_PROXY_URL` or `--proxy`). */
  readonly proxyUrl?: string | undefined;
  /** `no_proxy` from the configuration; replaces the NO_PROXY variable. */
  readonly noProxy?: string | undefined;
  /** Environment holding HTTPS_PROXY, HTTP_PROXY and NO_PROXY. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * Parses a proxy URL. A value without a scheme (`proxy:3128`, as often in
 * HTTPS_PROXY) is taken as `http://`. Returns a problem string when the
 * value is unusable.
 */
export function parseProxyUrl(raw: string): ForwardProxy | { readonly problem: string } {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: "expected a proxy URL such as http://proxy.example.com:3128" };
  }
  if (url.protocol !== "http:") {
    return {
      problem: `unsupported proxy scheme '${url.protocol.slice(0, -1)}' (expected http://host:port)`,
    };
  }
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "") {
    return { problem: "expected http://[user:password@]host:port with no path" };
  }
  const port = url.port === "" ? 80 : Number(url.port);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const hostForLabel = host.includes(":") ? `[${host}]` : host;
  let authorization: string | undefined;
  if (url.username !== "" || url.password !== "") {
    let user: string;
    let password: string;
    try {
      user = decodeURIComponent(url.username);
      password = decodeURIComponent(url.password);
    } catch {
      return { problem: "the proxy credentials are not valid percent-encoding" };
    }
    authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  }
  return { host, port, authorization, label: `http://${hostForLabel}:${port}` };
}

function firstSet(env: ProxySources["env"], names: readonly string[]) {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value.trim() !== "") return { name, value: value.trim() };
  }
  return undefined;
}

/**
 * The proxy for connections to `cloudUrl`, or undefined when they go
 * direct (no proxy configured, or NO_PROXY matches the receiver). Throws
 * a ConfigError naming the variable when an environment value is unusable.
 */
export function resolveForwardProxy(
  cloudUrl: string,
  sources: ProxySources,
): ForwardProxy | undefined {
  const target = new URL(cloudUrl);
  const secure = target.protocol === "https:" || target.protocol === "wss:";
  let chosen: { readonly label: string; readonly value: string } | undefined;
  if (sources.proxyUrl !== undefined && sources.proxyUrl !== "") {
    chosen = { label: "proxy_url", value: sources.proxyUrl };
  } else {
    const set = firstSet(
      sources.env,
      secure ? ["https_proxy", "HTTPS_PROXY"] : ["http_proxy", "HTTP_PROXY"],
    );
    if (set !== undefined) chosen = { label: `env ${set.name}`, value: set.value };
  }
  if (chosen === undefined) return undefined;
  const proxy = parseProxyUrl(chosen.value);
  if ("problem" in proxy) {
    throw new ConfigError(
      chosen.label,
      chosen.label === "proxy_url" ? "proxy_url" : "",
      proxy.problem,
    );
  }
  const noProxy = sources.noProxy ?? firstSet(sources.env, ["no_proxy", "NO_PROXY"])?.value;
  if (noProxy !== undefined) {
    const port = target.port === "" ? (secure ? 443 : 80) : Number(target.port);
    if (parseNoProxy(noProxy).matches(target.hostname, port)) return undefined;
  }
  return proxy;
}
