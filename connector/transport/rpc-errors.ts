/**
 * Maps errors of a RelayService call (Connect codes) to connector errors.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type ConnectorError,
  ProxyError,
  TooManyConnectionsError,
  TransportError,
  UnauthenticatedError,
  UnknownChannelError,
} from "../errors.js";

/** Converts any error of a call on `transport` to a ConnectorError. */
export function connectorErrorFromRpc(transport: string, error: unknown): ConnectorError {
  const proxyError = proxyErrorIn(error);
  if (proxyError !== undefined) return proxyError;
  const rpc = ConnectError.from(error);
  const text = rpc.rawMessage === "" ? Code[rpc.code] : rpc.rawMessage;
  switch (rpc.code) {
    case Code.Unauthenticated:
    case Code.PermissionDenied:
      return new UnauthenticatedError(`the receiver refused the channel token: ${text}`, rpc);
    case Code.NotFound:
      return new UnknownChannelError(`the receiver does not know the channel: ${text}`, rpc);
    case Code.ResourceExhausted:
      return new TooManyConnectionsError(`the channel has no free connection slot: ${text}`, rpc);
    default:
      return new TransportError(transport, `${transport} ${Code[rpc.code]}: ${text}`, rpc);
  }
}

/** A ProxyError in the cause chain: the proxy's failure is reported as such, not as the call's. */
function proxyErrorIn(error: unknown): ProxyError | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof ProxyError) return e;
  }
  return undefined;
}
