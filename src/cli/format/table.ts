/** Column tables as the vault CLI prints them (columnize: 4-space glue, `n/a` for empty cells). */

const GLUE = '    ';
const EMPTY = 'n/a';
const width = (s: string) => [...s].length;

/** Rows of cells, aligned in columns; the last column is not padded. */
export function columns(rows: string[][]): string {
  const cleaned = rows.map((row) => row.map((c) => c.trim() || EMPTY));
  const widths: number[] = [];
  for (const row of cleaned) {
    for (const [i, c] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, width(c));
  }
  return cleaned
    .map((row) =>
      row.map((c, i) => (i === row.length - 1 ? c : c + ' '.repeat(widths[i] - width(c)) + GLUE)).join(''),
    )
    .join('\n');
}

/** A table whose first row is the header, underlined with dashes (`Key  Value` / `---  -----`). */
export function table(header: string[], rows: string[][]): string {
  return columns([header, header.map((h) => '-'.repeat(width(h.trim()))), ...rows]);
}
