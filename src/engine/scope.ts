// A running phase's handle: it runs the code under test in its sealed environment, records each
// command, checks what must hold, and fails the phase on a process left behind or a runtime under HOME.
import os from 'node:os'
import path from 'node:path'
import { runCommand, type CommandResult } from '../host/command.js'
import { describeProcess, killProcesses, leftRunning, recordedDaemonPid, type RunProcesses } from '../host/containment.js'
import { carryPackageConfig, KTX_ENV, prependPath, sealedEnv } from '../host/env.js'
import { runtimeFiles } from '../host/home.js'
import type { Sandbox } from '../host/sandbox.js'
import { CancelledError, ExpectationError, verify, type Check } from './checks.js'
import type { CommandRecord, PhaseName, SmokeContext } from './context.js'
import { LIMITS } from './limits.js'

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

  /** A note that is shown even in a quiet log: what the run waits for, and why. */
  progress(line: string): void {
    this.notes.push(line)
    this.ctx.log.progress(line)
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
    this.record(display, result)
    if (ctx.cancellation.signal) throw new CancelledError(ctx.cancellation.signal)
    const leftovers = await this.stopLeftovers()
    const homeFiles = options.watchHome ? (ctx.homeWatch?.newFiles() ?? []) : []
    verify(result, checks)
    if (leftovers) throw new ExpectationError(leftovers, result)
    this.judgeHomeFiles(homeFiles, result)
    return result
  }

  /** Records a command of the code under test in the phase's report (exec does; so do runs that are only timed). */
  record(display: string, result: CommandResult): void {
    this.commands.push({
      command: display,
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      durationMs: result.durationMs,
      stdout: trimForReport(result.stdout),
      stderr: trimForReport(result.stderr)
    })
  }

  /** Kills what the command left running (but the project's daemon); says what, for the failure. */
  private async stopLeftovers(): Promise<string | undefined> {
    const { ctx } = this
    if (!ctx.sandbox) return undefined
    const left = await leftRunning(runOf(ctx), daemonPids(ctx), OUTLIVE_GRACE_MS)
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

/** How the run's processes are found: its marker, its sandbox, and (Linux) when it began. */
export function runOf(ctx: SmokeContext): RunProcesses {
  return { runId: ctx.runId, root: ctx.sandbox!.root, since: ctx.since, tag: ctx.tag }
}

/** The pids that may outlive a command: the project's daemon (as its state file and the start phases name it). */
export function daemonPids(ctx: SmokeContext): number[] {
  const pids = [ctx.facts.daemon?.pid, ctx.sandbox ? recordedDaemonPid(ctx.sandbox.projectDir) : undefined]
  return pids.filter((pid): pid is number => pid !== undefined)
}

/**
 * The sealed environment of the package install: no secrets, a HOME of the sandbox's own (the
 * release's install scripts cannot write the runner user's dotfiles), and the user's package
 * manager config carried in.
 */
export function installEnv(ctx: SmokeContext): NodeJS.ProcessEnv {
  const home = { home: ctx.sandbox!.installHome, tmp: ctx.sandbox!.tmp }
  return sealedEnv(process.env, { runId: ctx.runId, passthrough: ctx.inputs.envPassthrough, home, set: carryPackageConfig(process.env, os.homedir(), home) })
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
