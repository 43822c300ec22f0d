import { LIMITS } from './limits.js'
import type { CommandResult } from '../host/command.js'

/** One thing that must hold for a command's result: undefined when it holds, else what went wrong. */
export type Check = (result: CommandResult) => string | undefined

/** Strips ANSI colour codes. */
export function withoutColour(line: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC
  return line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
}

/** Strips colour codes and the spinner glyph (`◐  `, `◇  `, `■  `) that starts a line. */
export function plainLine(line: string): string {
  const colourless = withoutColour(line)
  return colourless.replace(/^[^\p{L}\p{N}[{("'`/\\.-]+/u, '').trimEnd()
}

export function plainLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map(plainLine)
    .filter(line => line.trim() !== '')
}

export function tailLines(text: string, count: number): string {
  const lines = text.replace(/\s+$/, '').split(/\r?\n/).map(clipLine)
  if (lines.length <= count) return lines.join('\n')
  return [`[… ${lines.length - count} earlier lines …]`, ...lines.slice(-count)].join('\n')
}

/** Longer lines keep their head and tail, so that a CLI's one-line megabyte stays readable. */
const LINE_LIMIT = LIMITS.line

function clipLine(line: string): string {
  if (line.length <= LINE_LIMIT) return line
  const half = LINE_LIMIT / 2
  return `${line.slice(0, half)}[… ${line.length - LINE_LIMIT} characters …]${line.slice(-half)}`
}

/** The command started and ended by itself (no timeout): checked before anything is read from it. */
export const completes: Check = r => {
  if (r.spawnError) return `the command could not be started: ${r.spawnError}`
  if (r.timedOut) return `timed out after ${Math.round(r.durationMs / 1000)} s (the process tree was killed)`
  return undefined
}

export const exitsWith = (code: number): Check => exitsWithOneOf([code])

/** The command ended by itself with one of `codes` (a CLI that may say "not ready" with 1, say). */
export const exitsWithOneOf =
  (codes: number[]): Check =>
  r => {
    const incomplete = completes(r)
    if (incomplete) return incomplete
    if (r.exitCode !== null && codes.includes(r.exitCode)) return undefined
    const how = r.exitCode === null ? `was killed by ${r.signal}` : `exited with ${r.exitCode}`
    return `expected exit code ${codes.join(' or ')}, but it ${how}`
  }

/**
 * stderr must hold nothing but lines matching `allowed` (by default nothing at all): the release
 * smoke demands a silent stderr from every successful command.
 */
export const stderrOnly =
  (...allowed: RegExp[]): Check =>
  r => {
    const extra = plainLines(r.stderr).filter(line => !allowed.some(re => re.test(line)))
    if (extra.length === 0) return undefined
    return `expected ${allowed.length ? 'no other' : 'no'} output on stderr, but it printed: ${extra
      .slice(0, 5)
      .map(l => JSON.stringify(l))
      .join(', ')}`
  }

export const stderrEmpty = (): Check => stderrOnly()

/** Some line of `stream` (plain, without glyphs) must match `pattern`. */
export function firstMatch(text: string, pattern: RegExp): RegExpMatchArray | undefined {
  for (const line of plainLines(text)) {
    const m = line.match(pattern)
    if (m) return m
  }
  return undefined
}

export const lineMatches =
  (stream: 'stdout' | 'stderr', pattern: RegExp, what: string): Check =>
  r =>
    firstMatch(r[stream], pattern) ? undefined : `expected ${what} on ${stream} (${pattern})`

/** Parses stdout as JSON; the error message says what stdout held instead. */
export function parseJsonStdout<T = unknown>(r: CommandResult): T {
  const text = r.stdout.trim()
  try {
    return JSON.parse(text) as T
  } catch (error) {
    const shown = text === '' ? 'nothing' : JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text)
    throw new ExpectationError(`expected JSON on stdout, but it printed ${shown} (${(error as Error).message})`)
  }
}

/** stdout must be JSON and `validate` must find nothing wrong with it. */
export const jsonStdout =
  <T>(validate: (value: T) => string | undefined): Check =>
  r => {
    try {
      return validate(parseJsonStdout<T>(r))
    } catch (error) {
      return (error as Error).message
    }
  }

/** A failed expectation; the runner turns it into the phase's failure. */
export class ExpectationError extends Error {
  constructor(
    message: string,
    readonly result?: CommandResult
  ) {
    super(message)
    this.name = 'ExpectationError'
  }
}

export function expect(condition: unknown, message: string, result?: CommandResult): asserts condition {
  if (!condition) throw new ExpectationError(message, result)
}

/** Runs the checks in order; the first one that fails throws. */
export function verify(result: CommandResult, checks: Check[]): void {
  for (const check of checks) {
    const problem = check(result)
    if (problem) throw new ExpectationError(problem, result)
  }
}

/** One line of the runtime checks in text status / doctor: `PASS uv: …` or `FAIL uv: …` + `Fix: …`. */
export interface RuntimeCheckLine {
  status: 'PASS' | 'FAIL'
  label: string
  detail: string
  fix?: string
}

export function parseCheckLines(text: string): RuntimeCheckLine[] {
  const checks: RuntimeCheckLine[] = []
  for (const line of plainLines(text)) {
    const m = line.trim().match(/^(PASS|FAIL)\s+([^:]+):\s*(.*)$/)
    if (m) {
      checks.push({ status: m[1] as 'PASS' | 'FAIL', label: m[2].trim(), detail: m[3] })
      continue
    }
    const fix = line.trim().match(/^Fix:\s*(.*)$/)
    if (fix && checks.length > 0) checks[checks.length - 1].fix = fix[1]
  }
  return checks
}

/**
 * The caller's input or the host is at fault, not the release: a missing or unusable tarball, a
 * missing package manager, an unusable temp dir. The run's result is `error`.
 */
export class SetupError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SetupError'
  }
}

/** The run was cancelled (SIGINT or SIGTERM) while this phase ran. */
export class CancelledError extends Error {
  constructor(readonly signal: string) {
    super(`cancelled by ${signal}`)
    this.name = 'CancelledError'
  }
}
