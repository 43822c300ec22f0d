import { writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { cachedPaths } from '../engine/cache.js'
import { actionsCacheClient } from './cache.js'
import { junitXml } from '../engine/junit.js'
import { disposeSandbox, stopWhatTheRunStarted } from '../host/cleanup.js'
import { InputError, type Inputs } from '../engine/inputs.js'
import { parseInputs } from '../engine/parse-inputs.js'
import { phasesFor } from '../ktx/phases/index.js'
import { ktxAdvice } from '../ktx/remedies.js'
import { killActiveCommands } from '../host/command.js'
import { actionLog } from './log.js'
import { type ActionIO, coreCommands } from './commands.js'
import { outputsBeforeAnyPhase, outputsOf } from './outputs.js'
import { reportPaths, writeReport } from '../engine/report.js'
import { summaryMarkdown } from './summary.js'
import { newContext, type SmokeContext, type SmokeResult } from '../engine/context.js'
import { failAfterRun, guardBreach, runPhases, type Continued } from '../engine/runner.js'
import { STATE } from '../engine/state.js'
import { FileCommandGuard, fileCommandPaths } from '../host/file-commands.js'
import { HomeWatch } from '../host/home.js'
import { outsideWatch, ownedByTheRun } from '../host/outside.js'
import { tempParent } from '../host/sandbox.js'
import { reexec, takeHandoff, writeHandoff, type Handoff } from './handoff.js'
import { canReexec, ENGINE_VARIABLES, engineEnv } from '../host/env.js'

/** Runs a reporter; a failing one becomes a warning and never hides the smoke's result. */
function safely(core: ActionIO, what: string, fn: () => unknown): Promise<void> {
  return Promise.resolve()
    .then(fn)
    .then(
      () => undefined,
      error => core.warning(`Could not write the ${what}: ${(error as Error).message}`)
    )
}

/**
 * The step's file commands as the action writes them: through the guard where the runner gave a
 * file (so that it knows every byte the action wrote), as workflow commands elsewhere (a local
 * runner).
 */
interface StepFiles {
  io: ActionIO
  output(name: string, value: string): void
  state(name: string, value: string): void
  summary(markdown: string): Promise<unknown>
}

function stepFiles(guard: FileCommandGuard, io: ActionIO): StepFiles {
  const paths = guard.paths
  return {
    io,
    output: (name, value) => (paths.GITHUB_OUTPUT ? guard.write('GITHUB_OUTPUT', name, value) : io.setOutput(name, value)),
    state: (name, value) => (paths.GITHUB_STATE ? guard.write('GITHUB_STATE', name, value) : io.saveState(name, value)),
    summary: async markdown => (paths.GITHUB_STEP_SUMMARY ? guard.append('GITHUB_STEP_SUMMARY', markdown) : io.appendSummary(markdown))
  }
}

/** Sets outputs; a GITHUB_OUTPUT that cannot be written is a warning, not a crash. */
function setOutputs(files: StepFiles, values: Record<string, string>): void {
  try {
    for (const [name, value] of Object.entries(values)) files.output(name, value)
  } catch (error) {
    files.io.warning(`Could not write the step outputs: ${(error as Error).message}`)
  }
}

interface StateStore {
  save: (name: string, value: string) => void
  get: (name: string) => string | undefined
  lost: () => boolean
  entries: () => [string, string][]
}

/**
 * GITHUB_STATE for the post step, kept in memory as well. When the file cannot be written the post
 * step will not know the sandbox, so main cleans up fully itself (`lost` tells it to).
 */
function stateStore(files: StepFiles, saved: [string, string][] = []): StateStore {
  const values = new Map<string, string>(saved)
  let lost = false
  return {
    save(name, value) {
      values.set(name, value)
      try {
        files.state(name, value)
      } catch (error) {
        if (!lost) files.io.warning(`Could not save state for the post step (${(error as Error).message}); the main step cleans up itself.`)
        lost = true
      }
    },
    get: name => values.get(name),
    lost: () => lost,
    entries: () => [...values]
  }
}

/** A cancelled run stops its command and its daemon itself and still reports; a second signal ends it at once. */
function cancelOnSignals(ctx: SmokeContext, core: ActionIO): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    if (ctx.cancellation.signal) process.exit(1)
    core.info(`${signal}: cancelling during phase ${ctx.phase ?? '(before the first phase)'}; stopping what the run started`)
    killActiveCommands()
    ctx.cancellation.cancel(signal)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}

/**
 * What watches the world outside the sandbox while the release runs (taken before it first runs):
 * the job's file commands, restored to what the action wrote; the checkout, the runner's copies of
 * the job's actions and the runner user's dotfiles, watched for net changes (host/outside.ts).
 */
function watchOutside(ctx: SmokeContext, guard: FileCommandGuard): void {
  const started = performance.now()
  const runnerTemp = process.env.RUNNER_TEMP?.trim()
  const watch = outsideWatch({
    workspace: ctx.workspace,
    actionsDir: runnerTemp ? path.join(path.dirname(runnerTemp), '_actions') : undefined,
    home: os.homedir(),
    ignore: ownedByTheRun(ctx)
  })
  ctx.guards = [guard, watch]
  ctx.facts.watchMs = Math.round(performance.now() - started)
}

/** The main step: parse inputs, restore the caches, then (re-executed without the runner's secrets) run the phases and report. */
export async function run(options: { reexec?: boolean; io?: ActionIO } = {}): Promise<number> {
  // Without io: a local runner's call, which stands in for @actions/core (dist/ passes its own).
  const core = options.io ?? (await coreCommands())
  const guard = new FileCommandGuard(fileCommandPaths(process.env))
  const files = stepFiles(guard, core)
  let inputs: Inputs
  try {
    inputs = parseInputs(name => core.getInput(name))
  } catch (error) {
    setOutputs(files, outputsBeforeAnyPhase())
    core.setFailed(error instanceof InputError ? error.message : `Could not read the inputs: ${(error as Error).message}`)
    return 1
  }

  const state = stateStore(files)
  const services = {
    cache: actionsCacheClient,
    event: { name: process.env.GITHUB_EVENT_NAME, ref: process.env.GITHUB_REF, runnerEnvironment: process.env.RUNNER_ENVIRONMENT }
  }
  const ctx = newContext(inputs, actionLog(core, inputs.quiet), state.save, process.env.GITHUB_WORKSPACE || process.cwd(), services)
  state.save(STATE.runId, ctx.runId)
  state.save(STATE.keepSandbox, String(inputs.keepSandbox))
  cancelOnSignals(ctx, core)

  // The package phase runs no code of the release, and restores the caches with the runner's tokens.
  const startedAt = Date.now()
  const [first, ...rest] = phasesFor(inputs)
  const head = await runPhases(ctx, [first], ktxAdvice)
  if (head.result !== 'passed') return finish(ctx, head, state, files)
  const continued: Continued = { phases: head.phases, startedAt }
  if (options.reexec && canReexec()) {
    const file = writeHandoff(tempParent(), handoffOf(ctx, continued, state, guard))
    const error = await reexec(file, engineEnv(process.env, inputs.envPassthrough, ENGINE_VARIABLES))
    core.warning(`The main step could not drop the runner's variables from its own environment (${error.message}); it goes on with them.`)
  } else if (options.reexec) {
    core.info(
      "This runner cannot replace the main step's process (Windows, or a Node without process.execve): it keeps the runner's variables in its own environment (docs/security.md in ktx-smoke-action)."
    )
  }
  watchOutside(ctx, guard)
  return finish(ctx, await runPhases(ctx, rest, ktxAdvice, continued), state, files)
}

/** What the second image needs to go on where the first stopped. */
function handoffOf(ctx: SmokeContext, continued: Continued, state: StateStore, guard: FileCommandGuard): Handoff {
  const { inputs, runId, workspace, facts, sandbox, since, tag, release, host, uvBinary, cacheDirs, userCaches, pathDir } = ctx
  return {
    inputs,
    runId,
    workspace,
    ...continued,
    facts,
    sandbox,
    since,
    tag,
    release,
    host,
    uvBinary,
    cacheDirs,
    userCaches,
    pathDir,
    state: state.entries(),
    fileCommands: guard.paths
  }
}

/** The main step's second image: goes on from the handoff, with nothing of the runner's secrets in its environment. */
export async function resume(file: string, core: ActionIO): Promise<number> {
  const handoff = takeHandoff(file)
  // The file commands' paths live in this process's memory only, where @actions/core finds them (a crash report).
  Object.assign(process.env, handoff.fileCommands)
  // What the step's files hold now is what the runner and the action wrote: no code of the release has run yet.
  const guard = new FileCommandGuard(handoff.fileCommands)
  const files = stepFiles(guard, core)
  const state = stateStore(files, handoff.state)
  const base = newContext(handoff.inputs, actionLog(core, handoff.inputs.quiet), state.save, handoff.workspace, { event: {} })
  const { facts, sandbox, since, tag, release, host, uvBinary, cacheDirs, userCaches, pathDir } = handoff
  const ctx: SmokeContext = { ...base, runId: handoff.runId, facts, sandbox, since, tag, release, host, uvBinary, cacheDirs, userCaches, pathDir }
  if (sandbox) ctx.homeWatch = new HomeWatch(sandbox.home)
  cancelOnSignals(ctx, core)
  watchOutside(ctx, guard)
  const [, ...rest] = phasesFor(handoff.inputs)
  return finish(ctx, await runPhases(ctx, rest, ktxAdvice, handoff), state, files)
}

/** Stops what the run started, looks outside the sandbox once more, reports. Returns the exit code. */
async function finish(ctx: SmokeContext, ran: SmokeResult, state: StateStore, files: StepFiles): Promise<number> {
  const { inputs } = ctx
  const core = files.io
  let result = ran
  // Nothing the run started outlives the main step; only then is the last look outside the sandbox worth taking.
  const root = result.sandbox?.root
  if (root) {
    const grace = result.result === 'cancelled' ? CANCEL_GRACE_MS : undefined
    await safely(core, 'cleanup', async () => {
      for (const line of await stopWhatTheRunStarted(root, ctx.runId, state.get, grace)) core.info(`cleanup: ${line}`)
      if (state.lost()) disposeSandbox(root, ctx.runId, inputs.keepSandbox, core)
    })
  }
  const breach = await guardBreach(ctx)
  if (breach) result = failAfterRun(result, breach)

  // The post step saves the download caches of a fully passing run, unless they came from this very key.
  const cache = result.facts.cache
  if (cache?.used && result.result === 'passed' && !cache.hit && ctx.cacheDirs) {
    state.save(STATE.cacheSave, JSON.stringify({ key: cache.key, paths: cachedPaths(ctx.cacheDirs, inputs.packageManager) }))
  }

  const reports = reportPaths(ctx.runId)
  await safely(core, 'JSON report', () => writeReport(reports.json, result, inputs))
  await safely(core, 'JUnit report', () => writeFileSync(reports.junit, junitXml(result)))
  setOutputs(files, outputsOf(result, reports))
  await safely(core, 'job summary', () => files.summary(summaryMarkdown(result)))
  for (const w of result.facts.homeWrites ?? []) core.warning(`ktx wrote under the sandbox HOME in ${w.phase}: ${w.files.map(f => `~/${f}`).join(', ')}`)

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
