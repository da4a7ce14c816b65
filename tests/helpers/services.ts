/**
 * Real-server availability for integration tests. In CI (`CI=true`) a
 * missing server fails the test loudly; elsewhere the suite is skipped with
 * a message saying what to start.
 */
import { connect } from "node:net";

/** The services this project tests against, with how to start each one. */
export const services = {
  postgres: {
    port: 5432,
    start: "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
  },
  mariadb: {
    port: 3306,
    start: "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd",
  },
  redis: {
    port: 6379,
    start: "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no",
  },
  rabbitmq: { port: 5672, start: "rabbitmq-server -detached" },
  mosquitto: { port: 1883, start: "mosquitto -d -c /etc/mosquitto/mosquitto.conf" },
  nats: {
    port: 4222,
    start: "nats-server -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server (in the background)",
  },
} as const;

/** A service name. */
export type ServiceName = keyof typeof services;

function reachable(port: number, host = "127.0.0.1", timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Resolves to true when the service answers on its port. When it does not:
 * throws under CI=true, otherwise prints what to start and resolves false,
 * so the caller can `describe.skipIf(!available)`.
 */
export async function serviceAvailable(name: ServiceName): Promise<boolean> {
  const { port, start } = services[name];
  if (await reachable(port)) return true;
  const message = `${name} is not reachable on 127.0.0.1:${port}; start it with: ${start}`;
  if (process.env["CI"] === "true") throw new Error(message);
  console.warn(`skipping ${name} tests: ${message}`);
  return false;
}
