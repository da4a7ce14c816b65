/** Plain-text table of the `status` command. */

/** One channel line as the overview route returns it. */
export interface ChannelLine {
  readonly name: string;
  readonly messages_queued: number;
  readonly messages_in_flight: number;
  readonly connected_clients: number;
  readonly dead_letters_queued: number;
  readonly messages_delivered: number;
  readonly messages_expired: number;
  readonly oldest_unacked_age_seconds?: number;
  readonly groups?: readonly GroupLine[];
}

/** One group of a channel line. */
export interface GroupLine {
  readonly group: string;
  readonly pending: number;
  readonly in_flight: number;
  readonly oldest_unacked_age_seconds: number;
}

/** A lag in seconds as people read it: `0`, `850ms`, `12.4s`, `3m05s`, `2h10m`. */
export function formatLag(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return "-";
  if (seconds <= 0) return "0";
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)}m${String(Math.floor(seconds % 60)).padStart(2, "0")}s`;
  }
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")}m`;
}

const COLUMNS: readonly [string, (line: ChannelLine) => string][] = [
  ["CHANNEL", (l) => l.name],
  ["QUEUED", (l) => String(l.messages_queued)],
  ["IN FLIGHT", (l) => String(l.messages_in_flight)],
  ["CONNECTORS", (l) => String(l.connected_clients)],
  ["DEAD LETTERS", (l) => String(l.dead_letters_queued)],
  ["DELIVERED", (l) => String(l.messages_delivered)],
  ["EXPIRED", (l) => String(l.messages_expired)],
  ["LAG", (l) => formatLag(l.oldest_unacked_age_seconds)],
];

const GROUP_COLUMNS: readonly [string, (row: { channel: string; group: GroupLine }) => string][] = [
  ["CHANNEL/GROUP", (r) => `${r.channel}/${r.group.group}`],
  ["PENDING", (r) => String(r.group.pending)],
  ["IN FLIGHT", (r) => String(r.group.in_flight)],
  ["LAG", (r) => formatLag(r.group.oldest_unacked_age_seconds)],
];

function renderTable<T>(
  columns: readonly (readonly [string, (row: T) => string])[],
  rows: readonly T[],
): string {
  const cells = rows.map((row) => columns.map(([, pick]) => pick(row)));
  const widths = columns.map(([title], i) =>
    Math.max(title.length, ...cells.map((row) => row[i]!.length)),
  );
  const format = (row: readonly string[]) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [format(columns.map(([title]) => title)), ...cells.map(format)].join("\n");
}

/**
 * Renders channels as an aligned table (names left, numbers right), then
 * one line per group with its queue, in flight and lag.
 */
export function renderChannelTable(lines: readonly ChannelLine[]): string {
  const channels = renderTable(COLUMNS, lines);
  const groups = lines.flatMap((line) =>
    (line.groups ?? []).map((group) => ({ channel: line.name, group })),
  );
  return groups.length === 0 ? channels : `${channels}\n\n${renderTable(GROUP_COLUMNS, groups)}`;
}
