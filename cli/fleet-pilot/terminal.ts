/**
 * How fleet-pilot writes for people: tables that fit the width (80 columns unless `-o wide`),
 * times relative to the control plane's clock ("12 min ago"), colour only on a terminal and never
 * with NO_COLOR, and a spinner on stderr for a request that takes more than a second.
 */
import { styleText } from 'node:util';
import Table from 'cli-table3';

export const WIDTH = 80;

export type Paint = (style: 'green' | 'yellow' | 'red' | 'bold' | 'dim' | 'cyan', text: string) => string;

/** Colour when `stream` is a terminal, NO_COLOR is unset and TERM is not dumb. */
export function paintFor(
  stream: { isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
): Paint {
  const on = stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb';
  return on ? (style, text) => styleText(style, text, { validateStream: false }) : (_style, text) => text;
}

const BLANK = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

/** A borderless table, columns two spaces apart, as `kubectl get` prints. */
export function table(head: string[], rows: string[][]): string {
  const t = new Table({
    head,
    chars: BLANK,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  t.push(...rows);
  return t
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/** `text` cut to `width` characters, the cut marked with "…". */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** An instance id short enough for a table: its tail tells servers apart. */
export function shortId(id: string): string {
  return id.length <= 14 ? id : `${id.slice(0, 2)}…${id.slice(-11)}`;
}

/** Words of `text` on lines of at most `width`, each after `indent`. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line === '' ? word : `${line} ${word}`;
    if (indent.length + next.length > width && line !== '') {
      lines.push(indent + line);
      line = word;
    } else line = next;
  }
  if (line !== '') lines.push(truncate(indent + line, width));
  return lines;
}

/** A span in minutes as people say it: "45 s", "12 min", "3 h 05 min", "2 d 4 h". */
export function span(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48)
    return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

/** "12 min ago" or "in 3 h", from `now`. */
export function relative(at: string | number, now: number): string {
  const ms = (typeof at === 'number' ? at : Date.parse(at)) - now;
  if (Math.abs(ms) < 1000) return 'now';
  return ms < 0 ? `${span(-ms)} ago` : `in ${span(ms)}`;
}

export interface Spinner {
  stop(): void;
}

/** A spinner on `stream` (a terminal only) that shows up once `text` has taken more than a second. */
export async function spinnerAfterASecond(stream: NodeJS.WriteStream, text: string): Promise<Spinner> {
  if (stream.isTTY !== true) return { stop: () => {} };
  const { default: yoctoSpinner } = await import('yocto-spinner');
  const spinner = yoctoSpinner({ text, stream });
  const timer = setTimeout(() => spinner.start(), 1000);
  return {
    stop: () => {
      clearTimeout(timer);
      if (spinner.isSpinning) spinner.stop();
    },
  };
}
