#!/usr/bin/env node
// Entry point of the `webhook-connect` command: dispatches to the compiled
// receiver or connector CLI in dist/ (built by `npm ci` through `prepare`).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const usage = `usage: webhook-connect <command> [options]

commands:
  receiver   run the public receiver (ingest + streaming)   webhook-connect receiver --help
  connector  run a connector in a private network           webhook-connect connector --help
  status     show channels, depth and connectors of a receiver (admin API)`;

const commands = {
  receiver: ["../dist/receiver/main.js", "runReceiverCli"],
  connector: ["../dist/connector/main.js", "runConnectorCli"],
  status: ["../dist/receiver/status.js", "runStatusCli"],
};

const [command, ...args] = process.argv.slice(2);
if (command === undefined || command === "--help" || command === "-h" || command === "help") {
  console.log(usage);
  process.exit(command === undefined ? 2 : 0);
}
const entry = commands[command];
if (entry === undefined) {
  console.error(`webhook-connect: unknown command '${command}'\n\n${usage}`);
  process.exit(2);
}
const modulePath = fileURLToPath(new URL(entry[0], import.meta.url));
if (!existsSync(modulePath)) {
  console.error(`webhook-connect: ${modulePath} is missing; run 'npm run build' first`);
  process.exit(2);
}
const module = await import(modulePath);
process.exitCode = await module[entry[1]](args, process.env);
