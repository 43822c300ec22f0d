// The main step's own environment holds the runner's secrets: ACTIONS_RUNTIME_TOKEN and the cache,
// results and OIDC URLs and tokens, GITHUB_TOKEN when a workflow sets it on the step, every INPUT_*.
// Any process of the same user can read it in /proc/<pid>/environ, and the release under test runs
// as that user. So main first does what needs them (read the inputs, restore the download cache),
// then replaces its own process image with one whose environment holds only what the engine needs:
// same pid, so the runner still waits on it, and nothing secret left to read. What the first image
// learned reaches the second in a file only this user can read, which the second deletes before
// any code of the release runs.
import { randomUUID } from 'node:crypto'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { CacheDirs } from '../engine/cache.js'
import type { Facts, PhaseResult, ReleaseRef, SmokeContext } from '../engine/context.js'
import type { Inputs } from '../engine/inputs.js'
import type { FileCommand } from '../host/file-commands.js'
import type { Sandbox } from '../host/sandbox.js'

/** main.ts's argument for the second image: `--continue-from <handoff file>`. */
export const HANDOFF_FLAG = '--continue-from'

/** What the first image of the main step hands to the second. */
export interface Handoff {
  inputs: Inputs
  runId: string
  workspace: string
  startedAt: number
  /** The phases run so far (package). */
  phases: PhaseResult[]
  facts: Facts
  sandbox?: Sandbox
  since?: number
  tag?: SmokeContext['tag']
  release?: ReleaseRef
  host?: SmokeContext['host']
  uvBinary?: string
  cacheDirs?: CacheDirs
  userCaches?: SmokeContext['userCaches']
  pathDir?: string
  /** What was saved for the post step so far. */
  state: [string, string][]
  /** The step's file commands, whose paths the second image keeps in its memory only. */
  fileCommands: Partial<Record<FileCommand, string>>
  /** The runner's copies of the job's actions (`<work>/_actions`), watched. */
  actionsDir?: string
}

/** Writes the handoff where only this user can read it; returns its path. */
export function writeHandoff(dir: string, handoff: Handoff): string {
  const file = path.join(dir, `ktx-smoke-handoff-${randomUUID()}.json`)
  writeFileSync(file, JSON.stringify(handoff), { mode: 0o600, flag: 'wx' })
  return file
}

/** Reads the handoff and deletes it at once. */
export function takeHandoff(file: string): Handoff {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Handoff
  } finally {
    rmSync(file, { force: true })
  }
}

/** Flushes what this image wrote to the log (pipes may be asynchronous), then replaces it. Returns only when it cannot. */
export async function reexec(file: string, env: NodeJS.ProcessEnv): Promise<Error> {
  await Promise.all([process.stdout, process.stderr].map(stream => new Promise(resolve => stream.write('', resolve))))
  try {
    const execve = (process as unknown as { execve: (file: string, args: string[], env: NodeJS.ProcessEnv) => void }).execve
    execve(process.execPath, [process.execPath, ...process.execArgv, process.argv[1], HANDOFF_FLAG, file], env)
    return new Error('process.execve returned')
  } catch (error) {
    rmSync(file, { force: true })
    return error as Error
  }
}
