import * as core from '@actions/core'
import path from 'node:path'
import { InputError, parseInputs } from './inputs.js'
import { PHASES } from './phases.js'
import { killActiveCommands } from './process.js'
import { actionLog } from './reporters/log.js'
import { outputsBeforeAnyPhase, outputsOf } from './reporters/outputs.js'
import { writeReport } from './reporters/report.js'
import { summaryMarkdown } from './reporters/summary.js'
import { tempParent } from './sandbox.js'
import { newContext, runPhases, type PhaseName, type SmokeResult } from './smoke.js'

/** Runs a reporter; a failing one becomes a warning and never hides the smoke's result. */
function safely(what: string, fn: () => unknown): Promise<void> {
  return Promise.resolve()
    .then(fn)
    .then(
      () => undefined,
      error => core.warning(`Could not write the ${what}: ${(error as Error).message}`)
    )
}

/** The main step: parse inputs, run the phases, report. Returns the process exit code. */
export async function run(): Promise<number> {
  let inputs
  try {
    inputs = parseInputs(name => core.getInput(name))
  } catch (error) {
    for (const [name, value] of Object.entries(outputsBeforeAnyPhase())) core.setOutput(name, value)
    core.setFailed(error instanceof InputError ? error.message : `Could not read the inputs: ${(error as Error).message}`)
    return 1
  }

  const ctx = newContext(inputs, actionLog(), (name, value) => core.saveState(name, value), process.env.GITHUB_WORKSPACE || process.cwd())
  core.saveState('run-id', ctx.runId)
  core.saveState('keep-sandbox', String(inputs.keepSandbox))

  let current: PhaseName | undefined
  const onSignal = (signal: NodeJS.Signals): void => {
    killActiveCommands()
    core.setOutput('result', 'failed')
    core.setOutput('failed-phase', current ?? '')
    core.setFailed(`Cancelled (${signal}) during phase ${current ?? '(before the first phase)'}; the post step cleans up.`)
    process.exit(1)
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)

  const result: SmokeResult = await runPhases(ctx, PHASES, name => (current = name))
  const reportPath = path.join(tempParent(), `ktx-smoke-report-${ctx.runId}.json`)
  await safely('JSON report', () => writeReport(reportPath, result, inputs))
  await safely('step outputs', () => {
    for (const [name, value] of Object.entries(outputsOf(result, reportPath))) core.setOutput(name, value)
  })
  await safely('job summary', () => core.summary.addRaw(summaryMarkdown(result)).write())

  if (result.result === 'passed') {
    core.info(`ktx smoke passed: ${result.phases.filter(p => p.status === 'passed').length} phases in ${result.durationMs} ms`)
    return 0
  }
  const message = result.failure ?? `Phase ${result.failedPhase} failed`
  if (inputs.failOnError) {
    core.setFailed(message)
    return 1
  }
  core.warning(`${message}\n(fail-on-error is false: the step succeeds with result=failed)`)
  return 0
}
