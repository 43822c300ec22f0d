import { randomUUID } from 'node:crypto'
import path from 'node:path'
import type { CacheClient, CacheDirs } from './cache.js'
import { ExpectationError, tailLines, verify, type Check } from './checks.js'
import type { Generation } from './generations.js'
import type { Inputs } from './inputs.js'
import { cleanEnv } from './install.js'
import { runCommand, type CommandResult } from './process.js'
import type { Sandbox } from './sandbox.js'
import type { TarballInfo } from './tarball.js'

export const PHASE_NAMES = [
  'install',
  'version',
  'runtime-missing',
  'project',
  'lazy-install',
  'runtime-ready',
  'query-execute',
  'runtime-checks',
  'daemon-start',
  'daemon-reuse',
  'daemon-stop'
] as const
/** The fixed phases, the opt-in local-embeddings ones, and one `extra-N` per line of `extra-commands`. */
export type PhaseName = (typeof PHASE_NAMES)[number] | 'embeddings-install' | 'embeddings-compute' | `extra-${number}`

export type PhaseStatus = 'passed' | 'failed' | 'skipped'

/** One command a phase ran, as the reports show it (output trimmed). */
export interface CommandRecord {
  command: string
  exitCode: number | null
  signal: string | null
  timedOut: boolean
  durationMs: number
  stdout: string
  stderr: string
}

export interface PhaseResult {
  name: PhaseName
  title: string
  status: PhaseStatus
  durationMs: number
  commands: CommandRecord[]
  notes: string[]
  /** Why the phase failed (or was skipped). */
  message?: string
}

/** What the phases learned along the way; the reporters read it. */
export interface Facts {
  tarball?: TarballInfo
  ktxVersion?: string
  generation?: Generation
  statusBefore?: string
  statusAfter?: string
  statusJson?: string
  features?: string[]
  runtimeRoot?: string
  warehouseRows?: number
  daemon?: { url: string; pid: number; statePath?: string }
  cache?: CacheFacts
}

export interface CacheFacts {
  /** Whether the cache service was used (restore now, save in the post step). */
  used: boolean
  key: string
  /** An exact key match was restored. */
  hit: boolean
  /** The key actually restored (a prefix match when not a hit). */
  restoredKey?: string
  /** Why the cache service was not used. */
  reason?: string
}

export interface SmokeResult {
  result: 'passed' | 'failed'
  failedPhase?: PhaseName
  /** The failing phase's full message: phase, command, expectation, exit code, output tail. */
  failure?: string
  phases: PhaseResult[]
  durationMs: number
  facts: Facts
  runId: string
  sandbox?: Sandbox
}

/** Where the engine writes its log; the action maps this onto log groups. */
export interface SmokeLog {
  startPhase(name: PhaseName, title: string): void
  /** A line of the phase's own narration. */
  info(line: string): void
  /** Something the user should act on, that does not fail the phase. */
  warning(line: string): void
  commandStarted(display: string): void
  /** Raw command output as it arrives. */
  output(text: string): void
  commandFinished(result: CommandResult): void
  endPhase(result: PhaseResult): void
}

/** Remembers what the post step needs (core.saveState in the action). */
export type SaveState = (name: string, value: string) => void

export interface SmokeContext {
  inputs: Inputs
  runId: string
  /** The workflow's directory that a relative `tarball` is resolved against. */
  workspace: string
  sandbox?: Sandbox
  ktxBin?: string
  facts: Facts
  log: SmokeLog
  saveState: SaveState
  /** What the default runtime root held for this version before the run ('' when nothing). */
  defaultRootMark?: string
  /** The cache service and the event that triggered the run. */
  services: Services
  /** Download caches the action owns (unless cache is false). */
  cacheDirs?: CacheDirs
  /** A directory put first on ktx's PATH (holds the uv-binary for releases that take uv from PATH). */
  pathDir?: string
}

export interface Services {
  /** The cache service; none on a local run (ktx-smoke), where the owned caches persist in the temp dir. */
  cache?: CacheClient
  event: { name?: string; ref?: string }
}

export interface Phase {
  name: PhaseName
  title: string
  /** When false, the phase is reported as skipped with `skipReason`. */
  enabled?: (ctx: SmokeContext) => boolean
  skipReason?: string
  run: (ctx: SmokeContext, scope: PhaseScope) => Promise<void>
}

/** Every ktx command runs with these (contract §2): no telemetry notice, no colour, no update check. */
export const KTX_ENV = {
  KTX_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
  NO_COLOR: '1',
  KTX_NO_UPDATE_CHECK: '1'
} as const

const RECORD_OUTPUT_LIMIT = 64 * 1024

export function trimForReport(text: string, limit = RECORD_OUTPUT_LIMIT): string {
  if (text.length <= limit) return text
  return `[… ${text.length - limit} characters trimmed …]\n${text.slice(-limit)}`
}

/** Replaces the sandbox root by `$SANDBOX` so that commands read well in logs. */
export function shortenPaths(text: string, sandbox?: Sandbox): string {
  return sandbox ? text.split(sandbox.root).join('$SANDBOX') : text
}

/** The running phase's handle: runs commands, records them, checks what must hold. */
export class PhaseScope {
  readonly commands: CommandRecord[] = []
  readonly notes: string[] = []
  last?: CommandResult

  constructor(private readonly ctx: SmokeContext) {}

  note(line: string): void {
    this.notes.push(line)
    this.ctx.log.info(line)
  }

  warn(line: string): void {
    this.notes.push(`warning: ${line}`)
    this.ctx.log.warning(line)
  }

  /** Runs any command, recorded in the phase; checks are applied in order. */
  async exec(
    file: string,
    args: string[],
    options: { cwd: string; env: NodeJS.ProcessEnv; timeoutSec: number; display: string },
    checks: Check[] = []
  ): Promise<CommandResult> {
    const display = shortenPaths(options.display, this.ctx.sandbox)
    this.ctx.log.commandStarted(display)
    const result = await runCommand({
      file,
      args,
      cwd: options.cwd,
      env: options.env,
      timeoutMs: options.timeoutSec * 1000,
      display,
      onOutput: text => this.ctx.log.output(text)
    })
    this.last = result
    this.ctx.log.commandFinished(result)
    this.commands.push({
      command: display,
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      durationMs: result.durationMs,
      stdout: trimForReport(result.stdout),
      stderr: trimForReport(result.stderr)
    })
    verify(result, checks)
    return result
  }

  /** Runs the installed `ktx` bin directly (never through npx / pnpm exec) in the fixture project. */
  ktx(args: string[], checks: Check[], timeoutSec = this.ctx.inputs.phaseTimeoutSec): Promise<CommandResult> {
    const { ktxBin, sandbox } = this.ctx
    if (!ktxBin || !sandbox) throw new Error('ktx is not installed yet')
    const env = ktxEnv(this.ctx)
    return this.exec(ktxBin, args, { cwd: sandbox.projectDir, env, timeoutSec, display: `ktx ${args.join(' ')}` }, checks)
  }
}

/** The environment of every ktx command: KTX_ENV, the sandbox's runtime root, the owned uv caches. */
export function ktxEnv(ctx: SmokeContext): NodeJS.ProcessEnv {
  const extra: Record<string, string> = { ...KTX_ENV, KTX_RUNTIME_ROOT: ctx.sandbox!.runtimeRoot }
  if (ctx.cacheDirs) Object.assign(extra, { UV_CACHE_DIR: ctx.cacheDirs.uvCache, UV_PYTHON_INSTALL_DIR: ctx.cacheDirs.uvPython })
  const env = cleanEnv(extra)
  if (ctx.pathDir) {
    const key = Object.keys(env).find(k => k.toUpperCase() === 'PATH') ?? 'PATH'
    env[key] = [ctx.pathDir, env[key]].filter(Boolean).join(path.delimiter)
  }
  return env
}

/** The message a failing phase ends with: what failed, the command, its exit code and output. */
export function failureMessage(phase: PhaseName, problem: string, result?: CommandResult): string {
  const lines = [`Phase ${phase} failed: ${problem}`]
  if (result) {
    lines.push(`command: ${result.display}`)
    const exit = result.timedOut
      ? `timed out after ${Math.round(result.durationMs / 1000)} s`
      : result.exitCode === null
        ? `killed by ${result.signal}`
        : String(result.exitCode)
    lines.push(`exit code: ${exit}`)
    for (const stream of ['stderr', 'stdout'] as const) {
      const text = result[stream].trim()
      lines.push(text === '' ? `${stream}: (empty)` : `${stream} (last lines):\n${tailLines(text, 20)}`)
    }
  }
  return lines.join('\n')
}

export function newContext(inputs: Inputs, log: SmokeLog, saveState: SaveState, workspace: string, services: Services): SmokeContext {
  return { inputs, runId: randomUUID(), workspace, facts: {}, log, saveState, services }
}

/** Runs the phases in order; the first failure stops the run and the rest are skipped. */
export async function runPhases(ctx: SmokeContext, phases: Phase[], onPhase?: (name: PhaseName) => void): Promise<SmokeResult> {
  const started = Date.now()
  const results: PhaseResult[] = []
  let failedPhase: PhaseName | undefined
  let failure: string | undefined

  for (const phase of phases) {
    if (failedPhase || (phase.enabled && !phase.enabled(ctx))) {
      results.push({
        name: phase.name,
        title: phase.title,
        status: 'skipped',
        durationMs: 0,
        commands: [],
        notes: [],
        message: failedPhase ? `skipped: ${failedPhase} failed` : phase.skipReason
      })
      continue
    }
    onPhase?.(phase.name)
    ctx.log.startPhase(phase.name, phase.title)
    const scope = new PhaseScope(ctx)
    const phaseStart = Date.now()
    let status: PhaseStatus = 'passed'
    let message: string | undefined
    try {
      await phase.run(ctx, scope)
    } catch (error) {
      status = 'failed'
      const result = error instanceof ExpectationError ? (error.result ?? scope.last) : scope.last
      const problem = error instanceof Error ? error.message : String(error)
      message = failureMessage(phase.name, shortenPaths(problem, ctx.sandbox), error instanceof ExpectationError ? result : undefined)
      failedPhase = phase.name
      failure = message
    }
    const phaseResult: PhaseResult = {
      name: phase.name,
      title: phase.title,
      status,
      durationMs: Date.now() - phaseStart,
      commands: scope.commands,
      notes: scope.notes,
      message
    }
    results.push(phaseResult)
    ctx.log.endPhase(phaseResult)
  }

  return {
    result: failedPhase ? 'failed' : 'passed',
    failedPhase,
    failure,
    phases: results,
    durationMs: Date.now() - started,
    facts: ctx.facts,
    runId: ctx.runId,
    sandbox: ctx.sandbox
  }
}
