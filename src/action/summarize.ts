// The summarize action (summarize/action.yml): the matrix jobs' reports, downloaded into the
// workspace, as one table in the job summary and one verdict in the outputs. It runs no code of the
// release; the reports are data from such runs, read as such (matrix/reports.ts).
import path from 'node:path'
import { tempParent } from '../host/sandbox.js'
import { mergeCells, mergedReport, parseExpectedCells } from '../matrix/merge.js'
import { cellHeadline, matrixMarkdown, matrixText, verdictWords } from '../matrix/render.js'
import { readReports } from '../matrix/reports.js'
import { writeFileSync } from 'node:fs'
import type { ActionIO } from './commands.js'

/** The outputs the step sets, as summarize/action.yml declares them (docs.test.ts holds the two together). */
export const SUMMARIZE_OUTPUTS = ['result', 'cells', 'failed-cells', 'tarball-integrity', 'report'] as const

/** Runs the summarize step; resolves to its exit code (1 unless every cell passed on one tarball). */
export async function summarizeStep(io: ActionIO): Promise<number> {
  const reports = io
    .getInput('reports')
    .split(/\r?\n/)
    .map(line => line.trim())
    .filter(Boolean)
  let expected: number | undefined
  try {
    expected = parseExpectedCells(io.getInput('expected-cells'))
  } catch (error) {
    io.setOutput('result', 'error')
    io.setFailed(`Invalid expected-cells: ${(error as Error).message}`)
    return 1
  }
  if (reports.length === 0) {
    io.setOutput('result', 'error')
    io.setFailed(
      'Input required and not supplied: reports. Give the path actions/download-artifact downloaded the reports to (a folder), report files, or a glob, one per line.'
    )
    return 1
  }
  const { cells, problems } = await readReports(reports, process.cwd())
  const summary = mergeCells(cells, problems, expected)
  const file = path.join(process.env.RUNNER_TEMP || tempParent(), `ktx-smoke-summary-${globalThis.crypto.randomUUID()}.json`)
  writeFileSync(file, `${JSON.stringify(mergedReport(summary), null, 2)}\n`)
  io.info(matrixText(summary))
  io.setOutput('result', summary.result)
  io.setOutput('cells', String(summary.cells.length))
  io.setOutput('failed-cells', summary.failedCells.join(','))
  io.setOutput('tarball-integrity', summary.integrity ?? '')
  io.setOutput('report', file)
  try {
    await io.appendSummary(matrixMarkdown(summary))
  } catch (error) {
    io.warning(`ktx smoke matrix: no job summary written (${(error as Error).message})`)
  }
  if (summary.result === 'passed') return 0
  const first = summary.problems[0]
    ? `${summary.problems[0].file} ${summary.problems[0].message}`
    : cellHeadline(summary.cells.find(c => c.result !== 'passed')!)
  io.setFailed(`ktx smoke matrix ${verdictWords(summary)}: ${first}`)
  return 1
}
