// With `compare-to`: what changed since the release users have, read from the two tarballs (nothing
// installed), with its gates; and the start-up time of `ktx --version`, always, with its budget and,
// with compare-startup, against the other release's.
import { mkdirSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { isDynamicPattern } from 'tinyglobby'
import { expect, SetupError } from '../../engine/checks.js'
import type { Installed, SmokeContext } from '../../engine/context.js'
import { installEnv, ktxEnv, type Phase, type PhaseScope } from '../../engine/scope.js'
import { runCommand } from '../../host/command.js'
import { compareReleases, formatChange, gateFailures } from '../compare.js'
import { installProject } from '../install.js'
import { notServedYet } from '../served.js'
import { inspectTarball, resolveTarball, type TarballInfo } from '../tarball.js'
import { findTool } from '../tools.js'
import { sandboxOf } from './release.js'

/** An npm spec (`@kaelio/ktx@0.11.9`, `name@latest`), as against a path or a glob. */
const SPEC = /^(@[^/\s@]+\/[^/\s@]+|[^/\s@]+)@[^\s/]+$/

/** What `compare-to` names: the spec to fetch, or the file (path or glob) to read. `latest` alone is the release's own name at latest. */
export function compareTarget(value: string, name: string): { spec: string } | { file: string } {
  if (SPEC.test(value)) return { spec: value }
  if (!value.includes('/') && !value.includes('\\') && !value.endsWith('.tgz') && !isDynamicPattern(value)) return { spec: `${name}@${value}` }
  return { file: value }
}

/** `npm pack <spec>` into the sandbox; undefined when the registry does not have it (a first release). */
async function fetchBaseline(ctx: SmokeContext, s: PhaseScope, spec: string): Promise<string | undefined> {
  const npm = await findTool('npm', 'Use actions/setup-node before this step.')
  const dir = path.join(sandboxOf(ctx, s).root, 'compare-to')
  mkdirSync(dir, { recursive: true })
  const args = ['pack', spec, '--prefer-online', '--cache', path.join(ctx.sandbox!.root, 'npm-cache'), '--pack-destination', dir]
  const r = await s.exec(npm, args, { cwd: dir, env: installEnv(ctx), timeoutSec: ctx.inputs.installTimeoutSec, display: `npm ${args.join(' ')}` })
  const files = readdirSync(dir).filter(f => f.endsWith('.tgz'))
  if (r.exitCode === 0 && files.length === 1) return path.join(dir, files[0])
  const notServed = notServedYet(r.stderr)
  if (notServed) {
    s.note(`compare-to: the registry has no ${spec} (${notServed}): a first release, nothing to compare with`)
    return undefined
  }
  const why =
    r.stderr.split(/\r?\n/).find(line => /^npm (error|ERR!) /.test(line) && !/ code | errno | syscall /.test(line)) ?? `exit ${r.exitCode ?? r.signal}`
  throw new SetupError(`Input compare-to: cannot fetch ${spec} from the registry your npm config names: ${why}`)
}

export const COMPARE: Phase = {
  name: 'compare',
  title: 'What changed since compare-to: files, sizes, package.json, the wheel',
  async run(ctx, s) {
    const head = ctx.facts.tarball!
    const target = compareTarget(ctx.inputs.compareTo, head.name)
    const file = 'spec' in target ? await fetchBaseline(ctx, s, target.spec) : await resolveTarball(target.file.replace(/^file:/, ''), ctx.workspace)
    if (!file) return
    const base = await inspectTarball(file)
    ctx.baseline = { file, info: base }
    if (base.name !== head.name) s.warn(`compare-to is ${base.name}, another package than ${head.name}`)
    const c = compareReleases(base, head)
    ctx.facts.comparison = c
    s.note(
      `compared with ${base.name}@${base.version}: unpacked ${formatChange(c.unpacked)}, packed ${formatChange(c.packed)}; ${c.files.added.length} file(s) added, ${c.files.removed.length} removed; ${c.dependencies.length} dependency change(s)`
    )
    const { inputs } = ctx
    const failures = gateFailures(
      c,
      {
        maxSizeIncrease: inputs.maxSizeIncrease?.limit,
        protectedFiles: inputs.failOnRemovedFiles,
        failOnNewInstallScripts: inputs.failOnNewInstallScripts,
        failOnVersionNotGreater: inputs.failOnVersionNotGreater
      },
      { maxSizeIncrease: inputs.maxSizeIncrease?.text, protectedFiles: inputs.failOnRemovedFiles.join(', ') }
    )
    expect(failures.length === 0, failures.join('; '))
  }
}

/** Runs of `ktx --version` timed, after one warm-up. */
const STARTUP_RUNS = 5

/** The median wall time of `ktx --version` through an install, after a warm-up; every run must exit 0. */
async function startupMs(ctx: SmokeContext, s: PhaseScope, via: Installed): Promise<{ median: number; runs: number[] }> {
  const times: number[] = []
  for (let i = 0; i <= STARTUP_RUNS; i++) {
    const r = await runCommand({
      file: via.ktx.file,
      args: [...via.ktx.args, '--version'],
      cwd: ctx.sandbox!.projectDir,
      env: ktxEnv(ctx, via.binDir),
      timeoutMs: ctx.inputs.phaseTimeoutSec * 1000
    })
    // In the report with the other commands (not in the log): ktx's time, not the action's.
    s.record(`ktx --version (${i === 0 ? 'warm-up' : `timed ${i}/${STARTUP_RUNS}`})`, r)
    expect(r.exitCode === 0, `\`ktx --version\` exited ${r.exitCode ?? r.signal} while it was timed`, r)
    if (i > 0) times.push(r.durationMs)
  }
  const sorted = [...times].sort((a, b) => a - b)
  return { median: sorted[Math.floor(sorted.length / 2)], runs: times }
}

/**
 * The start-up time of the installed `ktx --version` (the median of five, after a warm-up), against
 * startup-budget-ms; with compare-startup, the compare-to release installed beside it (its own
 * project, the same package manager and store) and timed alike, against max-startup-regression.
 */
export async function timeStartup(ctx: SmokeContext, s: PhaseScope): Promise<void> {
  const { inputs } = ctx
  const own = await startupMs(ctx, s, ctx.installed!)
  ctx.facts.startupMs = own.median
  s.note(`ktx --version starts in ${own.median} ms (median of ${STARTUP_RUNS}, after a warm-up: ${own.runs.join(', ')} ms)`)
  const budget = inputs.startupBudgetMs
  expect(budget === undefined || own.median <= budget, `\`ktx --version\` takes ${own.median} ms (median of ${STARTUP_RUNS}): over startup-budget-ms ${budget}`)
  if (!inputs.compareStartup || !ctx.baseline || !ctx.plan) return
  const baseline = await installBaseline(ctx, s, ctx.baseline.file, ctx.baseline.info)
  const base = await startupMs(ctx, s, baseline)
  ctx.facts.baselineStartupMs = base.median
  const slower = base.median > 0 ? Math.round(((own.median - base.median) / base.median) * 1000) / 10 : 0
  s.note(
    `${ctx.baseline.info.name}@${ctx.baseline.info.version} starts in ${base.median} ms: this release is ${slower >= 0 ? `${slower}% slower` : `${-slower}% faster`}`
  )
  expect(
    slower <= inputs.maxStartupRegression,
    `\`ktx --version\` takes ${own.median} ms, ${slower}% longer than ${ctx.baseline.info.name}@${ctx.baseline.info.version}'s ${base.median} ms: over max-startup-regression ${inputs.maxStartupRegression}%`
  )
}

/** compare-to installed in a project of its own in the sandbox, as the release was (same package manager and store). */
async function installBaseline(ctx: SmokeContext, s: PhaseScope, file: string, info: TarballInfo): Promise<Installed> {
  const sandbox = ctx.sandbox!
  const dir = path.join(sandbox.root, 'compare-install')
  mkdirSync(dir, { recursive: true })
  return installProject({ kind: 'file', file }, info, { ...sandbox, installDir: dir }, ctx.plan!, s)
}
