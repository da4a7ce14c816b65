/**
 * A minimal STOMP 1.2 producer over TCP or TLS: CONNECT, then SEND frames
 * that each ask for a RECEIPT. A send resolves only when the broker's
 * RECEIPT for it arrived, so the message is in the broker's hands. An
 * ERROR frame or a dropped socket fails every pending send.
 */
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { encodeFrame, type StompFrame, StompParser } from "./stomp-frame.js";

/** Where and how to connect. */
export interface StompConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** STOMP `host` header. */
  readonly virtualHost: string;
  readonly login?: string | undefined;
  readonly passcode?: string | undefined;
  /** Milliseconds to wait for CONNECTED. */
  readonly timeoutMs: number;
}

/** Thrown for an ERROR frame; `message` is the broker's `message` header. */
export class StompBrokerError extends Error {
  constructor(frame: StompFrame) {
    const detail = frame.body.toString("utf8").trim();
    super(`${frame.headers.get("message") ?? "ERROR frame"}${detail === "" ? "" : `: ${detail}`}`);
    this.name = "StompBrokerError";
  }
}

interface Pending {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** One open STOMP connection. */
export class StompConnection {
  readonly #socket: Socket;
  readonly #pending = new Map<string, Pending>();
  #nextReceipt = 1;
  #failure: Error | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
  }

  /** Connects and waits for CONNECTED; rejects on ERROR, timeout or a socket error. */
  static open(options: StompConnectOptions): Promise<StompConnection> {
    return new Promise((resolve, reject) => {
      const socket = options.tls
        ? tlsConnect({ host: options.host, port: options.port, servername: options.host })
        : netConnect({ host: options.host, port: options.port });
      const connection = new StompConnection(socket);
      const parser = new StompParser();
      let connected = false;
      const timer = setTimeout(() => {
        socket.destroy(new Error(`no CONNECTED within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      socket.once(options.tls ? "secureConnect" : "connect", () => {
        const headers: Array<[string, string]> = [
          ["accept-version", "1.2"],
          ["host", options.virtualHost],
          ["heart-beat", "0,0"],
        ];
        if (options.login !== undefined) headers.push(["login", options.login]);
        if (options.passcode !== undefined) headers.push(["passcode", options.passcode]);
        socket.write(encodeFrame("CONNECT", headers));
      });
      socket.on("data", (chunk: Buffer) => {
        for (const frame of parser.push(chunk)) {
          if (!connected && frame.command === "CONNECTED") {
            connected = true;
            clearTimeout(timer);
            resolve(connection);
          } else if (frame.command === "ERROR") {
            const error = new StompBrokerError(frame);
            if (!connected) {
              clearTimeout(timer);
              reject(error);
            }
            connection.#fail(error, frame.headers.get("receipt-id"));
          } else if (frame.command === "RECEIPT") {
            const id = frame.headers.get("receipt-id") ?? "";
            connection.#pending.get(id)?.resolve();
            connection.#pending.delete(id);
          }
        }
      });
      socket.on("error", (error) => {
        clearTimeout(timer);
        if (!connected) reject(error);
        connection.#fail(error, undefined);
      });
      socket.on("close", () => {
        clearTimeout(timer);
        if (!connected) reject(new Error("connection closed before CONNECTED"));
        connection.#fail(connection.#failure ?? new Error("STOMP connection closed"), undefined);
      });
    });
  }

  /** Whether the connection can still send. */
  get usable(): boolean {
    return this.#failure === undefined && !this.#socket.destroyed;
  }

  /** Sends one frame and resolves when its RECEIPT arrived. */
  send(
    destination: string,
    headers: ReadonlyArray<readonly [string, string]>,
    body: Uint8Array,
  ): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const receipt = `r-${this.#nextReceipt++}`;
    return new Promise<void>((resolve, reject) => {
      this.#pending.set(receipt, { resolve, reject });
      this.#socket.write(
        encodeFrame("SEND", [["destination", destination], ...headers, ["receipt", receipt]], body),
      );
    });
  }

  /** Sends DISCONNECT and closes the socket. */
  close(): void {
    if (this.usable) this.#socket.end(encodeFrame("DISCONNECT", []));
    this.#fail(new Error("STOMP connection closed"), undefined);
  }

  #fail(error: Error, receiptId: string | undefined): void {
    if (receiptId !== undefined && this.#pending.has(receiptId)) {
      this.#pending.get(receiptId)!.reject(error);
      this.#pending.delete(receiptId);
    }
    // STOMP brokers close the connection after an ERROR frame.
    this.#failure ??= error;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    if (!this.#socket.destroyed) this.#socket.destroy();
  }
}
