/**
 * CSV (RFC 4180) for downloads people open in spreadsheets. A cell that a spreadsheet would
 * run as a formula (starting =, +, -, @, tab or carriage return) is prefixed with an
 * apostrophe, so a name typed as "=HYPERLINK(…)" stays text.
 */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
