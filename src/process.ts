import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'

const IS_WINDOWS = process.platform === 'win32'

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

/** Keeps the head and the tail of a stream that may be huge; the middle is replaced by a marker. */
export class CappedText {
  private head = ''
  private tail = ''
  private dropped = 0

  constructor(private readonly limit = 4 * 1024 * 1024) {}

  push(text: string): void {
    if (this.head.length < this.limit) {
      const room = this.limit - this.head.length
      this.head += text.slice(0, room)
      text = text.slice(room)
    }
    if (text === '') return
    this.tail += text
    if (this.tail.length > this.limit) {
      this.dropped += this.tail.length - this.limit
      this.tail = this.tail.slice(-this.limit)
    }
  }

  toString(): string {
    if (this.dropped === 0) return this.head + this.tail
    return `${this.head}\n[… ${this.dropped} characters omitted …]\n${this.tail}`
  }
}

/** Children running right now, so that a cancelled action can take them down with it. */
const active = new Set<ChildProcess>()

/** Log output of one command beyond this is not echoed (it is still captured, capped). */
const LOG_ECHO_LIMIT = 256 * 1024
const KILL_GRACE_MS = 2000

function quoteForCmd(arg: string): string {
  return /^[\w\-.,:/\\=@+]+$/.test(arg) ? arg : `"${arg.replace(/"/g, '""')}"`
}

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
    // A Windows .cmd shim (npm.cmd, ktx.cmd) can only be started through the shell.
    const viaShell = IS_WINDOWS && /\.(cmd|bat)$/i.test(spec.file)
    let child: ChildProcess
    try {
      child = viaShell
        ? spawn([spec.file, ...spec.args].map(quoteForCmd).join(' '), {
            cwd: spec.cwd,
            env: spec.env,
            shell: true,
            windowsHide: true,
            stdio: ['ignore', 'pipe', 'pipe']
          })
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

    const timer = setTimeout(() => {
      timedOut = true
      killTree(child.pid, 'SIGTERM')
      setTimeout(() => killTree(child.pid, 'SIGKILL'), KILL_GRACE_MS).unref()
    }, spec.timeoutMs)

    const finish = (): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      active.delete(child)
      // Whatever the command left behind in its group goes with it.
      if (timedOut) killTree(child.pid, 'SIGKILL')
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
