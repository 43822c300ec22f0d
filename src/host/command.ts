import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import crossSpawn from 'cross-spawn'
import { LIMITS } from '../engine/limits.js'

const IS_WINDOWS = process.platform === 'win32'
const OUTPUT_CAPTURE_LIMIT = LIMITS.capture

export interface CommandSpec {
  file: string
  args: string[]
  cwd: string
  env: NodeJS.ProcessEnv
  timeoutMs: number
  /** How the command is shown in logs and reports (defaults to file + args). */
  display?: string
  /** Receives output as it arrives (the log), already capped per command. */
  onOutput?: (text: string) => void
}

export interface CommandResult {
  display: string
  exitCode: number | null
  signal: string | null
  stdout: string
  stderr: string
  durationMs: number
  timedOut: boolean
  /** Set when the command could not be started at all. */
  spawnError?: string
}

/**
 * Keeps the head and the tail of a stream that may be huge; the middle is replaced by a marker.
 * Linear in the output: the tail is a list of chunks, and only whole chunks are dropped from its
 * front (the first kept one is cut once, when the text is asked for).
 */
export class CappedText {
  private head = ''
  private readonly tail: string[] = []
  private tailLength = 0
  private dropped = 0

  constructor(private readonly limit = OUTPUT_CAPTURE_LIMIT) {}

  push(text: string): void {
    if (this.head.length < this.limit) {
      const room = this.limit - this.head.length
      this.head += text.slice(0, room)
      text = text.slice(room)
    }
    if (text === '') return
    this.tail.push(text)
    this.tailLength += text.length
    while (this.tail.length > 1 && this.tailLength - this.tail[0].length >= this.limit) {
      const first = this.tail.shift()!
      this.tailLength -= first.length
      this.dropped += first.length
    }
  }

  toString(): string {
    let tail = this.tail.join('')
    let dropped = this.dropped
    if (tail.length > this.limit) {
      dropped += tail.length - this.limit
      tail = tail.slice(-this.limit)
    }
    if (dropped === 0) return this.head + tail
    return `${this.head}\n[… ${dropped} characters omitted …]\n${tail}`
  }
}

/** Children running right now, so that a cancelled action can take them down with it. */
const active = new Set<ChildProcess>()

/** Every pid this process started: on Windows, where environments cannot be read, the roots of the run's process tree. */
export const startedPids = new Set<number>()

const LOG_ECHO_LIMIT = LIMITS.logEcho
const KILL_GRACE_MS = 2000

/**
 * Runs one command in its own process group (POSIX) so that a timeout or a cancellation can kill
 * the whole tree, capturing stdout and stderr. Never rejects: failures are in the result.
 */
export function runCommand(spec: CommandSpec): Promise<CommandResult> {
  const display = spec.display ?? [spec.file, ...spec.args].join(' ')
  const started = Date.now()
  const stdout = new CappedText()
  const stderr = new CappedText()
  let echoed = 0
  const echo = (text: string): void => {
    if (!spec.onOutput || echoed > LOG_ECHO_LIMIT) return
    echoed += text.length
    spec.onOutput(echoed > LOG_ECHO_LIMIT ? `${text}\n[… further output of this command is not shown in the log …]\n` : text)
  }

  return new Promise(resolve => {
    // A Windows .cmd shim (npm.cmd, pnpm.cmd) only starts through cmd.exe: cross-spawn quotes every
    // argument for it, % and ^ included, so that none is read as syntax.
    const viaCmd = IS_WINDOWS && /\.(cmd|bat)$/i.test(spec.file)
    let child: ChildProcess
    try {
      child = viaCmd
        ? crossSpawn(spec.file, spec.args, { cwd: spec.cwd, env: spec.env, windowsHide: true, stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn(spec.file, spec.args, {
            cwd: spec.cwd,
            env: spec.env,
            detached: !IS_WINDOWS,
            windowsHide: true,
            stdio: ['ignore', 'pipe', 'pipe']
          })
    } catch (error) {
      resolve({
        display,
        exitCode: null,
        signal: null,
        stdout: '',
        stderr: '',
        durationMs: Date.now() - started,
        timedOut: false,
        spawnError: (error as Error).message
      })
      return
    }
    active.add(child)
    if (child.pid) startedPids.add(child.pid)
    let timedOut = false
    let settled = false
    let spawnError: string | undefined
    let exitCode: number | null = null
    let signal: string | null = null

    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      stdout.push(text)
      echo(text)
    })
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      stderr.push(text)
      echo(text)
    })

    let escalation: NodeJS.Timeout | undefined
    const timer = setTimeout(() => {
      timedOut = true
      killTree(child.pid, 'SIGTERM')
      escalation = setTimeout(() => killTree(child.pid, 'SIGKILL'), KILL_GRACE_MS)
      escalation.unref()
    }, spec.timeoutMs)

    const finish = (): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      clearTimeout(escalation)
      active.delete(child)
      // Whatever the command left behind in its group goes with it.
      if (timedOut) killGroup(child.pid)
      resolve({
        display,
        exitCode,
        signal,
        stdout: stdout.toString(),
        stderr: stderr.toString(),
        durationMs: Date.now() - started,
        timedOut,
        spawnError
      })
    }
    child.on('error', error => {
      spawnError = error.message
      finish()
    })
    child.on('exit', (code, sig) => {
      exitCode = code
      signal = sig
      // Once it has exited its pid may be reused: never signal it again.
      clearTimeout(escalation)
      // A grandchild that kept our pipes open must not keep us waiting.
      setTimeout(() => {
        child.stdout?.destroy()
        child.stderr?.destroy()
        finish()
      }, 1000).unref()
    })
    child.on('close', finish)
  })
}

/** Kills a process and its whole tree: the process group on POSIX, `taskkill /T` on Windows. */
export function killTree(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!pid) return
  if (IS_WINDOWS) {
    spawnSync('taskkill', ['/T', '/F', '/PID', String(pid)], { stdio: 'ignore', windowsHide: true })
    return
  }
  try {
    process.kill(-pid, signal)
  } catch {
    // Not a group leader (or already gone): fall back to the process itself.
  }
  try {
    process.kill(pid, signal)
  } catch {
    // Already gone.
  }
}

/** Kills a process group only (never a lone pid, which may have been reused once its process ended). */
function killGroup(pid: number | undefined): void {
  if (!pid || IS_WINDOWS) return
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // The group is gone.
  }
}

/** Kills every command still running; used when the action itself is cancelled. */
export function killActiveCommands(): void {
  for (const child of active) killTree(child.pid, 'SIGKILL')
}

/** True once the process no longer exists; a zombie (Linux state Z) counts as gone. */
export function isProcessGone(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
  if (process.platform === 'linux') {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8')
      if (/^State:\s+Z/m.test(status)) return true
    } catch {
      return true
    }
  }
  return false
}

export const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms))

/**
 * Polls `condition` until it holds or `timeoutMs` passes; returns whether it held. The first polls
 * come quickly (most things end within a few tens of milliseconds), later ones every 100 ms.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (let interval = 10; ; interval = Math.min(interval * 2, 100)) {
    if (await condition()) return true
    if (Date.now() >= deadline) return false
    await sleep(interval)
  }
}
