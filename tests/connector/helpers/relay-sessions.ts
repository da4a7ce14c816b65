/**
 * Per-test fake relays and transport sessions, closed after each test.
 * Call useRelaySessions() at the top level of a test file.
 */
import { afterEach } from "vitest";
import type {
  OpenSessionOptions,
  RelaySession,
  Transport,
} from "../../../connector/transport/transport.js";
import { type FakeRelay, type FakeRelayOptions, startFakeRelay } from "./fake-relay.js";

/** Helpers bound to one test file. */
export interface RelaySessions {
  /** Starts a fake relay closed after the test. */
  relay(options?: FakeRelayOptions): Promise<FakeRelay>;
  /** Open options for channel `test-channel`, group `blue`, max_in_flight 3. */
  openOptions(overrides?: Partial<OpenSessionOptions>): OpenSessionOptions;
  /** Opens a session closed after the test. */
  open(transport: Transport, overrides?: Partial<OpenSessionOptions>): Promise<RelaySession>;
  /** Stops tracking a relay the test closed itself. */
  forget(relay: FakeRelay): void;
}

/** Registers the cleanup and returns the helpers. */
export function useRelaySessions(): RelaySessions {
  const relays: FakeRelay[] = [];
  const sessions: RelaySession[] = [];
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.close()));
    await Promise.all(relays.splice(0).map((r) => r.close()));
  });
  const openOptions = (overrides: Partial<OpenSessionOptions> = {}): OpenSessionOptions => ({
    hello: {
      channel: "test-channel",
      connectorId: "t",
      group: "blue",
      maxInFlight: 3,
      clientVersion: "test",
    },
    signal: new AbortController().signal,
    ...overrides,
  });
  return {
    async relay(options) {
      const r = await startFakeRelay(options);
      relays.push(r);
      return r;
    },
    openOptions,
    async open(transport, overrides) {
      const session = await transport.open(openOptions(overrides));
      sessions.push(session);
      return session;
    },
    forget(relay) {
      const index = relays.indexOf(relay);
      if (index >= 0) relays.splice(index, 1);
    },
  };
}
