// The phase runner: runs the phases in order, times them, and turns the first failure, error or
// cancellation into the run's verdict and a message that leads with the cause.
import type { CommandResult } from '../host/command.js'
import { CancelledError, ExpectationError, SetupError, tailLines } from './checks.js'
import { heartbeatMs, type PhaseName, type PhaseResult, type PhaseStatus, type SmokeContext, type SmokeResult, type Verdict } from './context.js'
import { PhaseScope, shortenPaths, type Phase } from './scope.js'

const VERDICT_WORDS: Record<Exclude<Verdict, 'passed'>, string> = { failed: 'failed', error: 'could not run', cancelled: 'was cancelled' }

/**
 * What knowledge of the CLI under test adds to a failure message (ktx's: `ktxAdvice` in
 * ktx/remedies.ts). Without it the message names the phase, the problem, the command, its exit code
 * and the last lines of its output.
 */
export interface FailureAdvice {
  /** The CLI's own words for why a command failed; they lead the message. */
  reason(result: CommandResult): string | undefined
  /** A remedy for a cause it knows, from the problem and the command's output. */
  remedy(text: string): string | undefined
  /** The output lines worth showing (a message the CLI printed twice, once). */
  shown(lines: string[]): string[]
}

/**
 * The message a phase that stopped the run ends with: the CLI's own reason when a command failed,
 * then the phase and the expectation, a remedy for a known cause, the command, its exit code and
 * the last lines of its output.
 */
export function failureMessage(
  phase: PhaseName,
  problem: string,
  result?: CommandResult,
  verdict: Exclude<Verdict, 'passed'> = 'failed',
  advice?: FailureAdvice
): string {
  const reason = result && advice?.reason(result)
  const lines = reason ? [`${result!.display.split(' ')[0]}: ${reason}`] : []
  lines.push(`Phase ${phase} ${VERDICT_WORDS[verdict]}: ${problem}`)
  const fix = advice?.remedy([problem, result?.stderr ?? '', result?.stdout ?? ''].join('\n'))
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
      const all = result[stream].trim().split(/\r?\n/)
      const text = (advice ? advice.shown(all) : all).join('\n')
      lines.push(text === '' ? `${stream}: (empty)` : `${stream} (last lines):\n${tailLines(text, 20)}`)
    }
  }
  return lines.join('\n')
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

/**
 * Runs the phases in order; the first failure, error or cancellation stops the run and the rest
 * are skipped. `advice` gives the failure message the CLI's knowledge (the front ends pass ktx's).
 */
export async function runPhases(ctx: SmokeContext, phases: Phase[], advice?: (ctx: SmokeContext) => FailureAdvice): Promise<SmokeResult> {
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
    ctx.log.startPhase(phase.name, phase.title)
    const scope = new PhaseScope(ctx)
    const phaseStart = Date.now()
    let status: PhaseStatus = 'passed'
    let message: string | undefined
    const heartbeat = setInterval(() => ctx.log.heartbeat(phase.name, Date.now() - phaseStart), heartbeatMs())
    try {
      await Promise.race([phase.run(ctx, scope), cancelled])
    } catch (error) {
      status = verdictOf(error)
      const result = error instanceof ExpectationError ? (error.result ?? scope.last) : undefined
      message = shortenPaths(failureMessage(phase.name, problemOf(error), result, status, advice?.(ctx)), ctx.sandbox)
      stopped = { phase: phase.name, verdict: status, message }
    } finally {
      clearInterval(heartbeat)
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
