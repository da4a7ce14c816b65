/**
 * Heartbeats of one session: sends one every interval and calls
 * `onTimeout` when the server was silent for `timeoutMs`.
 */

/** Options of startKeepalive. */
export interface KeepaliveOptions {
  /** Interval of client heartbeats. */
  readonly intervalMs: number;
  /** Silence after which the server counts as gone. */
  readonly timeoutMs: number;
  /** Sends one heartbeat. */
  readonly send: () => void;
  /** Called once when the server was silent for `timeoutMs`. */
  readonly onTimeout: () => void;
}

/** A running keepalive. */
export interface Keepalive {
  /** Records a frame from the server. */
  touch(): void;
  /** Stops the timers. */
  stop(): void;
}

/** Starts the heartbeat timer and the watchdog. */
export function startKeepalive(options: KeepaliveOptions): Keepalive {
  const beat = setInterval(options.send, options.intervalMs);
  // touch() only records the time: re-arming a timer per frame costs too much under load.
  let last = performance.now();
  let watchdog: NodeJS.Timeout | undefined;
  const check = () => {
    const silent = performance.now() - last;
    if (silent >= options.timeoutMs) {
      clearInterval(beat);
      options.onTimeout();
      return;
    }
    watchdog = setTimeout(check, options.timeoutMs - silent);
  };
  watchdog = setTimeout(check, options.timeoutMs);
  return {
    touch() {
      last = performance.now();
    },
    stop() {
      clearInterval(beat);
      clearTimeout(watchdog);
    },
  };
}
