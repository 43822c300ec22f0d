import { randomUUID } from 'node:crypto'
import type { CommandResult } from '../host/command.js'
import { type PhaseResult, type SmokeLog, STATUS_MARK } from '../engine/context.js'
import { formatDuration } from '../engine/format.js'
import type { ActionIO } from './commands.js'

/**
 * The run's log: one collapsed group per phase with its commands and their output, then a
 * one-line verdict outside the group; a failing phase's message stays expanded below it.
 * Quiet: only the verdict lines, warnings and errors.
 */
export function actionLog(core: ActionIO, quiet = false): SmokeLog {
  let token = ''
  let atLineStart = true
  if (quiet) {
    return {
      startPhase() {},
      info() {},
      warning: line => core.warning(line),
      progress: line => core.info(line),
      commandStarted() {},
      output() {},
      commandFinished() {},
      heartbeat() {},
      endPhase(result: PhaseResult) {
        core.info(`${STATUS_MARK[result.status]} ${result.name} ${result.status} in ${formatDuration(result.durationMs)}`)
      }
    }
  }
  return {
    startPhase(name, title) {
      core.startGroup(`${name}: ${title}`)
    },
    info(line) {
      core.info(line)
    },
    warning(line) {
      core.warning(line)
    },
    progress(line) {
      core.info(line)
    },
    commandStarted(display) {
      core.info(`$ ${display}`)
      // Whatever the CLI prints must not be read as workflow commands (::error::, ::set-output::…).
      token = randomUUID()
      core.info(`::stop-commands::${token}`)
    },
    output(text) {
      process.stdout.write(text)
      atLineStart = text.endsWith('\n')
    },
    commandFinished(result: CommandResult) {
      if (!atLineStart) process.stdout.write('\n')
      atLineStart = true
      core.info(`::${token}::`)
      const how = result.timedOut ? 'timed out' : result.exitCode === null ? `killed by ${result.signal}` : `exit ${result.exitCode}`
      core.info(`(${how} in ${formatDuration(result.durationMs)})`)
    },
    heartbeat(name, elapsedMs) {
      if (!atLineStart) process.stdout.write('\n')
      atLineStart = true
      core.info(`${name}: still running, ${formatDuration(elapsedMs)}`)
    },
    endPhase(result: PhaseResult) {
      core.endGroup()
      core.info(`${STATUS_MARK[result.status]} ${result.name} ${result.status} in ${formatDuration(result.durationMs)}`)
      if (result.status !== 'passed' && result.status !== 'skipped' && result.message) core.info(result.message)
    }
  }
}
