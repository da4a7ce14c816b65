/**
 * A headless Chromium (Debian's `chromium` package) driven over the
 * DevTools protocol with the `ws` client the project already depends on:
 * enough to open a page, read and click its elements, and take a
 * screenshot. No browser is downloaded.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import WebSocket from "ws";
import { tempDir } from "./processes.js";

/** Where Debian installs Chromium; CHROMIUM_PATH overrides. */
export function chromiumPath(): string | undefined {
  const candidates = [
    process.env["CHROMIUM_PATH"],
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
  ];
  return candidates.find((path) => path !== undefined && path !== "" && existsSync(path));
}

/** A page in the browser. */
export interface BrowserPage {
  /** Evaluates `expression` in the page (promises awaited) and returns its JSON value. */
  evaluate<T>(expression: string): Promise<T>;
  /** Resolves once `expression` is truthy in the page (checked every 50 ms). */
  waitFor(expression: string, what: string, timeoutMs?: number): Promise<void>;
  /** A real mouse click in the middle of the first element matching `selector`. */
  click(selector: string): Promise<void>;
  /** Opens `url` and waits for its load event. */
  navigate(url: string): Promise<void>;
  /** A PNG of the viewport. */
  screenshot(): Promise<Buffer>;
  /** URLs the page requested. */
  readonly requests: string[];
  /** Console errors and uncaught exceptions of the page. */
  readonly errors: string[];
}

/** A running browser. */
export interface Browser {
  newPage(width?: number, height?: number): Promise<BrowserPage>;
  close(): Promise<void>;
}

/** Starts headless Chromium at `executable`. */
export async function launchChromium(executable: string): Promise<Browser> {
  const profile = tempDir("wc-chromium-");
  const child: ChildProcess = spawn(
    executable,
    [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-extensions",
      "--remote-debugging-port=0",
      `--user-data-dir=${profile}`,
      "about:blank",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const endpoint = await new Promise<string>((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`chromium did not start:\n${text}`)), 20_000);
    child.stderr?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`chromium exited with ${code}:\n${text}`));
    });
  });
  const socket = new WebSocket(endpoint, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  let nextId = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Set<
    (message: { method?: string; params?: unknown; sessionId?: string }) => void
  >();
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
      method?: string;
      params?: unknown;
      sessionId?: string;
    };
    if (message.id !== undefined) {
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.error !== undefined) waiter?.reject(new Error(message.error.message));
      else waiter?.resolve(message.result);
      return;
    }
    for (const listener of listeners) listener(message);
  });
  const send = <T>(method: string, params: object = {}, sessionId?: string) =>
    new Promise<T>((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      socket.send(
        JSON.stringify({ id, method, params, ...(sessionId === undefined ? {} : { sessionId }) }),
      );
    });

  return {
    async newPage(width = 1280, height = 800) {
      const { targetId } = await send<{ targetId: string }>("Target.createTarget", {
        url: "about:blank",
      });
      const { sessionId } = await send<{ sessionId: string }>("Target.attachToTarget", {
        targetId,
        flatten: true,
      });
      const call = <T>(method: string, params: object = {}) => send<T>(method, params, sessionId);
      const requests: string[] = [];
      const errors: string[] = [];
      const loads: (() => void)[] = [];
      listeners.add((message) => {
        if (message.sessionId !== sessionId) return;
        const params = message.params as {
          request?: { url: string };
          exceptionDetails?: { exception?: { description?: string } };
          type?: string;
          args?: unknown;
        };
        if (message.method === "Network.requestWillBeSent" && params.request !== undefined) {
          requests.push(params.request.url);
        }
        if (message.method === "Runtime.exceptionThrown") {
          errors.push(params.exceptionDetails?.exception?.description ?? "exception");
        }
        if (message.method === "Runtime.consoleAPICalled" && params.type === "error") {
          errors.push(JSON.stringify(params.args));
        }
        if (message.method === "Page.loadEventFired") for (const done of loads.splice(0)) done();
      });
      await call("Page.enable");
      await call("Runtime.enable");
      await call("Network.enable");
      await call("Emulation.setDeviceMetricsOverride", {
        width,
        height,
        deviceScaleFactor: 1,
        mobile: false,
      });
      const evaluate = async <T>(expression: string): Promise<T> => {
        const result = await call<{
          result: { value?: T };
          exceptionDetails?: { exception?: { description?: string }; text: string };
        }>("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
        if (result.exceptionDetails !== undefined) {
          throw new Error(
            result.exceptionDetails.exception?.description ?? result.exceptionDetails.text,
          );
        }
        return result.result.value as T;
      };
      return {
        requests,
        errors,
        evaluate,
        async waitFor(expression, what, timeoutMs = 10_000) {
          const deadline = Date.now() + timeoutMs;
          while (!(await evaluate<boolean>(`Boolean(${expression})`))) {
            if (Date.now() > deadline) throw new Error(`page: ${what} did not happen in time`);
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        },
        async click(selector) {
          const box = await evaluate<{ x: number; y: number } | null>(`(() => {
            const node = document.querySelector(${JSON.stringify(selector)});
            if (!node) return null;
            node.scrollIntoView({ block: "center" });
            const r = node.getBoundingClientRect();
            return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
          })()`);
          if (box === null) throw new Error(`page: no element ${selector} to click`);
          const base = { x: box.x, y: box.y, button: "left", clickCount: 1 };
          await call("Input.dispatchMouseEvent", { type: "mouseMoved", x: box.x, y: box.y });
          await call("Input.dispatchMouseEvent", { type: "mousePressed", ...base });
          await call("Input.dispatchMouseEvent", { type: "mouseReleased", ...base });
        },
        async navigate(url) {
          const loaded = new Promise<void>((resolve) => loads.push(resolve));
          await call("Page.navigate", { url });
          await loaded;
        },
        async screenshot() {
          const { data } = await call<{ data: string }>("Page.captureScreenshot", {
            format: "png",
          });
          return Buffer.from(data, "base64");
        },
      };
    },
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        // A clean close first, so no renderer is still writing to the profile.
        await Promise.race([
          send("Browser.close").catch(() => {}),
          new Promise((resolve) => setTimeout(resolve, 2_000)),
        ]);
        const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(killer);
      }
      socket.close();
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}
