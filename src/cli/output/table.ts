// Aligned plain-text tables, like `kubectl get`: upper-case headers, columns separated by three
// spaces, no borders, so the output reads well and also survives `grep` and `awk`.

export function renderTable(headers: string[], rows: string[][]): string {
  const widths = columnWidths(headers, rows);
  return [headers, ...rows].map((r) => renderRow(r, widths)).join('\n');
}

export function columnWidths(headers: string[], rows: string[][]): number[] {
  return headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
}

/** One row padded to the given widths; the last column is not padded (no trailing blanks). */
export function renderRow(cells: string[], widths: number[]): string {
  return cells
    .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? c.length)))
    .join('   ')
    .trimEnd();
}
