// ktx-smoke's terminal reporter. On a TTY: one live line per phase with a spinner and the elapsed
// time, then ✓/✗ and the duration. Elsewhere: plain lines, and a heartbeat while a phase runs.
// Colour follows NO_COLOR and FORCE_COLOR (picocolors). Command output shows with --verbose only.
import pc from 'picocolors'
import { formatDuration } from '../engine/format.js'
import { type PhaseResult, type PhaseStatus, type SmokeLog, STATUS_MARK } from '../engine/context.js'

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
const COLOUR: Record<PhaseStatus, (text: string) => string> = {
  passed: pc.green,
  failed: pc.red,
  error: pc.yellow,
  cancelled: pc.yellow,
  skipped: pc.dim
}

export interface TerminalLog extends SmokeLog {
  /** Stops the live line (before the process exits). */
  stop(): void
}

export function terminalLog(out: NodeJS.WriteStream, verbose: boolean): TerminalLog {
  const tty = out.isTTY === true && !verbose
  let current = ''
  let started = 0
  let frame = 0
  let timer: NodeJS.Timeout | undefined
  const write = (text: string): boolean => out.write(text)
  const live = (): void => {
    write(`\r\x1b[2K  ${pc.cyan(FRAMES[frame++ % FRAMES.length])} ${current} ${pc.dim(`(${formatDuration(Date.now() - started)})`)}`)
  }
  const stop = (): void => {
    if (timer) clearInterval(timer)
    timer = undefined
  }
  return {
    startPhase(name, title) {
      current = `${name.padEnd(16)} ${title}`
      started = Date.now()
      if (!tty) return
      live()
      timer = setInterval(live, 100)
      timer.unref()
    },
    info(line) {
      if (verbose) write(`    ${line}\n`)
    },
    warning(line) {
      if (tty) write('\r\x1b[2K')
      write(`  ${pc.yellow('!')} ${line}\n`)
      if (tty) live()
    },
    progress(line) {
      if (tty) write('\r\x1b[2K')
      write(`    ${line}\n`)
      if (tty) live()
    },
    commandStarted(display) {
      if (verbose) write(`    $ ${display}\n`)
    },
    output(text) {
      if (verbose) write(text)
    },
    commandFinished() {},
    heartbeat(name, elapsedMs) {
      // A TTY shows the time on the live line; a plain log gets a line now and then.
      if (!tty) write(`  … ${name}: still running, ${formatDuration(elapsedMs)}\n`)
    },
    endPhase(result: PhaseResult) {
      stop()
      const line = `  ${COLOUR[result.status](STATUS_MARK[result.status])} ${current} ${pc.dim(`(${formatDuration(result.durationMs)})`)}\n`
      write(tty ? `\r\x1b[2K${line}` : line)
    },
    stop
  }
}
