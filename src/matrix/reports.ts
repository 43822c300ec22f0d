// Finding and reading the JSON reports a matrix's jobs uploaded: files, folders (as
// actions/download-artifact lays them out: one folder per artifact) and globs. A report is data
// from a run of untrusted code: every field is checked for its type, and the text that reaches a
// table, a terminal or an output is cut to what it may hold.
import { readFileSync, realpathSync, statSync } from 'node:fs'
import path from 'node:path'
import { glob, isDynamicPattern } from 'tinyglobby'
import type { PhaseStatus, Verdict } from '../engine/context.js'

/** One phase of a cell, as its report gives it. */
export interface CellPhase {
  name: string
  status: PhaseStatus
  durationMs: number
}

/** What summarize reads of one cell's report. */
export interface CellReport {
  /** The report's file, as found (relative to the folder summarize runs in when under it). */
  file: string
  /** The column's name: the report's cell, made unique among the cells. */
  name: string
  /** The report's cell (platform, Node, package manager, installs); null in a report without one. */
  cell: Record<string, unknown> | null
  result: Verdict
  failedPhase: string | null
  failure: string | null
  durationMs: number
  phases: CellPhase[]
  /** The release the cell smoked: `@kaelio/ktx 0.12.0`, and its tarball's integrity. */
  release: string | null
  integrity: string | null
  startupMs: number | null
  ktxVersion: string | null
  /** The whole report, for the merged one. */
  report: Record<string, unknown>
}

/** A report summarize cannot use (missing, unreadable, not a ktx smoke report): the caller's to fix. */
export interface Problem {
  file: string
  message: string
}

/** A merged report's mark: summarize finds its own output in a folder it reads and passes it by. */
export const SUMMARY_KIND = 'ktx-smoke-summary'

/** Larger than any report a run writes (its outputs are trimmed): not read. */
const MAX_REPORT_BYTES = 64 * 1024 * 1024
const VERDICTS: readonly string[] = ['passed', 'failed', 'error', 'cancelled']
const STATUSES: readonly string[] = [...VERDICTS, 'skipped']

/** Text from a report, cut to one line of at most `max` characters without control characters. */
export function plain(value: unknown, max = 300): string | null {
  if (typeof value !== 'string') return null
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters (escape sequences among them) are what is removed
  const text = value.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim()
  return text.length <= max ? text : `${text.slice(0, max)}…`
}

/** A cell's name as a column and an item of `failed-cells`: no commas, no markup, at most 60 characters. */
function columnName(value: unknown): string | null {
  const text = plain(value, 200)
    ?.replace(/[^\w .+/()@:-]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  return text ? text.slice(0, 60).trim() : null
}

const count = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : null)

/** The report's fields summarize uses; a message when it is not a ktx smoke report. */
function readReport(json: Record<string, unknown>, file: string): Omit<CellReport, 'name'> & { named: string | null } {
  if (json.schemaVersion !== 1 || !VERDICTS.includes(json.result as string) || !Array.isArray(json.phases)) {
    throw new Error(
      'is not a ktx smoke report (one has schemaVersion 1, a result and phases): give the report.json files ktx-smoke-action or ktx-smoke --report wrote'
    )
  }
  const phases: CellPhase[] = []
  for (const p of json.phases as unknown[]) {
    const phase = p as Record<string, unknown> | null
    const name = plain(phase?.name, 80)
    if (!name || !STATUSES.includes(phase?.status as string))
      throw new Error('has a phase without a name or a status: it is no ktx smoke report, or it was edited')
    phases.push({ name, status: phase!.status as PhaseStatus, durationMs: count(phase!.durationMs) ?? 0 })
  }
  const cell = json.cell && typeof json.cell === 'object' && !Array.isArray(json.cell) ? (json.cell as Record<string, unknown>) : null
  const tarball = (json.tarball && typeof json.tarball === 'object' ? json.tarball : {}) as Record<string, unknown>
  const release = plain(tarball.name, 100) && plain(tarball.version, 100) ? `${plain(tarball.name, 100)} ${plain(tarball.version, 100)}` : null
  return {
    file,
    named: columnName(cell?.name),
    cell,
    result: json.result as Verdict,
    failedPhase: plain(json.failedPhase, 80),
    failure: typeof json.failure === 'string' ? json.failure : null,
    durationMs: count(json.durationMs) ?? 0,
    phases,
    release,
    integrity: plain(tarball.integrity, 200),
    startupMs: count(json.startupMs),
    ktxVersion: plain(json.ktxVersion, 100),
    report: json
  }
}

/** The files an argument names: itself, the .json files under a folder, or what a glob matches. */
async function filesOf(arg: string, cwd: string): Promise<{ files: string[]; inFolder: boolean } | Problem> {
  const at = path.resolve(cwd, arg)
  let stat: ReturnType<typeof statSync> | undefined
  try {
    stat = statSync(at)
  } catch {
    stat = undefined
  }
  if (stat?.isDirectory()) {
    const files = await glob('**/*.json', { cwd: at, absolute: true, dot: true, ignore: ['**/node_modules/**'] })
    if (files.length === 0)
      return { file: arg, message: 'is a folder with no .json report in it (did the matrix jobs upload their reports, and did the download step get them?)' }
    return { files: files.sort(), inFolder: true }
  }
  if (stat) return { files: [at], inFolder: false }
  if (isDynamicPattern(arg)) {
    const files = await glob(arg, { cwd, absolute: true, dot: true, onlyFiles: true })
    if (files.length === 0) return { file: arg, message: 'matches no file (did the matrix jobs upload their reports, and did the download step get them?)' }
    return { files: files.sort(), inFolder: true }
  }
  return { file: arg, message: 'does not exist: give report files, the folder they were downloaded to, or a glob of them' }
}

/** Reads every report the arguments name (relative to `cwd`); what cannot be used is a problem naming its file. */
export async function readReports(args: string[], cwd: string): Promise<{ cells: CellReport[]; problems: Problem[] }> {
  const problems: Problem[] = []
  const read: (Omit<CellReport, 'name'> & { named: string | null })[] = []
  const seen = new Set<string>()
  if (args.length === 0) problems.push({ file: '(none)', message: 'no reports given: name report files, a folder of them or a glob' })
  for (const arg of args) {
    const found = await filesOf(arg, cwd)
    if ('message' in found) {
      problems.push(found)
      continue
    }
    for (const at of found.files) {
      const real = realpathSync(at)
      if (seen.has(real)) continue
      seen.add(real)
      const file = path.relative(cwd, at).startsWith('..') ? at : path.relative(cwd, at)
      try {
        if (statSync(at).size > MAX_REPORT_BYTES) throw new Error(`is larger than ${MAX_REPORT_BYTES / 1024 / 1024} MiB: no ktx smoke report is`)
        let json: unknown
        try {
          json = JSON.parse(readFileSync(at, 'utf8'))
        } catch (error) {
          throw new Error(`is not valid JSON (${(error as Error).message}): was the upload cut short?`)
        }
        if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error('is not a ktx smoke report (not a JSON object)')
        const object = json as Record<string, unknown>
        if (object.kind === SUMMARY_KIND) {
          // summarize's own output, in a folder it reads: not a cell. Named on its own, it is a mistake.
          if (!found.inFolder) throw new Error("is a summary summarize wrote, not a cell's report: give the cells' reports")
          continue
        }
        read.push(readReport(object, file))
      } catch (error) {
        problems.push({ file, message: (error as Error).message.replace(/^(EACCES|EISDIR|ENOENT)[^:]*: /, 'cannot be read: ') })
      }
    }
  }
  return { cells: uniqueNames(read), problems }
}

/** Each cell's column name: its report's, or its folder's (an artifact's name) without one; a repeated name gets ` #2`, ` #3`. */
function uniqueNames(read: (Omit<CellReport, 'name'> & { named: string | null })[]): CellReport[] {
  const used = new Map<string, number>()
  return read.map(({ named, ...rest }) => {
    const base = named ?? columnName(path.basename(path.dirname(path.resolve(rest.file)))) ?? columnName(path.basename(rest.file, '.json')) ?? 'cell'
    const n = (used.get(base) ?? 0) + 1
    used.set(base, n)
    return { ...rest, name: n === 1 ? base : `${base} #${n}` }
  })
}
