/** Collects runner events and lets a test await one. */
import type { ConnectorEvent } from "../../../connector/runner/events.js";

type Of<T extends ConnectorEvent["type"]> = Extract<ConnectorEvent, { type: T }>;

/** A recorder of ConnectorEvents. */
export interface EventLog {
  readonly events: ConnectorEvent[];
  /** The listener to pass as `onEvent`. */
  readonly listener: (event: ConnectorEvent) => void;
  /** Resolves with the `nth` (1-based) event of `type` matching `test`. */
  next<T extends ConnectorEvent["type"]>(
    type: T,
    test?: (event: Of<T>) => boolean,
    nth?: number,
  ): Promise<Of<T>>;
  /** Events of one type. */
  of<T extends ConnectorEvent["type"]>(type: T): Of<T>[];
}

/** Creates an EventLog. */
export function createEventLog(): EventLog {
  const events: ConnectorEvent[] = [];
  const waiters: (() => void)[] = [];
  const log: EventLog = {
    events,
    listener(event) {
      events.push(event);
      for (const waiter of waiters.splice(0)) waiter();
    },
    of<T extends ConnectorEvent["type"]>(type: T) {
      return events.filter((e): e is Of<T> => e.type === type);
    },
    next(type, test = () => true, nth = 1) {
      return new Promise((resolve) => {
        const check = () => {
          const found = log.of(type).filter(test);
          const hit = found[nth - 1];
          if (hit !== undefined) resolve(hit);
          else waiters.push(check);
        };
        check();
      });
    },
  };
  return log;
}
