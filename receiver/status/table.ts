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
}

const COLUMNS: readonly [string, (line: ChannelLine) => string][] = [
  ["CHANNEL", (l) => l.name],
  ["QUEUED", (l) => String(l.messages_queued)],
  ["IN FLIGHT", (l) => String(l.messages_in_flight)],
  ["CONNECTORS", (l) => String(l.connected_clients)],
  ["DEAD LETTERS", (l) => String(l.dead_letters_queued)],
  ["DELIVERED", (l) => String(l.messages_delivered)],
  ["EXPIRED", (l) => String(l.messages_expired)],
];

/** Renders channels as an aligned table (names left, numbers right). */
export function renderChannelTable(lines: readonly ChannelLine[]): string {
  const cells = lines.map((line) => COLUMNS.map(([, pick]) => pick(line)));
  const widths = COLUMNS.map(([title], i) =>
    Math.max(title.length, ...cells.map((row) => row[i]!.length)),
  );
  const format = (row: readonly string[]) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [format(COLUMNS.map(([title]) => title)), ...cells.map(format)].join("\n");
}
