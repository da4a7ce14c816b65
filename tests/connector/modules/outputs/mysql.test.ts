import mysql from "mysql2/promise";
import { afterAll } from "vitest";
import { serviceAvailable } from "../../../helpers/services.js";
import { describeSqlModule } from "./sql-cases.js";

const available = await serviceAvailable("mariadb");
const pool = mysql.createPool({
  host: "127.0.0.1",
  port: 3306,
  user: "root",
  database: "test",
  connectionLimit: 2,
  timezone: "Z",
});
afterAll(() => pool.end());

describeSqlModule("mariadb", available, () => ({
  module: "mariadb",
  connection: { type: "mariadb", host: "127.0.0.1", port: 3306, database: "test", user: "root" },
  unreachable: { type: "mysql", host: "127.0.0.1", port: 1, database: "test", user: "root" },
  query: async (sql) => {
    const [rows] = await pool.query(sql);
    return rows as Array<Record<string, unknown>>;
  },
  drop: async (table) => {
    await pool.query(`DROP TABLE IF EXISTS \`${table}\``);
  },
  json: (value) => (typeof value === "string" ? JSON.parse(value) : value),
  quote: (name) => `\`${name}\``,
}));
