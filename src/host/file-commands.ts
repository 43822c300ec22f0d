// The job's file commands (GITHUB_ENV, GITHUB_PATH, GITHUB_OUTPUT, GITHUB_STATE,
// GITHUB_STEP_SUMMARY) are the action's alone. The release under test runs as the same user and can
// append to them (their paths are one level above the sandbox): whatever it adds would reach every
// later step of the job. The guard knows exactly what the action wrote, writes the action's own
// lines itself, and restores each file to that content whenever it finds more.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'
import { EOL } from 'node:os'

export const FILE_COMMANDS = ['GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY'] as const
export type FileCommand = (typeof FILE_COMMANDS)[number]

/** The file-command paths of a step's environment (those it sets). */
export function fileCommandPaths(env: NodeJS.ProcessEnv): Partial<Record<FileCommand, string>> {
  return Object.fromEntries(FILE_COMMANDS.filter(name => env[name]).map(name => [name, env[name] as string]))
}

/** What a file holds, or an empty buffer when it does not exist (yet). */
function contentOf(file: string): Buffer {
  try {
    return readFileSync(file)
  } catch {
    return Buffer.alloc(0)
  }
}

/** The first line of `text` worth naming, and how many more there are. */
function firstLine(text: string): string {
  const lines = text.split(/\r?\n/).filter(line => line.trim() !== '')
  if (lines.length === 0) return JSON.stringify(text)
  const shown = lines[0].length > 300 ? `${lines[0].slice(0, 300)}…` : lines[0]
  return lines.length > 1 ? `${shown} (and ${lines.length - 1} more line${lines.length > 2 ? 's' : ''})` : shown
}

/** `key` = `value` as the runner reads it from GITHUB_OUTPUT or GITHUB_STATE (the heredoc form, as @actions/core writes it). */
export function keyValueMessage(key: string, value: string): string {
  // The global Web Crypto, loaded when first used: importing node:crypto costs the post step, which
  // imports this module but writes no output, some 20 ms at start-up.
  const delimiter = `ghadelimiter_${globalThis.crypto.randomUUID()}`
  return `${key}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`
}

export class FileCommandGuard {
  private readonly expected = new Map<FileCommand, Buffer>()

  /** `files`: the step's file-command paths; what they hold now is what the runner and the action wrote. */
  constructor(private readonly files: Partial<Record<FileCommand, string>>) {
    for (const [name, file] of Object.entries(files) as [FileCommand, string][]) this.expected.set(name, contentOf(file))
  }

  /** The paths the guard keeps (for a re-executed main step). */
  get paths(): Partial<Record<FileCommand, string>> {
    return { ...this.files }
  }

  /** Problems found while the action wrote, reported by the next check. */
  private readonly found: string[] = []

  /**
   * What the release did to the files since the action last wrote them, or undefined when nothing.
   * Every file that holds anything else is restored at once to what the action wrote.
   */
  check(): string | undefined {
    for (const name of this.expected.keys()) this.restore(name)
    const problems = this.found.splice(0)
    if (problems.length === 0) return undefined
    return `${problems.join('; ')} (restored to what the action wrote: nothing of it reaches the job's next steps)`
  }

  /** Restores one file to what the action wrote, noting what the release had done to it. */
  private restore(name: FileCommand): void {
    const file = this.files[name]!
    const want = this.expected.get(name) ?? Buffer.alloc(0)
    const have = contentOf(file)
    if (have.equals(want)) return
    writeFileSync(file, want)
    this.found.push(
      have.length > want.length && have.subarray(0, want.length).equals(want)
        ? `the release wrote to ${name}: ${firstLine(have.subarray(want.length).toString('utf8'))}`
        : `the release changed ${name} (${have.length} bytes where the action wrote ${want.length})`
    )
  }

  /** Appends `key` = `value` as the runner reads it (the heredoc form, as @actions/core writes it). */
  write(name: 'GITHUB_OUTPUT' | 'GITHUB_STATE', key: string, value: string): void {
    this.append(name, keyValueMessage(key, value))
  }

  /** Appends text the action writes (the job summary's Markdown). */
  append(name: FileCommand, text: string): void {
    const file = this.files[name]
    if (!file) throw new Error(`${name} is not set: the runner gives every step this file`)
    // Whatever the release added first is taken out (and reported) before the action's own text goes after it.
    this.restore(name)
    const bytes = Buffer.from(text, 'utf8')
    appendFileSync(file, bytes)
    this.expected.set(name, Buffer.concat([this.expected.get(name) ?? Buffer.alloc(0), bytes]))
  }
}
