/**
 * The buffer conformance suite: the same behaviour tests for every Buffer
 * backend (SPEC §4 and the semantics in receiver/buffer/buffer.ts).
 * Differences between backends are declared as features, never tested by
 * backend name.
 *
 * Usage, in a backend's test file:
 * ```ts
 * describeBufferConformance({
 *   name: "sqlite",
 *   features: { sharedAcrossProcesses: false, durableAcrossRestart: true, waitsWithoutDeadline: true },
 *   create: async () => createSqliteBuffer({ path: freshPath() }),
 *   reopen: async (closed) => createSqliteBuffer({ path: pathOf(closed) }),
 * });
 * ```
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Buffer, BufferFeatures, ChannelSettings } from "../../receiver/buffer/buffer.js";
import { type ConformanceContext, RUN_ID, TEST_CHANNEL_DEFAULTS } from "./buffer-context.js";
import { deadLetterCases } from "./buffer-dead-letters.cases.js";
import { durabilityCases } from "./buffer-durability.cases.js";
import { fetchCases } from "./buffer-fetch.cases.js";
import { groupCases } from "./buffer-groups.cases.js";
import { publishCases } from "./buffer-publish.cases.js";
import { settleCases } from "./buffer-settle.cases.js";
import { statsCases } from "./buffer-stats.cases.js";

/** How a backend plugs into the conformance suite. */
export interface BufferConformanceOptions {
  /** Backend name shown in the test titles. */
  readonly name: string;
  /**
   * Opens a fresh backend; called before every test and closed by the suite
   * after it. Channel names are unique per test and run, so backends may
   * share one server or one storage location between tests.
   */
  create(): Promise<Buffer>;
  /** The features the backend must report in `buffer.features`. */
  readonly features: BufferFeatures;
  /**
   * Opens a new backend over the storage of `closed`, which the suite has
   * already closed. Required when `features.durableAcrossRestart` is true.
   */
  reopen?(closed: Buffer): Promise<Buffer>;
  /**
   * Removes server-side resources (streams, keys, queues) of the channels a
   * test created; called after every test, before the backend is closed.
   * Not needed for backends whose storage is thrown away with the test.
   */
  cleanup?(buffer: Buffer, channels: readonly string[]): Promise<void>;
  /** Skips the whole suite, e.g. when the backend's server is not reachable. @default false */
  readonly skip?: boolean;
}

/** Registers the conformance tests for one backend. */
export function describeBufferConformance(options: BufferConformanceOptions): void {
  describe.skipIf(options.skip === true)(`Buffer conformance: ${options.name}`, () => {
    let current: Buffer | undefined;
    let channels: ChannelSettings[] = [];
    let counter = 0;

    beforeEach(async () => {
      current = await options.create();
      channels = [];
    });

    afterEach(async () => {
      const buffer = current;
      current = undefined;
      if (buffer === undefined) return;
      try {
        await options.cleanup?.(
          buffer,
          channels.map((channel) => channel.name),
        );
      } finally {
        await buffer.close();
      }
    });

    const ctx: ConformanceContext = {
      features: options.features,
      buffer() {
        if (current === undefined) throw new Error("no buffer: called outside a test");
        return current;
      },
      async channel(overrides = {}) {
        counter++;
        const settings: ChannelSettings = {
          ...TEST_CHANNEL_DEFAULTS,
          ...overrides,
          name: `bc-${RUN_ID}-${process.pid}-${counter}`,
        };
        await ctx.buffer().ensureChannel(settings);
        channels.push(settings);
        return settings;
      },
      stateKey() {
        counter++;
        return `conformance/${RUN_ID}/${process.pid}/${counter}`;
      },
      async restart() {
        if (options.reopen === undefined) {
          throw new Error(`${options.name}: durableAcrossRestart needs a reopen option`);
        }
        const closed = ctx.buffer();
        await closed.close();
        current = undefined;
        current = await options.reopen(closed);
        for (const settings of channels) await current.ensureChannel(settings);
        return current;
      },
    };

    it("reports the declared kind and features", () => {
      expect(ctx.buffer().features).toEqual(options.features);
      expect(ctx.buffer().kind).toMatch(/^[a-z][a-z0-9-]*$/);
    });

    publishCases(ctx);
    fetchCases(ctx);
    settleCases(ctx);
    groupCases(ctx);
    statsCases(ctx);
    deadLetterCases(ctx);
    describe.runIf(options.features.durableAcrossRestart)("across a restart", () => {
      durabilityCases(ctx);
    });
  });
}
