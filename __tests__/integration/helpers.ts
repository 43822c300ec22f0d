// Shared by the integration tests: run the committed dist/ bundles the way a runner does and
// judge what they left behind.
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { after, afterEach } from 'node:test'
import { packFixture, type FixtureOptions } from '../../scripts/lib/fixture.js'
import { parseFileCommands, processesUnder, RUNS, runAction, scratch, type ActionRun, type RunOptions } from '../../scripts/lib/runner.js'
import { OUTPUT_NAMES } from '../../src/action/outputs.js'
import { STATE } from '../../src/engine/state.js'
import { MARKER_FILE } from '../../src/host/sandbox.js'
import { PHASE_NAMES } from '../../src/engine/context.js'

export async function smoke(fixture: FixtureOptions, inputs: Record<string, string> = {}, options: Partial<RunOptions> = {}): Promise<ActionRun> {
  return runAction({ inputs: { tarball: packFixture(fixture), ...inputs }, ...options })
}

/** Sandboxes left in RUNNER_TEMP: directories with the sandbox marker (not the reports, not the download caches). */
export function sandboxesIn(runnerTemp: string): string[] {
  return readdirSync(runnerTemp).filter(name => existsSync(path.join(runnerTemp, name, MARKER_FILE)))
}

/** Post step succeeded, nothing runs any more from RUNNER_TEMP, and the sandbox is gone. */
export function assertCleanedUp(run: ActionRun): void {
  assert.equal(run.post?.code, 0, run.post?.stderr)
  assert.deepEqual(run.leftovers, [], 'processes left running after the post step')
  assert.deepEqual(sandboxesIn(run.runnerTemp), [], 'the sandbox was not removed')
}

/** Most of a phase's log group a failed assertion shows. */
const SHOWN = 6000

/**
 * What a failed assertion on a run shows: the verdict and, for a phase that stopped the run, that
 * phase's log group (its commands and the CLI's output) and the error annotations; otherwise the
 * log's tail. Passed as the message of the assertions on result and failed-phase.
 */
export function explain(run: ActionRun): string {
  const phase = run.outputs['failed-phase'] ?? ''
  const log = run.main.stdout
  const head = `result: ${run.outputs.result ?? '(none)'}, failed-phase: ${phase || '(none)'}, main exit code: ${run.main.code}`
  const start = phase ? log.lastIndexOf(`::group::${phase}: `) : -1
  const errors = log
    .split('\n')
    .filter(line => line.startsWith('::error::'))
    .join('\n')
  if (start < 0) return `${head}\n--- end of the main step's log ---\n${log.slice(-SHOWN)}\n--- stderr ---\n${run.main.stderr.slice(-2000)}`
  const end = log.indexOf('::endgroup::', start)
  const group = log.slice(start, end < 0 ? undefined : end + '::endgroup::'.length)
  const shown = group.length > SHOWN ? `…${group.slice(-SHOWN)}` : group
  return `${head}\n--- log of phase ${phase} ---\n${shown}\n--- annotations ---\n${errors}`
}

export function assertPassed(run: ActionRun, generation: string): void {
  assert.equal(run.main.code, 0, explain(run))
  assert.equal(run.outputs.result, 'passed', explain(run))
  assert.equal(run.outputs['failed-phase'], '', explain(run))
  assert.equal(run.outputs['ktx-version'], '0.12.0')
  assert.equal(run.outputs['cli-generation'], generation)
  assert.equal(run.outputs['runtime-status-before'], 'missing')
  assert.equal(run.outputs['runtime-status-after'], 'ready')
  assert.equal(run.outputs['runtime-features'], 'core')
  assert.ok(Number(run.outputs['startup-ms']) > 0, 'startup-ms is a positive number')
  assert.match(run.outputs['daemon-url'], /^http:\/\/127\.0\.0\.1:\d+$/)
  assert.ok(Number(run.outputs['duration-ms']) > 0)
  const status = JSON.parse(run.outputs['runtime-status'])
  assert.equal(status.kind, 'ready')
  assert.equal(status.layout.runtimeRoot, run.outputs['runtime-root'])
  assert.ok(run.outputs['runtime-root'].startsWith(run.runnerTemp))
  const report = JSON.parse(readFileSync(run.outputs.report, 'utf8'))
  // The runtime generation is smoked without search, as its release smoke was.
  const skipped: string[] = generation === 'runtime' ? ['search'] : []
  assert.deepEqual(
    report.phases.map((p: { name: string; status: string }) => `${p.name}:${p.status}`),
    PHASE_NAMES.map(name => `${name}:${skipped.includes(name) ? 'skipped' : 'passed'}`)
  )
  for (const name of PHASE_NAMES) {
    if (skipped.includes(name)) {
      assert.doesNotMatch(run.main.stdout, new RegExp(`::group::${name}: `))
      assert.match(run.summary, new RegExp(`\\| \`${name}\` .* \\| - skipped \\|`))
      continue
    }
    assert.match(run.main.stdout, new RegExp(`::group::${name}: `))
    assert.match(run.summary, new RegExp(`\\| \`${name}\` .* \\| ✓ passed \\|`))
  }
  assert.match(run.summary, /## ktx smoke: ✅ passed/)
  assert.deepEqual(run.leftoversAfterMain, [], 'processes left running after the main step')
  assertCleanedUp(run)
}

/** Passed with exactly these phases, all of them passed, nothing left running. */
export function assertPassedWith(run: ActionRun, phases: readonly string[]): void {
  assert.equal(run.outputs.result, 'passed', explain(run))
  const report = JSON.parse(readFileSync(run.outputs.report, 'utf8'))
  assert.deepEqual(
    report.phases.map((p: { name: string; status: string }) => `${p.name}:${p.status}`),
    phases.map(name => `${name}:passed`)
  )
  assert.deepEqual(run.leftoversAfterMain, [])
  assertCleanedUp(run)
}

/** The release failed at `phase`: its fault, named in the outputs, the log, the summary and the reports. */
export function assertFailed(run: ActionRun, phase: string, message: RegExp): void {
  assertStopped(run, 'failed', phase, message)
}

/** The run could not judge the release (the input, the host or the action): result=error at `phase`. */
export function assertErrored(run: ActionRun, phase: string, message: RegExp): void {
  assertStopped(run, 'error', phase, message)
}

function assertStopped(run: ActionRun, verdict: 'failed' | 'error', phase: string, message: RegExp): void {
  assert.equal(run.outputs.result, verdict, explain(run))
  assert.equal(run.outputs['failed-phase'], phase, explain(run))
  assert.match(run.main.stdout, message)
  // The annotation leads with the CLI's own reason when a command failed, then names the phase.
  assert.match(run.main.stdout, new RegExp(`::error::(?:[^\\n]*?%0A)?Phase ${phase} ${verdict === 'failed' ? 'failed' : 'could not run'}`))
  assert.equal(run.main.code, 1, explain(run))
  assert.match(
    run.summary,
    verdict === 'failed' ? new RegExp(`^## ktx smoke: ❌ .*failed in \`${phase}\``) : new RegExp(`^## ktx smoke: ⚠️ .*error in \`${phase}\``)
  )
  const junit = readFileSync(run.outputs['junit-report'], 'utf8')
  assert.match(junit, new RegExp(`<testcase classname="ktx-smoke" name="${phase}" time="[\\d.]+">\\s*<${verdict === 'failed' ? 'failure' : 'error'} `))
  // Every phase before it passed, every one after it was skipped.
  const report = JSON.parse(readFileSync(run.outputs.report, 'utf8'))
  const names: string[] = report.phases.map((p: { name: string }) => p.name)
  const at = names.indexOf(phase)
  // (The runtime generation is smoked without search.)
  const before = (n: string): string => `${n}:${n === 'search' && run.outputs['cli-generation'] === 'runtime' ? 'skipped' : 'passed'}`
  assert.deepEqual(
    report.phases.map((p: { name: string; status: string }) => `${p.name}:${p.status}`),
    [...names.slice(0, at).map(before), `${phase}:${verdict}`, ...names.slice(at + 1).map(n => `${n}:skipped`)]
  )
  assert.deepEqual(run.leftoversAfterMain, [], 'processes left running after the main step')
  assertCleanedUp(run)
}

/**
 * After every test: nothing any run started is still running. After the file: its folder of runs
 * and scratch files (RUNS) is removed; a failed assertion has shown the log it needs by then.
 */
export function housekeeping(): void {
  afterEach(() => {
    assert.deepEqual(processesUnder(RUNS), [], 'a process started by the test is still running')
  })
  after(() => rmSync(RUNS, { recursive: true, force: true }))
}

/** Options that send `signal` to the main step once its log matches `marker`; `sent()` says whether it did, `sentAt()` when. */
export function killMainWhen(signal: NodeJS.Signals, marker: RegExp): { options: Partial<RunOptions>; sent: () => boolean; sentAt: () => number } {
  let seen = ''
  let sentAt = 0
  let pid = 0
  return {
    options: {
      onMainStarted: p => (pid = p),
      onMainOutput: text => {
        seen += text
        if (!sentAt && marker.test(seen)) {
          sentAt = Date.now()
          process.kill(pid, signal)
        }
      }
    },
    sent: () => sentAt > 0,
    sentAt: () => sentAt
  }
}

/** A HOME with the dotfiles a runner user has, to be watched. */
export function runnerHome(): string {
  const home = scratch('runner-home-')
  writeFileSync(path.join(home, '.bashrc'), "# the runner user's bashrc\n")
  writeFileSync(path.join(home, '.gitconfig'), '[user]\n\tname = runner\n')
  mkdirSync(path.join(home, '.config', 'gh'), { recursive: true })
  writeFileSync(path.join(home, '.config', 'gh', 'hosts.yml'), 'github.com: {}\n')
  return home
}

/** What a job's next steps get from the smoke's file commands: the action's own lines only. */
export function assertOwnFileCommands(run: ActionRun): void {
  const { files } = run.layout
  assert.equal(readFileSync(files.GITHUB_ENV, 'utf8'), '', 'GITHUB_ENV holds nothing')
  assert.equal(readFileSync(files.GITHUB_PATH, 'utf8'), '', 'GITHUB_PATH holds nothing')
  // Outputs and state hold the action's names only (the summary is the action's Markdown, which may quote the release).
  assert.deepEqual(
    Object.keys(parseFileCommands(readFileSync(files.GITHUB_OUTPUT, 'utf8'))).filter(name => !(OUTPUT_NAMES as readonly string[]).includes(name)),
    []
  )
  const states = Object.values(STATE) as string[]
  assert.deepEqual(
    Object.keys(parseFileCommands(readFileSync(files.GITHUB_STATE, 'utf8'))).filter(name => !states.includes(name)),
    []
  )
}
