/** The chaos suite's result table (markdown). */
import type { ChaosRow } from "./ledger.js";

function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** true when the row is a pass: nothing lost and recovered (or skipped). */
export function rowPassed(row: ChaosRow): boolean {
  if (row.note.startsWith("skipped")) return true;
  return row.lost === 0 && row.recoverySeconds !== undefined && !row.note.includes("failed");
}

/** The table, one line per row. */
export function formatTable(rows: readonly ChaosRow[]): string {
  const lines = [
    "| fault | answered 200 | delivered | **lost** | duplicated | 503s | other answers | time to recover | |",
    "|---|--:|--:|--:|--:|--:|--:|--:|---|",
  ];
  for (const row of rows) {
    const skipped = row.note.startsWith("skipped");
    const recovery =
      row.recoverySeconds === undefined
        ? skipped
          ? "–"
          : "never"
        : `${row.recoverySeconds.toFixed(1)} s`;
    const cells = skipped
      ? [row.fault, "–", "–", "–", "–", "–", "–", "–", row.note]
      : [
          row.fault,
          count(row.accepted),
          count(row.delivered),
          `**${count(row.lost)}**`,
          count(row.duplicated),
          count(row.unavailable),
          count(row.other),
          recovery,
          `${rowPassed(row) ? "pass" : "FAIL"}${row.note === "" ? "" : `: ${row.note}`}`,
        ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}
