/**
 * Text for an 80-column terminal: the report lines of the commands (simulate, tune, calendar) are
 * broken at spaces rather than cut, so no figure is lost and none runs past the edge.
 */

export const TERMINAL_WIDTH = 80;

/**
 * `line` in lines of at most `width` characters, each continuation line after `indent` (default:
 * the line's own indentation and two spaces more). A string is broken at any space, and runs of
 * spaces stay where it is not broken; an array is a line given as pieces joined by a space,
 * broken only between pieces (keep a phrase in one piece to keep it on one line). A piece wider
 * than the room is kept whole on a line of its own.
 */
export function wrapLine(
  line: string | readonly string[],
  indent?: string,
  width = TERMINAL_WIDTH,
): string[] {
  const whole = typeof line === 'string' ? line : line.join(' ');
  if (whole.length <= width) return [whole];
  const lead = /^ */.exec(whole)?.[0] ?? '';
  const after = indent ?? `${lead}  `;
  // Each piece of a string keeps the spaces after it but one, so joining with a space gives it back.
  const pieces =
    typeof line === 'string'
      ? whole.slice(lead.length).split(/ (?=\S)/)
      : [...line].map((p, i) => (i === 0 ? p.slice(lead.length) : p));
  const lines: string[] = [];
  let current = lead;
  let words = 0;
  for (const piece of pieces) {
    if (words > 0 && `${current} ${piece}`.trimEnd().length > width) {
      lines.push(current.trimEnd());
      current = after + piece.trimStart();
    } else current = words > 0 ? `${current} ${piece}` : current + piece;
    words += 1;
  }
  lines.push(current.trimEnd());
  return lines;
}

/** Every line of `text` wrapped as {@link wrapLine} does, with its default indent. */
export function wrapLines(text: string, width = TERMINAL_WIDTH): string {
  return text
    .split('\n')
    .flatMap((line) => wrapLine(line, undefined, width))
    .join('\n');
}
