const numberLike = /^(?:-|\d+(?:\.\d+)?%?)$/;

/** Columns padded to their widest cell; numeric columns (counts, shares) right-aligned, a text last column not padded. */
export function formatTable(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const numeric = headers.map((_, column) => rows.length > 0 && rows.every((row) => numberLike.test(String(row[column]))));
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, column) => {
          if (column === row.length - 1 && !numeric[column]) return cell;
          return numeric[column] ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0);
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
