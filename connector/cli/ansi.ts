/**
 * Colours of the terminal output: ANSI SGR codes when enabled, plain text
 * otherwise. Enabled for a terminal unless NO_COLOR is set
 * (https://no-color.org); FORCE_COLOR enables them anywhere.
 */

/** A colouring function per outcome and emphasis. */
export interface Palette {
  readonly green: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly red: (text: string) => string;
  readonly cyan: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly bold: (text: string) => string;
}

const plain = (text: string) => text;
const sgr = (open: number, close: number) => (text: string) =>
  `\u001b[${open}m${text}\u001b[${close}m`;

/** Whether output to `stream` gets colours under `env`. */
export function colorsWanted(
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  const force = env["FORCE_COLOR"];
  if (force !== undefined && force !== "" && force !== "0" && force !== "false") return true;
  return stream.isTTY === true;
}

/** The palette for `enabled`. */
export function paletteFor(enabled: boolean): Palette {
  if (!enabled) {
    return { green: plain, yellow: plain, red: plain, cyan: plain, dim: plain, bold: plain };
  }
  return {
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    red: sgr(31, 39),
    cyan: sgr(36, 39),
    dim: sgr(2, 22),
    bold: sgr(1, 22),
  };
}
