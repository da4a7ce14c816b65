/** Limits of the RelayService RPCs (docs/protocol.md, *Limits*). */

/**
 * Largest RPC request message accepted, in bytes (a Hello or an Ack batch
 * is far smaller). A larger one, or a length prefix announcing one, is
 * refused with RESOURCE_EXHAUSTED before its bytes are read.
 */
export const MAX_RPC_MESSAGE_BYTES = 64 * 1024;
