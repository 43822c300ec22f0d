// The matrix summary as people read it: one table with phases as rows and cells as columns
// (✓ / ✗ / ! / ⊘ and the duration, – where a cell did not run the phase), each red cell's headline
// under it, then each cell's `ktx --version` start-up and the tarball every cell smoked. Markdown
// for the job summary, aligned text for ktx-smoke; the words are the same.
import { STATUS_MARK } from '../engine/context.js'
import { formatDuration, markdownCell, markdownTable, type Table, textTables } from '../engine/format.js'
import { reasonOf } from '../engine/report.js'
import { type MatrixSummary, statusIn } from './merge.js'
import { type CellReport, plain } from './reports.js'

/** Where a cell did not run a phase (skipped, or not one of its phases). */
const NOT_RUN = '–'

/** The phases × cells table, with each cell's total last. */
export function phaseTable(summary: MatrixSummary): Table {
  const mark = (status: keyof typeof STATUS_MARK, ms: number): string => `${STATUS_MARK[status]} ${formatDuration(ms)}`
  const rows = summary.phases.map(phase => [
    phase,
    ...summary.cells.map(cell => {
      const p = statusIn(cell, phase)
      return !p || p.status === 'skipped' ? NOT_RUN : mark(p.status, p.durationMs)
    })
  ])
  rows.push(['total', ...summary.cells.map(cell => mark(cell.result, cell.durationMs))])
  return { title: '', header: ['phase', ...summary.cells.map(c => c.name)], rows }
}

/** Each cell's median `ktx --version`, in a row of its own. */
export function startupTable(summary: MatrixSummary): Table {
  return {
    title: '',
    header: ['', ...summary.cells.map(c => c.name)],
    rows: [['ktx --version start-up (median of 5)', ...summary.cells.map(c => (c.startupMs === null ? NOT_RUN : `${c.startupMs} ms`))]]
  }
}

/** A red cell's headline: ktx's own reason (or the failure's first line), the phase, whose fault. */
export function cellHeadline(cell: CellReport): string {
  // Without ktx's own reason, the failure's first line says it, once its `Phase x failed:` is dropped (the phase follows).
  const reason = plain(reasonOf(cell.failure) ?? cell.failure?.split('\n')[0].replace(/^Phase [\w-]+ [^:]*: /, ''), 600)
  const phase = `\`${cell.failedPhase ?? 'unknown'}\``
  switch (cell.result) {
    case 'passed':
      return `${cell.name}: passed`
    case 'failed':
      return `${cell.name}: ${reason ? `${reason} (` : ''}failed in ${phase}: the release under test is at fault${reason ? ')' : ''}`
    case 'error':
      return `${cell.name}: ${reason ? `${reason} (` : ''}error in ${phase}: the smoke could not run in this cell; the release was not judged there${reason ? ')' : ''}`
    case 'cancelled':
      return `${cell.name}: cancelled during ${phase}`
  }
}

/** The verdict in words: `passed in 12 cells`, `failed in 1 of 12 cells`, `error: …`. */
export function verdictWords(summary: MatrixSummary): string {
  const n = summary.cells.length
  const cells = `${n} cell${n === 1 ? '' : 's'}`
  if (summary.result === 'passed') return `passed in ${cells}`
  const problems = summary.problems.length
  if (problems > 0) return `error: ${problems === 1 ? 'a problem' : `${problems} problems`} with the reports (${cells} read)`
  const verb = summary.result === 'failed' ? 'failed' : 'not judged'
  return `${verb} in ${summary.failedCells.length} of ${cells}`
}

/** What the cells smoked: one tarball, or why there is no single one. */
function tarballLine(summary: MatrixSummary): string | undefined {
  if (summary.integrity) return `tarball ${summary.integrity}${summary.release ? ` (${summary.release})` : ''} in every cell that got to it`
  if (summary.cells.length > 0 && summary.cells.every(c => c.integrity === null)) return 'no cell got as far as reading the tarball'
  return undefined
}

const EMOJI = { passed: '✅', failed: '❌', error: '⚠️' } as const

/** The job summary. */
export function matrixMarkdown(summary: MatrixSummary): string {
  const what = summary.release ? ` · ${markdownCell(summary.release)}` : ''
  const lines = [`## ktx smoke matrix: ${EMOJI[summary.result]} ${markdownCell(verdictWords(summary))}${what}`, '']
  if (summary.problems.length > 0) {
    lines.push('**Problems with the reports** (the release was not judged as a whole):', '')
    for (const p of summary.problems) lines.push(`- \`${markdownCell(p.file)}\` ${markdownCell(p.message)}`)
    lines.push('')
  }
  if (summary.cells.length > 0) {
    lines.push(...markdownTable(phaseTable(summary)))
    const red = summary.cells.filter(c => c.result !== 'passed')
    if (red.length > 0) {
      lines.push('')
      for (const cell of red)
        lines.push(`- ${cell.result === 'failed' ? '❌' : cell.result === 'error' ? '⚠️' : '⊘'} ${headlineMarkdown(cell)} (\`${markdownCell(cell.file)}\`)`)
    }
    lines.push('', ...markdownTable(startupTable(summary)))
  }
  const tarball = tarballLine(summary)
  if (tarball) lines.push('', markdownCell(tarball).replace(/^tarball (\S+)/, 'Tarball `$1`'))
  lines.push('')
  return lines.join('\n')
}

/** A headline in Markdown: the cell's name in bold, the rest escaped (the phase keeps its backticks). */
function headlineMarkdown(cell: CellReport): string {
  const text = cellHeadline(cell).slice(cell.name.length + 2)
  return `**${markdownCell(cell.name)}**: ${markdownCell(text)}`
}

/** The same for a terminal or a log. */
export function matrixText(summary: MatrixSummary): string {
  const lines = [`ktx smoke matrix: ${verdictWords(summary)}${summary.release ? ` (${summary.release})` : ''}`]
  if (summary.problems.length > 0) {
    lines.push('', 'Problems with the reports (the release was not judged as a whole):')
    for (const p of summary.problems) lines.push(`  ! ${p.file} ${p.message}`)
  }
  if (summary.cells.length > 0) {
    lines.push('', textTables([phaseTable(summary)]).replace(/^\n/, ''))
    const red = summary.cells.filter(c => c.result !== 'passed')
    if (red.length > 0) {
      lines.push('')
      for (const cell of red) lines.push(`  ${STATUS_MARK[cell.result]} ${cellHeadline(cell)} (${cell.file})`)
    }
    lines.push('', textTables([startupTable(summary)]).replace(/^\n/, ''))
  }
  const tarball = tarballLine(summary)
  if (tarball) lines.push('', `  ${tarball}`)
  return `${lines.join('\n')}\n`
}
