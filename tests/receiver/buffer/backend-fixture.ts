/**
 * Set-up shared by the backend-specific buffer tests (JetStream, RabbitMQ,
 * Redis): run-unique channels, buffers closed after each test, two
 * receivers on one channel, and a broker outage behind a TCP proxy.
 */
import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import type { Buffer, ChannelSettings } from "../../../receiver/buffer/buffer.js";
import { BufferUnavailableError } from "../../../receiver/errors.js";
import { TEST_CHANNEL_DEFAULTS } from "../../conformance/buffer-context.js";
import { connectionEvents, expectUnavailableAtOnce } from "../../conformance/buffer-outage.js";
import { freePort } from "../../helpers/processes.js";
import { type ServiceName, serviceAvailable } from "../../helpers/services.js";
import { startTcpProxy, type TcpProxy } from "../../helpers/tcp-proxy.js";

/** Channel settings overrides (everything but the name). */
export type ChannelOverrides = Partial<Omit<ChannelSettings, "name">>;

/**
 * One test file's buffers and channels on the shared `service`: `available`
 * says whether it answers, `open` makes a buffer that `closeAll` closes
 * (call it in afterEach), `settings` a channel named `<prefix>-<run>-<n>`
 * that `created` remembers for the server clean-up.
 */
export async function backendFixture<Options>(
  service: ServiceName,
  prefix: string,
  create: (options: Partial<Options>) => Promise<Buffer>,
) {
  const available = await serviceAvailable(service);
  const run = randomUUID().slice(0, 8);
  const created: string[] = [];
  const opened: Buffer[] = [];
  let count = 0;
  const track = <B extends Buffer>(buffer: B): B => {
    opened.push(buffer);
    return buffer;
  };
  const fixture = {
    /** Whether the shared server answers (the tests skip when not). */
    available,
    /** This file's run id, for state keys and names outside `settings`. */
    run,
    /** Names of every channel `settings` handed out. */
    created,
    /** Remembers a buffer opened some other way, so `closeAll` closes it too. */
    track,
    /** Closes every buffer opened since the last call. */
    async closeAll(): Promise<void> {
      for (const buffer of opened.splice(0)) await buffer.close();
    },
    /** Test-default channel settings with a name unique to this run. */
    settings(overrides: ChannelOverrides = {}): ChannelSettings {
      const name = `${prefix}-${run}-${++count}`;
      created.push(name);
      return { ...TEST_CHANNEL_DEFAULTS, ...overrides, name };
    },
    /** Opens a buffer on the shared server (options on top of the file's defaults). */
    async open(options: Partial<Options> = {}): Promise<Buffer> {
      return track(await create(options));
    },
    /** Two receivers of one channel (both ensured), as two replicas run it. */
    async twoReceivers(overrides: ChannelOverrides = {}) {
      const a = await fixture.open();
      const b = await fixture.open();
      const channel = fixture.settings(overrides);
      await a.ensureChannel(channel);
      await b.ensureChannel(channel);
      return { a, b, channel };
    },
  };
  return fixture;
}

/** A buffer connected through a TCP proxy to the broker on `upstreamPort`, and its events. */
export async function bufferBehindProxy(
  upstreamPort: number,
  open: (port: number, onEvent: (event: { readonly type: string }) => void) => Promise<Buffer>,
) {
  const proxy: TcpProxy = await startTcpProxy(upstreamPort);
  const { events, onEvent, next } = connectionEvents();
  const buffer = await open(proxy.port, onEvent);
  /**
   * Takes the proxy down, checks that `channel` fails fast while the broker
   * is away, brings it back and waits until the buffer answers a ping again.
   */
  const outage = async (channel: ChannelSettings): Promise<void> => {
    const down = next("disconnected");
    await proxy.stop();
    await down;
    await expectUnavailableAtOnce(buffer, channel);

    const up = next("reconnected");
    await proxy.start();
    await up;
    await buffer.ping();
  };
  return { proxy, events, buffer, outage };
}

/**
 * Expects `connect` to a port nobody listens on to reject with
 * BufferUnavailableError; resolves with how long that took in ms.
 */
export async function expectNoServerAnswers(
  connect: (port: number) => Promise<Buffer>,
): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  await expect(connect(port)).rejects.toBeInstanceOf(BufferUnavailableError);
  return performance.now() - started;
}
