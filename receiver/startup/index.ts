/**
 * The start-up room: checks of the inputs the config loader does not see
 * (TLS files, the listen address, the buffer and its data directory),
 * each failure one ConfigError line for main.ts to print before exit 2.
 */
export { bufferStartupError, openStartupBuffer } from "./buffer-open.js";
export {
  BUSY_MESSAGES_PER_SECOND,
  holdHeap,
  type LoadTracker,
  QUIET_SECONDS,
  startingUp,
  startupDone,
  trackLoad,
} from "./heap-footprint.js";
export { listenStartupError } from "./listen-error.js";
export { checkTlsFiles } from "./tls-files.js";
