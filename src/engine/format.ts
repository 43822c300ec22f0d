export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const minutes = Math.floor(ms / 60_000)
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`
}

/** A size limit: a share of the size before (`10%`) or bytes (`500kB`, `2 MB`, `1MiB`, `300000`). */
export type SizeLimit = { percent: number } | { bytes: number }

const UNITS: Record<string, number> = { b: 1, kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 }

/** Parses a size limit; undefined when the text is none. */
export function parseSizeLimit(text: string): SizeLimit | undefined {
  const m = text.trim().match(/^(\d+(?:\.\d+)?)\s*(%|b|kb|mb|gb|kib|mib|gib)?$/i)
  if (!m) return undefined
  const n = Number(m[1])
  if (m[2] === '%') return { percent: n }
  return { bytes: Math.round(n * UNITS[(m[2] ?? 'b').toLowerCase()]) }
}

/** Bytes as people read them: `1.5 MB`, `612.3 kB`, `980 B`. */
export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes)
  if (abs < 1000) return `${bytes} B`
  if (abs < 1000 ** 2) return `${(bytes / 1000).toFixed(1)} kB`
  return `${(bytes / 1000 ** 2).toFixed(2)} MB`
}

/** A table for the job summary (Markdown) and for ktx-smoke (aligned text). */
export interface Table {
  title: string
  header: string[]
  rows: string[][]
}

/** Tables as plain text with aligned columns (ktx-smoke on a terminal or in a log). */
export function textTables(tables: Table[]): string {
  return tables
    .map(t => {
      const all = [t.header, ...t.rows]
      const widths = t.header.map((_, i) => Math.max(...all.map(row => (row[i] ?? '').length)))
      const line = (row: string[]): string => `  ${row.map((cell, i) => (cell ?? '').padEnd(widths[i])).join('  ')}`.trimEnd()
      return [t.title, line(t.header), ...t.rows.map(line)].join('\n')
    })
    .join('\n\n')
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** Text as one cell of a Markdown table (or one line of Markdown): HTML escaped, pipes escaped, on one line. */
export function markdownCell(text: string): string {
  return escapeHtml(text).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
}

/** A table in Markdown: its title in bold (when it has one), then the table. */
export function markdownTable(table: Table): string[] {
  const row = (cells: string[]): string => `| ${cells.map(c => (c === '' ? ' ' : markdownCell(c))).join(' | ')} |`
  const title = table.title ? [`**${markdownCell(table.title)}**`, ''] : []
  return [...title, row(table.header), `|${table.header.map(() => '---').join('|')}|`, ...table.rows.map(row)]
}
