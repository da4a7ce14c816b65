import pg from "pg";
import { afterAll } from "vitest";
import { serviceAvailable } from "../../../helpers/services.js";
import { describeSqlModule } from "./sql-cases.js";

const available = await serviceAvailable("postgres");
const pool = new pg.Pool({
  host: "127.0.0.1",
  port: 5432,
  user: "postgres",
  database: "test",
  max: 2,
});
afterAll(() => pool.end());

describeSqlModule("postgresql", available, () => ({
  module: "postgresql",
  connection: {
    type: "postgresql",
    host: "127.0.0.1",
    port: 5432,
    database: "test",
    user: "postgres",
  },
  unreachable: { type: "postgres", host: "127.0.0.1", port: 1, database: "test", user: "postgres" },
  query: async (sql) => (await pool.query(sql)).rows as Array<Record<string, unknown>>,
  drop: async (table) => {
    await pool.query(`DROP TABLE IF EXISTS "${table}"`);
  },
  json: (value) => value,
  quote: (name) => `"${name}"`,
}));
