import * as core from '@actions/core'
import { writeFileSync } from 'node:fs'
import { cachedPaths } from '../engine/cache.js'
import { actionsCacheClient } from './cache.js'
import { junitXml } from '../engine/junit.js'
import { disposeSandbox, stopWhatTheRunStarted } from '../host/cleanup.js'
import { actionSay } from './log.js'
import { InputError, parseInputs, type Inputs } from '../engine/inputs.js'
import { phasesFor } from '../ktx/phases/index.js'
import { ktxAdvice } from '../ktx/remedies.js'
import { killActiveCommands } from '../host/command.js'
import { actionLog } from './log.js'
import { outputsBeforeAnyPhase, outputsOf } from './outputs.js'
import { reportPaths, writeReport } from '../engine/report.js'
import { summaryMarkdown } from './summary.js'
import { newContext, type SmokeResult } from '../engine/context.js'
import { runPhases } from '../engine/runner.js'
import { STATE } from '../engine/state.js'

/** Runs a reporter; a failing one becomes a warning and never hides the smoke's result. */
function safely(what: string, fn: () => unknown): Promise<void> {
  return Promise.resolve()
    .then(fn)
    .then(
      () => undefined,
      error => core.warning(`Could not write the ${what}: ${(error as Error).message}`)
    )
}

/** Sets outputs; a GITHUB_OUTPUT that cannot be written is a warning, not a crash. */
function setOutputs(values: Record<string, string>): void {
  try {
    for (const [name, value] of Object.entries(values)) core.setOutput(name, value)
  } catch (error) {
    core.warning(`Could not write the step outputs: ${(error as Error).message}`)
  }
}

/**
 * GITHUB_STATE for the post step, kept in memory as well. When the file cannot be written the post
 * step will not know the sandbox, so main cleans up fully itself (`lost` tells it to).
 */
function stateStore(): { save: (name: string, value: string) => void; get: (name: string) => string | undefined; lost: () => boolean } {
  const values = new Map<string, string>()
  let lost = false
  return {
    save(name, value) {
      values.set(name, value)
      try {
        core.saveState(name, value)
      } catch (error) {
        if (!lost) core.warning(`Could not save state for the post step (${(error as Error).message}); the main step cleans up itself.`)
        lost = true
      }
    },
    get: name => values.get(name),
    lost: () => lost
  }
}

/** The main step: parse inputs, run the phases, stop what they started, report. Returns the exit code. */
export async function run(): Promise<number> {
  let inputs: Inputs
  try {
    inputs = parseInputs(name => core.getInput(name))
  } catch (error) {
    setOutputs(outputsBeforeAnyPhase())
    core.setFailed(error instanceof InputError ? error.message : `Could not read the inputs: ${(error as Error).message}`)
    return 1
  }

  const state = stateStore()
  const services = {
    cache: actionsCacheClient,
    event: { name: process.env.GITHUB_EVENT_NAME, ref: process.env.GITHUB_REF, runnerEnvironment: process.env.RUNNER_ENVIRONMENT }
  }
  const ctx = newContext(inputs, actionLog(inputs.quiet), state.save, process.env.GITHUB_WORKSPACE || process.cwd(), services)
  state.save(STATE.runId, ctx.runId)
  state.save(STATE.keepSandbox, String(inputs.keepSandbox))

  // A cancelled run stops its command and its daemon itself and still reports; a second signal ends it at once.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (ctx.cancellation.signal) process.exit(1)
    core.info(`${signal}: cancelling during phase ${ctx.phase ?? '(before the first phase)'}; stopping what the run started`)
    killActiveCommands()
    ctx.cancellation.cancel(signal)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const result: SmokeResult = await runPhases(ctx, phasesFor(inputs), ktxAdvice)

  // Nothing the run started outlives the main step, whatever the phases left behind (while the reports are written).
  const root = result.sandbox?.root
  const grace = result.result === 'cancelled' ? CANCEL_GRACE_MS : undefined
  const stopping = root
    ? safely('cleanup', async () => {
        for (const line of await stopWhatTheRunStarted(root, ctx.runId, state.get, grace)) core.info(`cleanup: ${line}`)
        if (state.lost()) disposeSandbox(root, ctx.runId, inputs.keepSandbox, actionSay)
      })
    : Promise.resolve()

  // The post step saves the download caches of a fully passing run, unless they came from this very key.
  const cache = result.facts.cache
  if (cache?.used && result.result === 'passed' && !cache.hit && ctx.cacheDirs) {
    state.save(STATE.cacheSave, JSON.stringify({ key: cache.key, paths: cachedPaths(ctx.cacheDirs, inputs.packageManager) }))
  }

  const reports = reportPaths(ctx.runId)
  await safely('JSON report', () => writeReport(reports.json, result, inputs))
  await safely('JUnit report', () => writeFileSync(reports.junit, junitXml(result)))
  setOutputs(outputsOf(result, reports))
  await safely('job summary', () => core.summary.addRaw(summaryMarkdown(result)).write())
  for (const w of result.facts.homeWrites ?? []) core.warning(`ktx wrote under the sandbox HOME in ${w.phase}: ${w.files.map(f => `~/${f}`).join(', ')}`)
  await stopping

  switch (result.result) {
    case 'passed':
      core.info(`ktx smoke passed: ${result.phases.filter(p => p.status === 'passed').length} phases in ${result.durationMs} ms`)
      return 0
    case 'cancelled':
      core.setFailed(`Cancelled (${ctx.cancellation.signal}) during phase ${result.failedPhase}; the run's processes were stopped and the reports written.`)
      return 1
    case 'error':
      // The release was not judged: no fail-on-error can turn that into a green step.
      core.setFailed(result.failure ?? `Phase ${result.failedPhase} could not run`)
      return 1
    default:
      break
  }
  const message = result.failure ?? `Phase ${result.failedPhase} failed`
  if (inputs.failOnError) {
    core.setFailed(message)
    return 1
  }
  core.warning(`${message}\n(fail-on-error is false: the step succeeds with result=failed)`)
  return 0
}

/** How long a daemon gets after SIGTERM when the run is cancelled (the runner follows up within seconds). */
const CANCEL_GRACE_MS = 1000
