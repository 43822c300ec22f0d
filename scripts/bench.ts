// `npm run bench`: the action's speed on the example tarball, as medians of alternating runs.
//   1. the action (dist/main, as a runner runs it) against a baseline harness that runs the same
//      phases the way the ktx repo's own smoke does: every command through `pnpm exec ktx …`;
//   2. the action's overhead: the main step's wall time minus the install and the ktx commands'
//      own times (the timed `ktx --version` runs among them), from its JSON report, and the post
//      step's wall time;
//   3. a warm run (the runner user's pnpm store or npm cache pre-seeded) against a cold one (empty);
//   4. what installs: project,global (the default) costs over installs: project alone, warm;
//   5. reading 200 MB of a command's output (capped head and tail) against piping it to `cat > /dev/null`;
//   7. comparing two 1.5 MB tarballs (the real ktx 0.12.0 with itself): reading both and the comparison;
//   8. with cache: false and a warm store of the user's, the global install against the project one:
//      both use that store, so the native build is done once;
//   6. the watches outside the sandbox (file commands, a checkout of 2,000 files, the job's actions,
//      HOME), summed over a run, from the JSON report;
//   9. cache: auto where no cache service answers (as here): a second run on the same host, whose
//      first run filled the runner user's store, against a warm run's install.
// Each run has a runner HOME of its own (the user's store lives there), seeded or shared as the
// measure needs: no cache service answers here, so cache auto installs from the user's own store.
// The example tarball depends on better-sqlite3 12 like ktx 0.12; where no prebuilt binary can be
// fetched (as here) it compiles, and the pnpm store's side-effects cache carries the build.
// Targets: overhead ≤ 10 % of wall, action ≤ 0.7 × baseline, warm ≤ 0.6 × cold, capture ≤ 3 × writing,
// watches ≤ 150 ms a run, a comparison of two 1.5 MB tarballs ≤ 300 ms, main's overhead ≤ 300 ms,
// the post step ≤ 150 ms, global-install ≤ 2 × install on the user's warm store, a second run's
// install with cache auto and no cache service ≤ 3 × a warm run's.
//   BENCH_RUNS=5 (runs per side), BENCH_MANAGER=pnpm (the package manager of both sides).
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ADMIN, ORDERS_YAML, slQuery } from '../src/ktx/generations.js'
import { KTX_ENV } from '../src/host/env.js'
import { runCommand } from '../src/host/command.js'
import { WAREHOUSE_SQL } from '../src/ktx/warehouse.js'
import { EXAMPLE, packFixture } from './lib/fixture.js'
import { nativeBuildEnv, nodeBinary } from './lib/node.js'
import { CACHE, REPO } from './lib/paths.js'
import { runAction } from './lib/runner.js'
import { realTarball } from './lib/real.js'
import { inspectTarball } from '../src/ktx/tarball.js'
import { compareReleases } from '../src/ktx/compare.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const MANAGER = process.env.BENCH_MANAGER ?? 'pnpm'
const WORK = path.join(CACHE, 'bench')
const SEED = path.join(WORK, `seed-${MANAGER}`)
const TARGETS = {
  overhead: 0.1,
  baseline: 0.7,
  warm: 0.6,
  capture: 3,
  watchMs: 150,
  compareMs: 300,
  globalOverProject: 2,
  overheadMs: 300,
  postMs: 150,
  secondRun: 3
}

/** A runner user's HOME: empty, or seeded with the downloads (and builds) of an earlier run. */
function runnerHome(seeded: boolean): string {
  mkdirSync(WORK, { recursive: true })
  const home = mkdtempSync(path.join(WORK, 'home-'))
  if (seeded) cpSync(SEED, home, { recursive: true })
  return home
}

/** The environment of a run with that HOME: the user's npm config carried, better-sqlite3 12 built against Node 24's headers. */
function homeEnv(home: string): Record<string, string> {
  const npmrc = path.join(os.homedir(), '.npmrc')
  return { ...nativeBuildEnv(24), HOME: home, ...(existsSync(npmrc) ? { NPM_CONFIG_USERCONFIG: npmrc } : {}) }
}

/** One run's report: each phase's time. */
function phaseMs(reportFile: string): (name: string) => number {
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { phases: { name: string; durationMs: number }[] }
  return name => report.phases.find(p => p.name === name)?.durationMs ?? Number.NaN
}

/** With cache: false and the user's warm store, how long install and global-install take, in ms. */
async function userStoreRun(tarball: string): Promise<{ install: number; global: number }> {
  const home = runnerHome(true)
  const run = await runAction({
    inputs: { tarball, 'package-manager': MANAGER, cache: 'false', installs: 'project,global', daemon: 'false' },
    env: homeEnv(home),
    tempParent: path.join(WORK, 'runs')
  })
  if (run.outputs.result !== 'passed') throw new Error(`the action failed:\n${run.main.stdout.slice(-3000)}`)
  const ms = phaseMs(run.outputs.report)
  rmSync(path.dirname(run.runnerTemp), { recursive: true, force: true })
  rmSync(home, { recursive: true, force: true })
  return { install: ms('install'), global: ms('global-install') }
}

/**
 * cache: auto, no cache service: runs on one host (one HOME, empty at first). The first fills the
 * runner user's store; the install times of the `RUNS` runs after it, in ms.
 */
async function laterRuns(tarball: string): Promise<number[]> {
  const home = runnerHome(false)
  const installs: number[] = []
  for (let i = 0; i <= RUNS; i++) {
    const run = await runAction({
      inputs: { tarball, 'package-manager': MANAGER, installs: 'project', daemon: 'false' },
      env: homeEnv(home),
      tempParent: path.join(WORK, 'runs')
    })
    if (run.outputs.result !== 'passed') throw new Error(`the action failed:\n${run.main.stdout.slice(-3000)}`)
    if (i > 0) installs.push(phaseMs(run.outputs.report)('install'))
    rmSync(path.dirname(run.runnerTemp), { recursive: true, force: true })
  }
  rmSync(home, { recursive: true, force: true })
  return installs
}

/** Reading two tarballs and comparing them, as phase compare does, in ms. */
async function compareRun(tarball: string): Promise<number> {
  const started = performance.now()
  const [base, head] = await Promise.all([inspectTarball(tarball), inspectTarball(tarball)])
  compareReleases(base, head)
  return performance.now() - started
}

/** A checkout of some size in the job's workspace, as a release workflow has one. */
function populateCheckout(runnerTemp: string): void {
  const checkout = path.join(path.dirname(runnerTemp), 'repo', 'repo')
  for (let d = 0; d < 40; d++) {
    mkdirSync(path.join(checkout, 'src', `dir${d}`), { recursive: true })
    for (let f = 0; f < 50; f++) writeFileSync(path.join(checkout, 'src', `dir${d}`, `file${f}.ts`), `export const x${f} = ${f}\n`)
  }
  const git = (...args: string[]) => spawnSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@example.com', ...args], { cwd: checkout })
  git('add', '.')
  git('commit', '-q', '-m', 'sources')
}

/** 200 MB on stdout: how long the action takes to read it, and how long the writer takes alone. */
async function captureRun(): Promise<{ captureMs: number; writeMs: number }> {
  const size = 200 * 1024 * 1024
  const writer = `const b = Buffer.alloc(65536, 'y'); let left = ${size}; (function w() { while (left > 0) { left -= b.length; if (!process.stdout.write(b)) return process.stdout.once('drain', w) } })()`
  const node = process.execPath
  const spec = { cwd: REPO, env: process.env, timeoutMs: 600_000 }
  const write = await runCommand({ ...spec, file: '/bin/sh', args: ['-c', `"${node}" -e "${writer}" | cat > /dev/null`] })
  const capture = await runCommand({ ...spec, file: node, args: ['-e', writer] })
  if (write.exitCode !== 0 || capture.exitCode !== 0) throw new Error(`the 200 MB writer failed: ${write.stderr}${capture.stderr}`)
  return { captureMs: capture.durationMs, writeMs: write.durationMs }
}

interface Report {
  watchMs: number
  phases: { name: string; commands: { command: string; durationMs: number }[] }[]
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`

/** One run of the action (main + post), cache auto; `warm`: the runner user's store pre-seeded. */
async function actionRun(
  tarball: string,
  warm: boolean,
  installs = 'project,global'
): Promise<{ wallMs: number; commandsMs: number; overheadMs: number; watchMs: number; postMs: number; installMs: number }> {
  const home = runnerHome(warm)
  const run = await runAction({
    inputs: { tarball, 'package-manager': MANAGER, installs },
    env: homeEnv(home),
    tempParent: path.join(WORK, 'runs'),
    beforeMain: populateCheckout
  })
  if (run.outputs.result !== 'passed') throw new Error(`the action failed:\n${run.main.stdout.slice(-3000)}`)
  const report = JSON.parse(readFileSync(run.outputs.report, 'utf8')) as Report
  const commandsMs = report.phases.flatMap(p => p.commands).reduce((sum, c) => sum + c.durationMs, 0)
  // Read before the run's folders go (the report is in its RUNNER_TEMP).
  const installMs = phaseMs(run.outputs.report)('install')
  rmSync(path.dirname(run.runnerTemp), { recursive: true, force: true })
  rmSync(home, { recursive: true, force: true })
  return {
    installMs,
    wallMs: run.main.durationMs,
    commandsMs,
    overheadMs: run.main.durationMs - commandsMs,
    watchMs: report.watchMs,
    postMs: run.post?.durationMs ?? Number.NaN
  }
}

/** The ktx repo's way: a pnpm project with the tarball, then every command through `pnpm exec ktx`. */
async function baselineRun(tarball: string): Promise<number> {
  const root = mkdtempSync(path.join(WORK, 'baseline-'))
  const project = path.join(root, 'project')
  const runtimeRoot = path.join(root, 'runtime-root')
  mkdirSync(project)
  const node24 = nodeBinary(24)
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // The same native-build environment the action runs get: better-sqlite3 12 compiles against Node 24's headers.
    ...nativeBuildEnv(24),
    ...KTX_ENV,
    KTX_RUNTIME_ROOT: runtimeRoot,
    PATH: `${path.dirname(node24)}${path.delimiter}${process.env.PATH}`
  }
  for (const key of Object.keys(env)) if (/^npm_/i.test(key)) delete env[key]
  const pnpm = path.join(REPO, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs')
  const sh = (args: string[], cwd = root): void => {
    const r = spawnSync(node24, [pnpm, ...args], { cwd, env, encoding: 'utf8' })
    if (r.status !== 0 && !(args[2] === 'admin' && args[4] === 'status')) {
      throw new Error(`baseline: pnpm ${args.join(' ')} exited ${r.status}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`)
    }
  }
  const started = Date.now()
  writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'baseline', private: true, dependencies: { '@kaelio/ktx': `file:${tarball}` } }))
  writeFileSync(path.join(root, 'pnpm-workspace.yaml'), 'allowBuilds:\n  better-sqlite3: true\nonlyBuiltDependencies:\n  - better-sqlite3\n')
  sh(['install', '--no-frozen-lockfile'])
  const ktx = (...args: string[]): void => sh(['exec', 'ktx', ...args], project)
  ktx('--version')
  ktx('admin', 'runtime', '--help')
  ktx(...ADMIN.status)
  ktx(...ADMIN.setup(project))
  writeFileSync(path.join(project, 'ktx.yaml'), ADMIN.projectYaml)
  // The baseline writes the warehouse itself, with Node's own sqlite.
  const { DatabaseSync } = await import('node:sqlite')
  const db = new DatabaseSync(path.join(project, 'warehouse.db'))
  db.exec(WAREHOUSE_SQL)
  db.close()
  mkdirSync(path.join(project, 'semantic-layer', 'warehouse'), { recursive: true })
  writeFileSync(path.join(project, 'semantic-layer', 'warehouse', 'orders.yaml'), ORDERS_YAML)
  ktx(...slQuery(project, ['--yes']))
  ktx(...ADMIN.status)
  ktx(...slQuery(project, ['--execute', '--max-rows', '100']))
  ktx(...ADMIN.checks)
  ktx(...ADMIN.start)
  ktx(...ADMIN.start)
  ktx(...ADMIN.stop)
  const ms = Date.now() - started
  rmSync(root, { recursive: true, force: true })
  return ms
}

async function main(): Promise<void> {
  rmSync(WORK, { recursive: true, force: true })
  mkdirSync(WORK, { recursive: true })
  const tarball = packFixture(EXAMPLE)
  console.log(`bench: ${RUNS} runs per side, alternating, package manager ${MANAGER}, tarball ${path.relative(REPO, tarball)}`)

  // Seed a runner HOME's store once (and warm the baseline's pnpm store) outside the measurement.
  mkdirSync(SEED, { recursive: true })
  const seedRun = await runAction({
    inputs: { tarball, 'package-manager': MANAGER },
    env: homeEnv(SEED),
    tempParent: path.join(WORK, 'runs'),
    skipPost: true
  })
  if (seedRun.outputs.result !== 'passed') throw new Error(`the seeding run failed:\n${seedRun.main.stdout.slice(-3000)}`)
  rmSync(path.dirname(seedRun.runnerTemp), { recursive: true, force: true })
  await baselineRun(tarball)

  const action: Awaited<ReturnType<typeof actionRun>>[] = []
  const baseline: number[] = []
  const cold: number[] = []
  const warm: Awaited<ReturnType<typeof actionRun>>[] = []
  const projectOnly: number[] = []
  for (let i = 0; i < RUNS; i++) {
    projectOnly.push((await actionRun(tarball, true, 'project')).wallMs)
    // Alternate the order within each pair so that drift on the machine hits both sides alike.
    const pairs: [() => Promise<void>, () => Promise<void>][] = [
      [async () => void action.push(await actionRun(tarball, true)), async () => void baseline.push(await baselineRun(tarball))],
      [async () => void cold.push((await actionRun(tarball, false)).wallMs), async () => void warm.push(await actionRun(tarball, true))]
    ]
    for (const [a, b] of pairs) {
      if (i % 2 === 0) {
        await a()
        await b()
      } else {
        await b()
        await a()
      }
    }
    process.stdout.write(`  run ${i + 1}/${RUNS} done\n`)
  }

  const captures: Awaited<ReturnType<typeof captureRun>>[] = []
  for (let i = 0; i < RUNS; i++) captures.push(await captureRun())
  const captureRatio = median(captures.map(c => c.captureMs / c.writeMs))
  // The user's store, warmed once outside the measurement.
  await userStoreRun(tarball)
  const userStore: Awaited<ReturnType<typeof userStoreRun>>[] = []
  for (let i = 0; i < RUNS; i++) userStore.push(await userStoreRun(tarball))
  const globalRatio = median(userStore.map(r => r.global / r.install))
  const seconds2 = await laterRuns(tarball)
  const warmInstall = median(warm.map(r => r.installMs))
  const secondRatio = median(seconds2) / warmInstall
  const real = realTarball()
  const compares: number[] = []
  for (let i = 0; i < RUNS; i++) compares.push(await compareRun(real))

  const wall = median(action.map(r => r.wallMs))
  const overhead = median(action.map(r => r.overheadMs / r.wallMs))
  const rows: [string, string, string, string, boolean][] = [
    [
      'action overhead / wall',
      `${(overhead * 100).toFixed(1)} %`,
      `median overhead ${seconds(median(action.map(r => r.overheadMs)))} of ${seconds(wall)}`,
      `≤ ${TARGETS.overhead * 100} %`,
      overhead <= TARGETS.overhead
    ],
    [
      'main step: overhead',
      `${Math.round(median(action.map(r => r.overheadMs)))} ms`,
      'wall time minus the install and the ktx commands',
      `≤ ${TARGETS.overheadMs} ms`,
      median(action.map(r => r.overheadMs)) <= TARGETS.overheadMs
    ],
    [
      'post step',
      `${Math.round(median(action.map(r => r.postMs)))} ms`,
      'stops what is left, removes the sandbox',
      `≤ ${TARGETS.postMs} ms`,
      median(action.map(r => r.postMs)) <= TARGETS.postMs
    ],
    [
      'action / baseline (pnpm exec ktx)',
      (wall / median(baseline)).toFixed(2),
      `${seconds(wall)} vs ${seconds(median(baseline))}`,
      `≤ ${TARGETS.baseline}`,
      wall / median(baseline) <= TARGETS.baseline
    ],
    [
      'warm / cold',
      (median(warm.map(r => r.wallMs)) / median(cold)).toFixed(2),
      `${seconds(median(warm.map(r => r.wallMs)))} vs ${seconds(median(cold))}`,
      `≤ ${TARGETS.warm}`,
      median(warm.map(r => r.wallMs)) / median(cold) <= TARGETS.warm
    ],
    [
      'cache auto, no cache service, second run: install / warm install',
      secondRatio.toFixed(2),
      `${seconds(median(seconds2))} vs ${seconds(warmInstall)} (the first run filled the runner user's store)`,
      `≤ ${TARGETS.secondRun}`,
      secondRatio <= TARGETS.secondRun
    ],
    [
      'installs: project,global over project',
      `+${seconds(wall - median(projectOnly))}`,
      `${seconds(wall)} vs ${seconds(median(projectOnly))} (warm)`,
      'reported',
      true
    ],
    [
      'watches outside the sandbox, per run',
      `${median(action.map(r => r.watchMs))} ms`,
      "file commands, a 2,000-file checkout, the job's actions and HOME, after each of 19 phases and at the end",
      `≤ ${TARGETS.watchMs} ms`,
      median(action.map(r => r.watchMs)) <= TARGETS.watchMs
    ],
    [
      'cache: false, warm store: global-install / install',
      globalRatio.toFixed(2),
      `${seconds(median(userStore.map(r => r.global)))} vs ${seconds(median(userStore.map(r => r.install)))} (one native build, in the user's store)`,
      `≤ ${TARGETS.globalOverProject}`,
      globalRatio <= TARGETS.globalOverProject
    ],
    [
      'comparing two 1.5 MB tarballs',
      `${Math.round(median(compares))} ms`,
      `the real ${path.basename(real)} with itself: both read (files, package.json, the wheel's entries) and compared`,
      `≤ ${TARGETS.compareMs} ms`,
      median(compares) <= TARGETS.compareMs
    ],
    [
      'reading 200 MB of output / piping it to cat',
      captureRatio.toFixed(2),
      `${seconds(median(captures.map(c => c.captureMs)))} vs ${seconds(median(captures.map(c => c.writeMs)))}`,
      `≤ ${TARGETS.capture}`,
      captureRatio <= TARGETS.capture
    ]
  ]
  console.log('\n| measure | value | medians | target | met |\n|---|---|---|---|---|')
  for (const [what, value, detail, target, met] of rows) console.log(`| ${what} | ${value} | ${detail} | ${target} | ${met ? 'yes' : 'NO'} |`)
  rmSync(WORK, { recursive: true, force: true })
  process.exit(rows.every(r => r[4]) ? 0 : 1)
}

// The baseline writes the warehouse with node:sqlite, which needs Node 22+: run on Node 24.
if (Number(process.versions.node.split('.')[0]) < 22) {
  const r = spawnSync(nodeBinary(24), ['--import', 'tsx', fileURLToPath(import.meta.url)], { stdio: 'inherit', env: process.env })
  process.exit(r.status ?? 1)
}
await main()
