import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../config-file/config-error.js";
import { AllTransportsFailedError, TransportError } from "../../../connector/errors.js";
import { createAutoTransport } from "../../../connector/transport/auto-transport.js";
import {
  createConnectRelayTransport,
  createGrpcRelayTransport,
} from "../../../connector/transport/rpc-transport.js";
import { createTransportForProtocol } from "../../../connector/transport/select.js";
import type { Transport } from "../../../connector/transport/transport.js";
import { useRelaySessions } from "../helpers/relay-sessions.js";

const { relay, open, openOptions } = useRelaySessions();

describe("auto transport", () => {
  const failing = (name: string, error: Error): Transport => ({
    name,
    open: () => Promise.reject(error),
    close: async () => {},
  });

  it("falls back to the next transport and prefers the one that worked", async () => {
    const r = await relay();
    let brokenCalls = 0;
    const broken: Transport = {
      name: "broken",
      open: () => {
        brokenCalls++;
        return Promise.reject(new TransportError("broken", "no route"));
      },
      close: async () => {},
    };
    const auto = createAutoTransport([
      broken,
      createConnectRelayTransport({ cloudUrl: r.url, token: "secret-token" }),
    ]);
    expect((await open(auto)).transport).toBe("connect");
    expect((await open(auto)).transport).toBe("connect");
    expect(brokenCalls).toBe(1);
  });

  it("lists every transport with its reason when all fail", async () => {
    const auto = createAutoTransport([
      failing("grpc", new TransportError("grpc", "refused")),
      failing("connect", new TransportError("connect", "reset")),
    ]);
    const error = (await auto
      .open(openOptions())
      .catch((e: unknown) => e)) as AllTransportsFailedError;
    expect(error).toBeInstanceOf(AllTransportsFailedError);
    expect(error.failures.map((f) => f.transport)).toEqual(["grpc", "connect"]);
    expect(error.message).toBe("no transport could connect (grpc: refused; connect: reset)");
    expect(error.fatal).toBe(false);
  });

  it("stops at a refused token: every transport would be refused the same", async () => {
    const r = await relay();
    const auto = createAutoTransport([
      createGrpcRelayTransport({ cloudUrl: r.url, token: "bad" }),
      failing("never-tried", new TransportError("never-tried", "x")),
    ]);
    const error = (await auto
      .open(openOptions())
      .catch((e: unknown) => e)) as AllTransportsFailedError;
    expect(error.failures.map((f) => f.transport)).toEqual(["grpc"]);
    expect(error.fatal).toBe(true);
  });

  it("protocol auto tries gRPC first, then Connect", async () => {
    const r = await relay();
    const auto = createTransportForProtocol("auto", { cloudUrl: r.url, token: "secret-token" });
    expect((await open(auto)).transport).toBe("grpc");
  });

  it("refuses a protocol this build does not offer with a ConfigError", () => {
    expect(() =>
      createTransportForProtocol("websocket", { cloudUrl: "http://x", token: "t" }, {}),
    ).toThrow(ConfigError);
  });
});
