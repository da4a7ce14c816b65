/**
 * The conformance suite for a buffer backend on a shared server (JetStream,
 * Redis, RabbitMQ): all of them are shared across processes and durable
 * across a restart, and reopen exactly as they were first opened.
 */
import type { Buffer } from "../../../receiver/buffer/buffer.js";
import { describeBufferConformance } from "../../conformance/buffer.conformance.js";
import { RUN_ID } from "../../conformance/buffer-context.js";

/** The prefix of the suite's state keys in this process (`conformance/<run>/<pid>/<n>`). */
export const CONFORMANCE_STATE_PREFIX = `conformance/${RUN_ID}/${process.pid}/`;

/** How a server backend plugs into describeServerBufferConformance. */
export interface ServerConformanceOptions {
  /** Backend name shown in the test titles. */
  readonly name: string;
  /** Whether the shared server answers; the suite is skipped when not. */
  readonly available: boolean;
  /** Opens the backend on the shared server (also used to reopen it). */
  open(): Promise<Buffer>;
  /** Removes the server-side resources of the channels a test created. */
  cleanup(channels: readonly string[]): Promise<void>;
}

/** Registers the conformance suite for a backend on a shared server. */
export function describeServerBufferConformance(options: ServerConformanceOptions): void {
  describeBufferConformance({
    name: options.name,
    skip: !options.available,
    features: {
      sharedAcrossProcesses: true,
      durableAcrossRestart: true,
      waitsWithoutDeadline: false,
    },
    create: options.open,
    reopen: options.open,
    cleanup: (_buffer, channels) => options.cleanup(channels),
  });
}
