/**
 * connections.json: named connections (`{ "name": { "type": …, … } }`),
 * one schema per connection type. Type names and aliases follow the
 * gateway format of the seed (`postgres` for `postgresql`, `mariadb` for
 * `mysql`, `redis-rq` / `redis-publish` for `redis`). Unknown keys are
 * errors so a typo never silently falls back to a default.
 */
import { z } from "zod";
import { boolLike, intLike, nonEmpty, portLike, secondsLike } from "./values.js";

const type = z.string();

/**
 * `host` and `port` of a server, for the types that connect to one.
 * `host` @default "localhost"; `port` @default `defaultPort`, the server's own.
 */
function serverAddress(defaultPort: number) {
  return { host: nonEmpty.default("localhost"), port: portLike.default(defaultPort) };
}

/**
 * The fields PostgreSQL and MySQL connections share; only their defaults
 * differ. `connection_string` (a full URL, `postgresql://user:pass@host:port/db`
 * or `mysql://…`) wins over the others; `ssl` @default false.
 */
function sqlServer(defaults: { port: number; database: string; user: string }) {
  return {
    connection_string: nonEmpty.optional(),
    ...serverAddress(defaults.port),
    database: nonEmpty.default(defaults.database),
    user: nonEmpty.default(defaults.user),
    password: z.string().optional(),
    ssl: boolLike.default(false),
  };
}

/** PostgreSQL (`postgresql`, `postgres`). */
export const postgresConnectionSchema = z.strictObject({
  type,
  ...sqlServer({ port: 5432, database: "postgres", user: "postgres" }),
  /** CA certificate file for TLS. */
  ssl_ca_cert: nonEmpty.optional(),
  /** Client certificate file for TLS. */
  ssl_cert: nonEmpty.optional(),
  /** Client key file for TLS. */
  ssl_key: nonEmpty.optional(),
  /** Accepted for compatibility; pg opens connections on demand. @default 0 */
  pool_min_size: intLike.pipe(z.number().min(0)).default(0),
  /** Most connections in the pool. @default 10 */
  pool_max_size: intLike.pipe(z.number().min(1)).default(10),
});
/** Parsed PostgreSQL connection. */
export type PostgresConnection = z.output<typeof postgresConnectionSchema>;

/** MySQL / MariaDB (`mysql`, `mariadb`). */
export const mysqlConnectionSchema = z.strictObject({
  type,
  ...sqlServer({ port: 3306, database: "webhooks", user: "root" }),
  /** Most connections in the pool. @default 10 */
  pool_size: intLike.pipe(z.number().min(1)).default(10),
  /** Alias of `pool_size` used by the PostgreSQL connection. */
  pool_max_size: intLike.pipe(z.number().min(1)).optional(),
  pool_min_size: intLike.pipe(z.number().min(0)).optional(),
});
/** Parsed MySQL connection. */
export type MysqlConnection = z.output<typeof mysqlConnectionSchema>;

/** Redis (`redis`, `redis-rq`, `redis_rq`, `redis-publish`, `redis_publish`). */
export const redisConnectionSchema = z.strictObject({
  type,
  /** Full URL `redis://[user:pass@]host:port/db` (or `rediss://`); wins over the fields below. */
  url: nonEmpty.optional(),
  ...serverAddress(6379),
  /** @default 0 */
  db: intLike.pipe(z.number().min(0)).default(0),
  username: z.string().optional(),
  password: z.string().nullable().optional(),
  /** Use TLS. @default false */
  tls: boolLike.default(false),
});
/** Parsed Redis connection. */
export type RedisConnection = z.output<typeof redisConnectionSchema>;

/** RabbitMQ (`rabbitmq`, `amqp`). */
export const rabbitmqConnectionSchema = z.strictObject({
  type,
  /** Full URL `amqp://user:pass@host:port/vhost`; wins over the fields below. */
  url: nonEmpty.optional(),
  ...serverAddress(5672),
  /** @default "guest" */
  user: nonEmpty.default("guest"),
  /** @default "guest" */
  pass: z.string().default("guest"),
  /** @default "/" */
  vhost: nonEmpty.default("/"),
  /** Use TLS (`amqps`). @default false */
  tls: boolLike.default(false),
  /** AMQP heartbeat in seconds. @default 30 */
  heartbeat: intLike.pipe(z.number().min(0)).default(30),
});
/** Parsed RabbitMQ connection. */
export type RabbitmqConnection = z.output<typeof rabbitmqConnectionSchema>;

/** MQTT (`mqtt`). */
export const mqttConnectionSchema = z.strictObject({
  type,
  /** @default "localhost" */
  host: nonEmpty.default("localhost"),
  /** @default 1883 (8883 with `tls`) */
  port: portLike.optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  /** Client id; a random suffix is added when absent. @default "webhook-connect-<random>" */
  client_id: nonEmpty.optional(),
  /** Keepalive in seconds. @default 60 */
  keepalive: intLike.pipe(z.number().min(0)).default(60),
  /** `3.1.1` or `5.0`. @default "3.1.1" */
  mqtt_version: z.enum(["3.1.1", "5.0", "5"]).default("3.1.1"),
  /** Use TLS (`mqtts`). @default false */
  tls: boolLike.default(false),
  tls_ca_cert_file: nonEmpty.optional(),
  tls_cert_file: nonEmpty.optional(),
  tls_key_file: nonEmpty.optional(),
  /** Skip server certificate verification (testing only). @default false */
  tls_insecure: boolLike.default(false),
  /** Connect timeout in seconds. @default 10 */
  connect_timeout: secondsLike.default(10),
});
/** Parsed MQTT connection. */
export type MqttConnection = z.output<typeof mqttConnectionSchema>;

/** NATS (`nats`). */
export const natsConnectionSchema = z.strictObject({
  type,
  /** Server URL(s), e.g. `nats://127.0.0.1:4222`. Wins over host/port. */
  servers: z.union([nonEmpty, z.array(nonEmpty).min(1)]).optional(),
  ...serverAddress(4222),
  user: z.string().optional(),
  pass: z.string().optional(),
  token: z.string().optional(),
  /** Connection name shown by the server. @default "webhook-connect" */
  name: nonEmpty.default("webhook-connect"),
  /** Connect timeout in seconds. @default 5 */
  connect_timeout: secondsLike.default(5),
});
/** Parsed NATS connection. */
export type NatsConnection = z.output<typeof natsConnectionSchema>;

/** Kafka (`kafka`). */
export const kafkaConnectionSchema = z.strictObject({
  type,
  /** Broker addresses `host:port`. @default ["localhost:9092"] */
  brokers: z.union([nonEmpty, z.array(nonEmpty).min(1)]).default(["localhost:9092"]),
  /** Client id shown by the brokers. @default "webhook-connect" */
  client_id: nonEmpty.default("webhook-connect"),
  /** Use TLS. @default false */
  ssl: boolLike.default(false),
  /** SASL mechanism; needs `username` and `password`. */
  sasl_mechanism: z.enum(["plain", "scram-sha-256", "scram-sha-512"]).optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  /** Connect timeout in seconds. @default 10 */
  connect_timeout: secondsLike.default(10),
  /** Request timeout in seconds. @default 30 */
  request_timeout: secondsLike.default(30),
  /** Client-level retries of a failed request before the delivery fails. @default 5 */
  retries: intLike.pipe(z.number().min(0).max(20)).default(5),
});
/** Parsed Kafka connection. */
export type KafkaConnection = z.output<typeof kafkaConnectionSchema>;

/** AWS (`aws`, `s3`, `aws_sqs`, `sqs`): region, credentials, endpoint override. */
export const awsConnectionSchema = z.strictObject({
  type,
  /** @default "us-east-1" */
  region: nonEmpty.default("us-east-1"),
  /** Endpoint override (MinIO, LocalStack, …). */
  endpoint_url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }).optional(),
  /** Static credentials; without them the AWS default credential chain is used. */
  access_key_id: nonEmpty.optional(),
  secret_access_key: nonEmpty.optional(),
  session_token: nonEmpty.optional(),
  /** S3 path-style URLs (`endpoint/bucket/key`), needed by most S3-compatible servers. @default false */
  force_path_style: boolLike.default(false),
  /** SDK attempts per request (the first included). @default 3 */
  max_attempts: intLike.pipe(z.number().min(1).max(10)).default(3),
});
/** Parsed AWS connection. */
export type AwsConnection = z.output<typeof awsConnectionSchema>;

/** ClickHouse over HTTP (`clickhouse`). */
export const clickhouseConnectionSchema = z.strictObject({
  type,
  /** Full URL `http(s)://host:port`; wins over host/port/secure. */
  url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }).optional(),
  ...serverAddress(8123),
  /** Use HTTPS. @default false */
  secure: boolLike.default(false),
  /** @default "default" */
  database: nonEmpty.default("default"),
  /** @default "default" */
  username: nonEmpty.default("default"),
  /** @default "" */
  password: z.string().default(""),
  /** Request timeout in seconds. @default 30 */
  request_timeout: secondsLike.default(30),
});
/** Parsed ClickHouse connection. */
export type ClickhouseConnection = z.output<typeof clickhouseConnectionSchema>;

/** ActiveMQ over STOMP 1.2 (`activemq`, `stomp`). */
export const activemqConnectionSchema = z.strictObject({
  type,
  ...serverAddress(61613),
  username: z.string().optional(),
  password: z.string().optional(),
  /** STOMP `host` header (virtual host). @default the connection host */
  virtual_host: nonEmpty.optional(),
  /** Use TLS. @default false */
  tls: boolLike.default(false),
  /** Seconds to wait for CONNECTED. @default 10 */
  connect_timeout: secondsLike.default(10),
});
/** Parsed ActiveMQ connection. */
export type ActivemqConnection = z.output<typeof activemqConnectionSchema>;

/** Google Cloud Pub/Sub (`gcp_pubsub`, `pubsub`). */
export const gcpPubsubConnectionSchema = z.strictObject({
  type,
  /** Project that owns the topics. */
  project_id: nonEmpty,
  /**
   * Emulator `host:port` (as in PUBSUB_EMULATOR_HOST): plain HTTP, no
   * credentials. An empty string means "not set". @default ""
   */
  emulator_host: z
    .string()
    .regex(/^$|^[A-Za-z0-9.-]+:\d{1,5}$/, "expected host:port")
    .default(""),
  /** Service-account key file (JSON) for the real service. */
  credentials_file: nonEmpty.optional(),
  /** API root for the real service. @default "https://pubsub.googleapis.com" */
  endpoint: z.url({ protocol: /^https?$/ }).default("https://pubsub.googleapis.com"),
});
/** Parsed Pub/Sub connection. */
export type GcpPubsubConnection = z.output<typeof gcpPubsubConnectionSchema>;

/** Canonical connection types and their schemas. */
export const connectionSchemas = {
  postgresql: postgresConnectionSchema,
  mysql: mysqlConnectionSchema,
  redis: redisConnectionSchema,
  rabbitmq: rabbitmqConnectionSchema,
  mqtt: mqttConnectionSchema,
  nats: natsConnectionSchema,
  kafka: kafkaConnectionSchema,
  aws: awsConnectionSchema,
  clickhouse: clickhouseConnectionSchema,
  activemq: activemqConnectionSchema,
  gcp_pubsub: gcpPubsubConnectionSchema,
} as const;

/** A canonical connection type. */
export type ConnectionType = keyof typeof connectionSchemas;

/** Every accepted spelling of a connection `type`, mapped to its canonical type. */
export const connectionTypeAliases: Readonly<Record<string, ConnectionType>> = {
  postgresql: "postgresql",
  postgres: "postgresql",
  mysql: "mysql",
  mariadb: "mysql",
  redis: "redis",
  "redis-rq": "redis",
  redis_rq: "redis",
  "redis-publish": "redis",
  redis_publish: "redis",
  rabbitmq: "rabbitmq",
  amqp: "rabbitmq",
  mqtt: "mqtt",
  nats: "nats",
  kafka: "kafka",
  aws: "aws",
  s3: "aws",
  aws_sqs: "aws",
  sqs: "aws",
  clickhouse: "clickhouse",
  activemq: "activemq",
  stomp: "activemq",
  gcp_pubsub: "gcp_pubsub",
  pubsub: "gcp_pubsub",
};

/** Whether `value` is a canonical connection type. */
export function isConnectionType(value: string): value is ConnectionType {
  return Object.hasOwn(connectionSchemas, value);
}
