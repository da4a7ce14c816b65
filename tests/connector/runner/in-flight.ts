/**
 * Per-test harnesses for the runner tests, and the set-up many of them
 * share: one delivery held in flight at the target until a gate opens.
 */
import { onTestFinished } from "vitest";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import type { FakeSession } from "../helpers/fake-relay.js";
import {
  createGate,
  type Gate,
  type Harness,
  type HarnessOptions,
  startHarness,
} from "./runner-harness.js";

/** Starts a harness that is stopped when the current test finishes, so a failing test leaks no runner. */
export async function startForTest(options: HarnessOptions = {}): Promise<Harness> {
  const harness = await startHarness(options);
  onTestFinished(() => harness.stop());
  return harness;
}

/** A target that answers 200 only once `gate` opens, so its deliveries stay in flight until then. */
export function heldBy(gate: Gate): NonNullable<HarnessOptions["target"]> {
  return async (_req, res) => {
    await gate.wait();
    res.writeHead(200).end();
  };
}

/** One delivery in flight: `message` sent on session 1 and held at the target until `gate.open()`. */
export interface InFlight {
  readonly h: Harness;
  readonly gate: Gate;
  readonly session: FakeSession;
}

/** Starts a harness with a held target and returns once the target holds `message`. */
export async function startWithOneInFlight(
  message: WebhookMessage,
  options: HarnessOptions = {},
): Promise<InFlight> {
  const gate = createGate();
  const h = await startForTest({ ...options, target: heldBy(gate) });
  const session = await h.relay.session(1);
  session.sendMessage(message);
  await h.target.waitForRequests(1);
  return { h, gate, session };
}
