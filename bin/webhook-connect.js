#!/usr/bin/env node
// Entry point of the `webhook-connect` command: dispatches to the compiled
// receiver or connector CLI in dist/ (built by `npm ci` through `prepare`).
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const usage = `usage: webhook-connect <command> [options]

commands:
  receiver   run the public receiver (ingest + streaming)   webhook-connect receiver --help
  connector  run a connector in a private network           webhook-connect connector --help
  status     show channels, depth and connectors of a receiver (admin API)

  --version  print the version
  --help     print this help

example:
  webhook-connect connector --cloud-url https://relay.example.com --channel demo \\
    --token $TOKEN --forward-to localhost:3000/webhooks`;

// [module, function, module whose startingUp() runs before the command's module graph loads]
const commands = {
  receiver: [
    "../dist/receiver/main.js",
    "runReceiverCli",
    // Holds V8's heap small while the receiver's modules load.
    "../dist/receiver/startup/heap-footprint.js",
  ],
  connector: ["../dist/connector/main.js", "runConnectorCli"],
  status: ["../dist/receiver/status.js", "runStatusCli"],
};

const [command, ...args] = process.argv.slice(2);
if (command === undefined || command === "--help" || command === "-h" || command === "help") {
  console.log(usage);
  process.exit(command === undefined ? 2 : 0);
}
if (command === "--version" || command === "-v" || command === "version") {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  console.log(`webhook-connect ${pkg.version}`);
  process.exit(0);
}
const entry = Object.hasOwn(commands, command) ? commands[command] : undefined;
if (entry === undefined) {
  const close = Object.keys(commands).find(
    (name) => distance(name, command) <= Math.max(2, Math.floor(name.length / 2.5)),
  );
  const hint = close === undefined ? "" : ` (did you mean '${close}'?)`;
  console.error(`webhook-connect: unknown command '${command}'${hint}\n\n${usage}`);
  process.exit(2);
}
const modulePath = fileURLToPath(new URL(entry[0], import.meta.url));
if (!existsSync(modulePath)) {
  console.error(`webhook-connect: ${modulePath} is missing; run 'npm run build' first`);
  process.exit(2);
}
if (entry[2] !== undefined) {
  const early = await import(fileURLToPath(new URL(entry[2], import.meta.url)));
  early.startingUp();
}
const module = await import(modulePath);
process.exitCode = await module[entry[1]](args, process.env);

/** Levenshtein distance, for "did you mean". */
function distance(a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}
