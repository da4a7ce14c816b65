/**
 * `webhook-connect status --cloud-url URL --admin-token TOKEN [--json]`:
 * prints channels with queued, in-flight, connector and dead-letter counts
 * from a receiver's admin API. Exit codes: 0 ok, 1 the receiver could not
 * be asked (one line says why), 2 bad usage.
 */
import { parseArgs } from "node:util";
import { type ChannelLine, getAdminJson, renderChannelTable, StatusError } from "./status/index.js";

const usage = `usage: webhook-connect status --cloud-url URL [--admin-token TOKEN] [--json]

  --cloud-url URL        receiver base URL (or WEBHOOK_CONNECT_CLOUD_URL)
  --admin-token TOKEN    admin token (or WEBHOOK_CONNECT_ADMIN_TOKEN)
  --timeout SECONDS      request timeout (default: 10)
  --json                 print the overview as JSON instead of a table`;

type Env = Readonly<Record<string, string | undefined>>;

interface Overview {
  readonly buffer_kind: string;
  readonly uptime_seconds: number;
  readonly total_connections: number;
  readonly channels: readonly ChannelLine[];
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      "cloud-url": { type: "string" },
      "admin-token": { type: "string" },
      timeout: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  }).values;
}

/** Runs the command; resolves with the exit code. */
export async function runStatusCli(argv: string[], env: Env = process.env): Promise<number> {
  let flags: ReturnType<typeof parse>;
  try {
    flags = parse(argv);
  } catch (error) {
    console.error(`webhook-connect status: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (flags.help === true) {
    console.log(usage);
    return 0;
  }
  const cloudUrl = flags["cloud-url"] ?? env["WEBHOOK_CONNECT_CLOUD_URL"];
  const adminToken = flags["admin-token"] ?? env["WEBHOOK_CONNECT_ADMIN_TOKEN"];
  const timeout = Number(flags.timeout ?? "10");
  if (cloudUrl === undefined || cloudUrl === "" || !/^https?:\/\//.test(cloudUrl)) {
    console.error("webhook-connect status: --cloud-url must be an http:// or https:// URL");
    return 2;
  }
  if (adminToken === undefined || adminToken === "") {
    console.error(
      "webhook-connect status: an admin token is needed: --admin-token or WEBHOOK_CONNECT_ADMIN_TOKEN",
    );
    return 2;
  }
  if (!Number.isFinite(timeout) || timeout <= 0) {
    console.error("webhook-connect status: --timeout must be a positive number of seconds");
    return 2;
  }
  try {
    const overview = (await getAdminJson(
      cloudUrl,
      adminToken,
      "/overview",
      timeout * 1000,
    )) as Overview;
    if (flags.json === true) {
      console.log(JSON.stringify(overview, null, 2));
      return 0;
    }
    console.log(
      `receiver ${cloudUrl}  buffer ${overview.buffer_kind}  up ${overview.uptime_seconds}s  ` +
        `connectors ${overview.total_connections}\n`,
    );
    console.log(
      overview.channels.length === 0
        ? "no channels configured"
        : renderChannelTable(overview.channels),
    );
    return 0;
  } catch (error) {
    if (error instanceof StatusError) {
      console.error(`webhook-connect status: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
