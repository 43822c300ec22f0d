import { randomUUID } from 'node:crypto'
import path from 'node:path'
import type { CacheClient, CacheDirs } from './cache.js'
import { CancelledError, ExpectationError, SetupError, tailLines, verify, type Check } from './checks.js'
import { describeProcess, killProcesses, leftRunning, recordedDaemonPid } from './containment.js'
import { KTX_ENV, prependPath, sealedEnv } from './env.js'
import { managedUvPath, type Generation } from './generations.js'
import { type HomeWatch, runtimeFiles } from './home.js'
import type { InstallMode, Inputs } from './inputs.js'
import type { InstallPlan, Installed, ReleaseRef } from './install.js'
import { LIMITS } from './limits.js'
import { runCommand, type CommandResult } from './process.js'
import { cliReason, remedyFor, withoutRepeats, type RemedyContext } from './remedies.js'
import type { Sandbox } from './sandbox.js'
import type { TarballInfo } from './tarball.js'

/** The phases the first install mode runs, in order (the opt-in ones aside). */
export const CORE_PHASES = [
  'package',
  'install',
  'import',
  'version',
  'help',
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

/** The phases of each further install mode (`global`, or `project` after a global first). */
export const MODE_STEPS = ['install', 'version', 'status', 'query'] as const
export const modePhases = (mode: 'project' | 'global'): ModePhase[] => MODE_STEPS.map(step => `${mode}-${step}` as const)
type ModePhase = `${'project' | 'global'}-${(typeof MODE_STEPS)[number]}`

/** The phases of a run with the default inputs (installs: project,global). */
export const PHASE_NAMES = [...CORE_PHASES, ...modePhases('global')] as const

/** The core phases, each further mode's, `npx-version`, the opt-in local-embeddings ones, and one `extra-N` per line of `extra-commands`. */
export type PhaseName = (typeof CORE_PHASES)[number] | ModePhase | 'npx-version' | 'embeddings-install' | 'embeddings-compute' | `extra-${number}`

/** Whose fault: `failed` is the release's, `error` the caller's input, the host's or the action's own. */
export type Verdict = 'passed' | 'failed' | 'error' | 'cancelled'

export type PhaseStatus = Verdict | 'skipped'

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
  /** Files ktx commands wrote under the sandbox HOME (other than a runtime), by phase. */
  homeWrites?: { phase: PhaseName; files: string[] }[]
  /** Names env-passthrough let through to the code under test. */
  passedThrough?: string[]
  /** The install modes that ran, in order. */
  installs?: InstallMode[]
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
  result: Verdict
  /** The phase where the run stopped (failed, errored or was cancelled). */
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
  /** The release: the tarball's file, or a published version from the registry. */
  release?: ReleaseRef
  /** The first install mode's install, which every core phase runs ktx from. */
  installed?: Installed
  /** The tools on PATH the package phase found: the Node ktx runs on and the package manager. */
  host?: { node: string; nodeAbi: string; manager: string; managerVersion: string }
  /** The `uv-binary` input, found. */
  uvBinary?: string
  /** How the package manager installs, set by the install phase. */
  plan?: InstallPlan
  /** The installs of the further modes, by mode. */
  moreInstalls?: Partial<Record<'project' | 'global', Installed>>
  /** Watches what ktx commands write under the sandbox HOME. */
  homeWatch?: HomeWatch
  /** The name of the phase running now. */
  phase?: PhaseName
  cancellation: Cancellation
}

/** Settles when the run is cancelled; the action's and the CLI's signal handlers call `cancel`. */
export class Cancellation {
  signal?: string
  private fire!: (signal: string) => void
  readonly promise = new Promise<string>(resolve => (this.fire = resolve))

  cancel(signal: string): void {
    if (this.signal) return
    this.signal = signal
    this.fire(signal)
  }
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

/** A process that outlives its command gets this long to end by itself before it counts as left behind. */
const OUTLIVE_GRACE_MS = 1000

export function trimForReport(text: string, limit: number = LIMITS.record): string {
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

  /**
   * Runs a command of the code under test, recorded in the phase; checks are applied in order. Then
   * nothing it started may still run (but the project's daemon), and, for ktx, nothing of it may
   * sit under the sandbox HOME where a runtime would be.
   */
  async exec(
    file: string,
    args: string[],
    options: { cwd: string; env: NodeJS.ProcessEnv; timeoutSec: number; display: string; watchHome?: boolean },
    checks: Check[] = []
  ): Promise<CommandResult> {
    const { ctx } = this
    if (ctx.cancellation.signal) throw new CancelledError(ctx.cancellation.signal)
    const display = shortenPaths(options.display, ctx.sandbox)
    ctx.log.commandStarted(display)
    const result = await runCommand({
      file,
      args,
      cwd: options.cwd,
      env: options.env,
      timeoutMs: options.timeoutSec * 1000,
      display,
      onOutput: text => ctx.log.output(text)
    })
    this.last = result
    ctx.log.commandFinished(result)
    this.commands.push({
      command: display,
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      durationMs: result.durationMs,
      stdout: trimForReport(result.stdout),
      stderr: trimForReport(result.stderr)
    })
    if (ctx.cancellation.signal) throw new CancelledError(ctx.cancellation.signal)
    const leftovers = await this.stopLeftovers()
    const homeFiles = options.watchHome ? (ctx.homeWatch?.newFiles() ?? []) : []
    verify(result, checks)
    if (leftovers) throw new ExpectationError(leftovers, result)
    this.judgeHomeFiles(homeFiles, result)
    return result
  }

  /** Kills what the command left running (but the project's daemon); says what, for the failure. */
  private async stopLeftovers(): Promise<string | undefined> {
    const { ctx } = this
    if (!ctx.sandbox) return undefined
    const left = await leftRunning({ runId: ctx.runId, root: ctx.sandbox.root }, daemonPids(ctx), OUTLIVE_GRACE_MS)
    if (left === undefined) {
      if (!this.notes.includes(CANNOT_LIST)) this.note(CANNOT_LIST)
      return undefined
    }
    if (left.length === 0) return undefined
    const survivors = await killProcesses(left)
    const named = left.map(p => shortenPaths(describeProcess(p), ctx.sandbox)).join('; ')
    return `it left ${left.length} process(es) running after it exited: ${named}. ${survivors.length ? `${survivors.length} survived SIGKILL.` : 'They were killed.'} Only the project's daemon may outlive the command that started it.`
  }

  /** A runtime under ~/.ktx/runtime fails the phase; other files are warnings, or failures with home-writes: fail. */
  private judgeHomeFiles(files: string[], result: CommandResult): void {
    if (files.length === 0) return
    const { ctx } = this
    const home = shortenPaths(ctx.sandbox!.home, ctx.sandbox)
    const shown = (list: string[]): string =>
      list.length > LIMITS.homeFiles
        ? `${list
            .slice(0, LIMITS.homeFiles)
            .map(f => `~/${f}`)
            .join(', ')} and ${list.length - LIMITS.homeFiles} more`
        : list.map(f => `~/${f}`).join(', ')
    const runtime = runtimeFiles(files)
    if (runtime.length > 0) {
      throw new ExpectationError(
        `it wrote a runtime under the default root ${home}/.ktx/runtime (HOME is the sandbox's ${home}) although KTX_RUNTIME_ROOT was set: ${shown(runtime)}`,
        result
      )
    }
    const phase = ctx.phase!
    const writes = ctx.facts.homeWrites ?? []
    ctx.facts.homeWrites = writes
    const record = writes.find(w => w.phase === phase)
    if (record) record.files.push(...files)
    else writes.push({ phase, files: [...files] })
    const message = `ktx wrote under HOME (the sandbox's ${home}): ${shown(files)}`
    if (ctx.inputs.homeWrites === 'fail') throw new ExpectationError(`${message}; home-writes is fail`, result)
    this.warn(`${message}. A release should keep its files in the runtime root or the project; set home-writes to fail to make this a failure.`)
  }

  /** Runs the installed `ktx` (never through npx / pnpm exec) in the fixture project; `via` another install than the first. */
  ktx(args: string[], checks: Check[], timeoutSec = this.ctx.inputs.phaseTimeoutSec, via = this.ctx.installed): Promise<CommandResult> {
    const { sandbox } = this.ctx
    if (!via || !sandbox) throw new Error('ktx is not installed yet')
    const env = ktxEnv(this.ctx, via.binDir)
    const display = `ktx ${args.join(' ')}`
    return this.exec(via.ktx.file, [...via.ktx.args, ...args], { cwd: sandbox.projectDir, env, timeoutSec, display, watchHome: true }, checks)
  }
}

const CANNOT_LIST = 'processes cannot be listed on this host: whether a command left one running is not checked'

/** The pids that may outlive a command: the project's daemon (as its state file and the start phases name it). */
export function daemonPids(ctx: SmokeContext): number[] {
  const pids = [ctx.facts.daemon?.pid, ctx.sandbox ? recordedDaemonPid(ctx.sandbox.projectDir) : undefined]
  return pids.filter((pid): pid is number => pid !== undefined)
}

/** The sealed environment of the package install: no secrets, the user's HOME and package manager config. */
export function installEnv(ctx: SmokeContext): NodeJS.ProcessEnv {
  const tmp = ctx.sandbox!.tmp
  return sealedEnv(process.env, { runId: ctx.runId, passthrough: ctx.inputs.envPassthrough, set: { TMPDIR: tmp, TMP: tmp, TEMP: tmp } })
}

/** The sealed environment of every ktx command: the sandbox HOME, KTX_ENV, the runtime root, uv's dirs; `binDir` first on PATH. */
export function ktxEnv(ctx: SmokeContext, binDir?: string): NodeJS.ProcessEnv {
  const sandbox = ctx.sandbox!
  const uv = ctx.cacheDirs ?? { uvCache: path.join(sandbox.root, 'uv-cache'), uvPython: path.join(sandbox.root, 'uv-python') }
  const env = sealedEnv(process.env, {
    runId: ctx.runId,
    passthrough: ctx.inputs.envPassthrough,
    home: { home: sandbox.home, tmp: sandbox.tmp },
    set: { ...KTX_ENV, KTX_RUNTIME_ROOT: sandbox.runtimeRoot, UV_CACHE_DIR: uv.uvCache, UV_PYTHON_INSTALL_DIR: uv.uvPython }
  })
  if (ctx.pathDir) prependPath(env, ctx.pathDir)
  if (binDir) prependPath(env, binDir)
  return env
}

const VERDICT_WORDS: Record<Exclude<Verdict, 'passed'>, string> = { failed: 'failed', error: 'could not run', cancelled: 'was cancelled' }

/**
 * The message a phase that stopped the run ends with. It leads with the CLI's own reason when a
 * command failed, then the phase and the expectation, a remedy for a known cause, the command, its
 * exit code and the last lines of its output (a message printed twice shown once).
 */
export function failureMessage(
  phase: PhaseName,
  problem: string,
  result?: CommandResult,
  verdict: Exclude<Verdict, 'passed'> = 'failed',
  remedy?: RemedyContext
): string {
  const reason = result ? cliReason(result) : undefined
  const lines = reason ? [`${result!.display.split(' ')[0]}: ${reason}`] : []
  lines.push(`Phase ${phase} ${VERDICT_WORDS[verdict]}: ${problem}`)
  const fix = remedy && remedyFor([problem, result?.stderr ?? '', result?.stdout ?? ''].join('\n'), remedy)
  if (fix) lines.push(`Remedy: ${fix}`)
  if (result) {
    lines.push(`command: ${result.display}`)
    const exit = result.timedOut
      ? `timed out after ${Math.round(result.durationMs / 1000)} s`
      : result.exitCode === null
        ? `killed by ${result.signal}`
        : String(result.exitCode)
    lines.push(`exit code: ${exit}`)
    for (const stream of ['stderr', 'stdout'] as const) {
      const text = withoutRepeats(result[stream].trim().split(/\r?\n/)).join('\n')
      lines.push(text === '' ? `${stream}: (empty)` : `${stream} (last lines):\n${tailLines(text, 20)}`)
    }
  }
  return lines.join('\n')
}

/** What the remedies need to know of a run. */
function remedyContext(ctx: SmokeContext): RemedyContext {
  const managed = ctx.sandbox && ctx.facts.tarball ? managedUvPath(ctx.facts.tarball.version, ctx.sandbox.runtimeRoot) : undefined
  return { registryWaitSec: ctx.inputs.package ? ctx.inputs.registryWaitSec : undefined, managedUv: managed }
}

export function newContext(inputs: Inputs, log: SmokeLog, saveState: SaveState, workspace: string, services: Services): SmokeContext {
  return { inputs, runId: randomUUID(), workspace, facts: {}, log, saveState, services, cancellation: new Cancellation() }
}

/** Whose fault an exception in a phase is. */
function verdictOf(error: unknown): Exclude<Verdict, 'passed'> {
  if (error instanceof ExpectationError) return 'failed'
  if (error instanceof CancelledError) return 'cancelled'
  return 'error'
}

/** The phase's message for an exception: the action's own bugs say so, with the stack for the log. */
function problemOf(error: unknown): string {
  if (error instanceof ExpectationError || error instanceof SetupError || error instanceof CancelledError) return error.message
  const e = error instanceof Error ? error : new Error(String(error))
  return `internal error of ktx-smoke-action (please report it): ${e.stack ?? e.message}`
}

/** Runs the phases in order; the first failure, error or cancellation stops the run and the rest are skipped. */
export async function runPhases(ctx: SmokeContext, phases: Phase[], onPhase?: (name: PhaseName) => void): Promise<SmokeResult> {
  const started = Date.now()
  const results: PhaseResult[] = []
  let stopped: { phase: PhaseName; verdict: Exclude<Verdict, 'passed'>; message: string } | undefined
  const cancelled = ctx.cancellation.promise.then(signal => {
    throw new CancelledError(signal)
  })
  cancelled.catch(() => {})

  for (const phase of phases) {
    const skip = stopped
      ? `skipped: ${stopped.phase} ${VERDICT_WORDS[stopped.verdict]}`
      : ctx.cancellation.signal
        ? `skipped: cancelled by ${ctx.cancellation.signal}`
        : phase.enabled && !phase.enabled(ctx)
          ? (phase.skipReason ?? 'skipped')
          : undefined
    if (skip !== undefined) {
      results.push({ name: phase.name, title: phase.title, status: 'skipped', durationMs: 0, commands: [], notes: [], message: skip })
      continue
    }
    ctx.phase = phase.name
    onPhase?.(phase.name)
    ctx.log.startPhase(phase.name, phase.title)
    const scope = new PhaseScope(ctx)
    const phaseStart = Date.now()
    let status: PhaseStatus = 'passed'
    let message: string | undefined
    try {
      await Promise.race([phase.run(ctx, scope), cancelled])
    } catch (error) {
      status = verdictOf(error)
      const result = error instanceof ExpectationError ? (error.result ?? scope.last) : undefined
      message = shortenPaths(failureMessage(phase.name, problemOf(error), result, status, remedyContext(ctx)), ctx.sandbox)
      stopped = { phase: phase.name, verdict: status, message }
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
    result: stopped?.verdict ?? 'passed',
    failedPhase: stopped?.phase,
    failure: stopped?.message,
    phases: results,
    durationMs: Date.now() - started,
    facts: ctx.facts,
    runId: ctx.runId,
    sandbox: ctx.sandbox
  }
}
