// `ktx-smoke summarize <report.json|dir|glob>...`: the matrix's reports as one table and one
// verdict. Exit 0 when every cell passed on one tarball, 1 when a cell failed, 2 when a report is
// missing or cannot be used (or a cell could not be judged), as the smoke itself exits.
import { type Command, InvalidArgumentError } from 'commander'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { mergeCells, mergedReport, type MatrixVerdict, parseExpectedCells } from '../matrix/merge.js'
import { readReports } from '../matrix/reports.js'
import { matrixMarkdown, matrixText } from '../matrix/render.js'

const EXIT: Record<MatrixVerdict, number> = { passed: 0, failed: 1, error: 2 }

interface SummarizeOptions {
  expectedCells?: number
  json?: boolean
  report: string
  markdown?: string
}

/** `--expected-cells`, as commander takes it: a bad value is a usage error that says why. */
function cellCount(value: string): number | undefined {
  try {
    return parseExpectedCells(value)
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message)
  }
}

/** Writes `text` to `file`, making its folder; a message when it cannot. */
function writeOut(option: string, file: string, text: string): string | undefined {
  try {
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, text)
    return undefined
  } catch (error) {
    return `ktx-smoke summarize: option ${option} ${file}: cannot write it (${(error as Error).message}).`
  }
}

export async function summarize(reports: string[], options: SummarizeOptions, fail: (message: string) => never): Promise<number> {
  const { cells, problems } = await readReports(reports, process.cwd())
  const summary = mergeCells(cells, problems, options.expectedCells)
  const jsonFile = path.resolve(options.report)
  const merged = `${JSON.stringify(mergedReport(summary), null, 2)}\n`
  const notWritten =
    writeOut('--report', jsonFile, merged) ?? (options.markdown ? writeOut('--markdown', path.resolve(options.markdown), matrixMarkdown(summary)) : undefined)
  if (notWritten) fail(notWritten)
  const out = options.json ? process.stderr : process.stdout
  out.write(matrixText(summary))
  out.write(`\nresult: ${summary.result}\nreport: ${jsonFile}\n`)
  if (options.json) process.stdout.write(merged)
  return EXIT[summary.result]
}

/** Adds the `summarize` command to ktx-smoke. */
export function addSummarize(program: Command): void {
  program
    .command('summarize')
    .description("One table and one verdict for a matrix's JSON reports: passed only when every cell passed on the same tarball.")
    .argument('<reports...>', 'report files, folders of them (as actions/download-artifact lays them out) or globs')
    .option('--expected-cells <n>', 'how many cells the matrix has: fewer reports is an error', cellCount)
    .option('--json', 'print the merged JSON report on stdout (the table goes to stderr)')
    .option('--report <file>', 'where the merged JSON report goes', path.join('ktx-smoke-report', 'summary.json'))
    .option('--markdown <file>', 'also write the table as Markdown (a job summary) here')
    .action(async (reports: string[], options: SummarizeOptions, command: Command) => {
      process.exitCode = await summarize(reports, options, message => command.error(message, { exitCode: 2 }))
    })
}
