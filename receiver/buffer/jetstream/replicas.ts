/**
 * Stream replicas (`nats://…?replicas=N`): every stream and KV bucket the
 * buffer creates keeps N copies on N JetStream servers, so a channel
 * survives the loss of a node (with 3, of one; with 5, of two). A PubAck
 * then means a majority of the copies stored the message. JetStream
 * refuses more copies than there are servers to place them on; that
 * refusal becomes one error line at start-up.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { BufferUnavailableError } from "../../errors.js";
import { errCodeOf } from "./api.js";

/** JetStream error code: not enough servers to place the copies on. */
const ERR_NO_SUITABLE_PEERS = 10005;
/** JetStream error code: insufficient resources (placement in a cluster). */
const ERR_INSUFFICIENT_RESOURCES = 10023;
/** JetStream error code: a single server asked for more than one copy. */
const ERR_REPLICAS_NOT_SUPPORTED = 10074;

/** The NATS cluster cannot hold the asked number of copies of a stream. */
export class ReplicasUnavailableError extends BufferUnavailableError {
  /** The asked number of copies. */
  readonly replicas: number;

  constructor(replicas: number, answer: string, cause?: unknown) {
    super(
      `replicas=${replicas} needs ${replicas} JetStream servers up in one NATS cluster, and NATS refused: ${answer} (lower replicas= or add servers)`,
      cause,
    );
    this.name = "ReplicasUnavailableError";
    this.replicas = replicas;
  }
}

/**
 * Refuses more than one copy on a server outside a cluster: nats-server 2.9
 * refuses to create such a stream but accepts the update of an existing one
 * (and keeps one copy), so a changed `replicas` would silently do nothing.
 */
export function assertClustered(nc: NatsConnection, replicas: number): void {
  if (replicas > 1 && (nc.info?.cluster ?? "") === "") {
    throw new ReplicasUnavailableError(
      replicas,
      "replicas > 1 not supported in non-clustered mode",
    );
  }
}

/** Rethrows a placement refusal of JetStream as ReplicasUnavailableError, anything else as is. */
export async function placing<T>(replicas: number, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    const code = errCodeOf(error);
    if (
      code === ERR_NO_SUITABLE_PEERS ||
      code === ERR_INSUFFICIENT_RESOURCES ||
      code === ERR_REPLICAS_NOT_SUPPORTED
    ) {
      throw new ReplicasUnavailableError(replicas, (error as Error).message, error);
    }
    throw error;
  }
}

/**
 * Scales an existing stream (a KV bucket's `KV_<bucket>`) to `replicas`
 * copies; the KV client creates buckets but never updates them.
 */
export async function ensureStreamReplicas(
  jsm: JetStreamManager,
  stream: string,
  replicas: number,
): Promise<void> {
  const info = await jsm.streams.info(stream);
  if (info.config.num_replicas !== replicas) {
    await placing(replicas, () => jsm.streams.update(stream, { num_replicas: replicas }));
  }
}
