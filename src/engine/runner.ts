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
  /**
   * A cause it recognises that decides whose fault a failed command is, with its own headline and
   * remedy (a native module built for another Node: the tarball's binary, or this run's build).
   */
  judge?(result: CommandResult): Judged | undefined
}

/** A failure the CLI's knowledge has judged: whose fault, the headline, the remedy. */
export interface Judged {
  verdict: 'failed' | 'error'
  reason: string
  remedy: string
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
  advice?: FailureAdvice,
  judged?: Judged
): string {
  const reason = judged?.reason ?? (result && advice?.reason(result))
  const lines = judged ? [judged.reason] : reason ? [`${result!.display.split(' ')[0]}: ${reason}`] : []
  lines.push(`Phase ${phase} ${VERDICT_WORDS[verdict]}: ${problem}`)
  const fix = judged?.remedy ?? advice?.remedy([problem, result?.stderr ?? '', result?.stdout ?? ''].join('\n'))
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
 * What the guards (ctx.guards) found the release did outside its sandbox since they last looked,
 * or undefined. They are asked after every phase, and once more when the run is over; `note`
 * hears what they saw that is no change.
 */
export async function guardBreach(ctx: SmokeContext, note: (line: string) => void = line => ctx.log.info(line)): Promise<string | undefined> {
  if (!ctx.guards?.length) return undefined
  const started = performance.now()
  const found = await Promise.all(ctx.guards.map(guard => guard.check(note)))
  ctx.facts.watchMs = Math.round((ctx.facts.watchMs ?? 0) + performance.now() - started)
  const problems = found.filter((p): p is string => Boolean(p))
  return problems.length === 0 ? undefined : problems.join('; ')
}

/** A run that was over before the release is seen to have done `breach`: failed, at its last phase. */
export function failAfterRun(result: SmokeResult, breach: string, sandbox = result.sandbox): SmokeResult {
  const last = [...result.phases].reverse().find(p => p.status !== 'skipped')
  const phase = result.failedPhase ?? last?.name ?? 'package'
  const message = shortenPaths(`${failureMessage(phase, `after the run: ${breach}`)}${result.failure ? `\n\n${result.failure}` : ''}`, sandbox)
  return { ...result, result: 'failed', failedPhase: phase, failure: message }
}

/** Where a run taken over by a re-executed process goes on from: the phases done and when it began. */
export interface Continued {
  phases: PhaseResult[]
  startedAt: number
}

/**
 * Runs the phases in order; the first failure, error or cancellation stops the run and the rest
 * are skipped. `advice` gives the failure message the CLI's knowledge (the front ends pass ktx's).
 * `continued`: the phases a process before this one ran (a re-executed main step goes on).
 */
export async function runPhases(
  ctx: SmokeContext,
  phases: Phase[],
  advice?: (ctx: SmokeContext) => FailureAdvice,
  continued?: Continued
): Promise<SmokeResult> {
  const started = continued?.startedAt ?? Date.now()
  const results: PhaseResult[] = [...(continued?.phases ?? [])]
  // A run that stopped before (in an earlier process, or an earlier call) skips the rest.
  const earlier = results.find(p => p.status !== 'passed' && p.status !== 'skipped')
  let stopped: { phase: PhaseName; verdict: Exclude<Verdict, 'passed'>; message: string } | undefined = earlier && {
    phase: earlier.name,
    verdict: earlier.status as Exclude<Verdict, 'passed'>,
    message: earlier.message ?? ''
  }
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
    // A timer may fire a millisecond before its interval by the wall clock: never report less than it.
    const every = heartbeatMs()
    let beats = 0
    const heartbeat = setInterval(() => ctx.log.heartbeat(phase.name, Math.max(Date.now() - phaseStart, ++beats * every)), every)
    try {
      await Promise.race([phase.run(ctx, scope), cancelled])
    } catch (error) {
      status = verdictOf(error)
      const result = error instanceof ExpectationError ? (error.result ?? scope.last) : undefined
      const known = advice?.(ctx)
      const judged = result && known?.judge?.(result)
      if (judged) status = judged.verdict
      message = shortenPaths(failureMessage(phase.name, problemOf(error), result, status, known, judged || undefined), ctx.sandbox)
    } finally {
      clearInterval(heartbeat)
    }
    // What the release did outside its sandbox outweighs whatever else the phase found.
    const breach = await guardBreach(ctx, line => scope.note(line))
    if (breach) {
      message = shortenPaths(`${failureMessage(phase.name, breach)}${message ? `\n\n${message}` : ''}`, ctx.sandbox)
      status = 'failed'
    }
    if (status !== 'passed') stopped = { phase: phase.name, verdict: status as Exclude<Verdict, 'passed'>, message: message! }
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
