/**
 * Output modules by name. Names and aliases follow the seed's gateway
 * format (`postgresql`/`postgres`, `mysql`/`mariadb`, …).
 */
import type { ModuleDefinition } from "./module-definition.js";
import { activemqModule } from "./outputs/activemq.js";
import { s3Module } from "./outputs/aws/s3.js";
import { awsSqsModule } from "./outputs/aws/sqs.js";
import { clickhouseModule } from "./outputs/clickhouse.js";
import { gcpPubsubModule } from "./outputs/gcp-pubsub.js";
import { httpWebhookModule } from "./outputs/http-webhook.js";
import { kafkaModule } from "./outputs/kafka.js";
import { logModule } from "./outputs/log.js";
import { mqttModule } from "./outputs/mqtt.js";
import { natsModule } from "./outputs/nats.js";
import { rabbitmqModule } from "./outputs/rabbitmq.js";
import { redisPublishModule } from "./outputs/redis-publish.js";
import { redisRqModule } from "./outputs/redis-rq.js";
import { saveToDiskModule } from "./outputs/save-to-disk.js";
import { mysqlModule } from "./outputs/sql/mysql.js";
import { postgresqlModule } from "./outputs/sql/postgresql.js";
import { websocketModule } from "./outputs/websocket.js";
import { zeromqModule } from "./outputs/zeromq.js";

const definitions: readonly ModuleDefinition[] = [
  logModule,
  saveToDiskModule,
  httpWebhookModule,
  postgresqlModule,
  mysqlModule,
  redisPublishModule,
  redisRqModule,
  rabbitmqModule,
  mqttModule,
  natsModule,
  websocketModule,
  kafkaModule,
  s3Module,
  awsSqsModule,
  zeromqModule,
  clickhouseModule,
  activemqModule,
  gcpPubsubModule,
];

const byName = new Map<string, ModuleDefinition>();
for (const definition of definitions) {
  for (const name of [definition.name, ...definition.aliases]) byName.set(name, definition);
}

/** The module registered under `name` (canonical or alias), if any. */
export function findModule(name: string): ModuleDefinition | undefined {
  return byName.get(name);
}

/** Every accepted module name, aliases included, sorted. */
export function moduleNames(): string[] {
  return [...byName.keys()].sort();
}
