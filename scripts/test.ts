// `npm test`: unit tests under this Node and under Node 24 (the runner's), then the integration
// tests, which run the committed dist/ bundles on Node 24 as a GitHub runner does.
// `npm test -- <part of a path>` runs the test files whose path contains it. `npm test -- --quick`
// is the inner loop: the unit tests, and one action run per package manager (action.test.ts's
// admin-generation runs with npm and with pnpm), better-sqlite3 built beside the unit tests.
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { BUILD_CLI_ARGS, buildCli, nodeBinary } from './lib/node.js'
import { BUILD_CLI, REPO } from './lib/paths.js'

/** Test files of a folder; `only` (the first argument) keeps those whose path contains it. */
const files = (dir: string, only?: string): string[] =>
  readdirSync(path.join(REPO, '__tests__', dir))
    .filter(f => f.endsWith('.test.ts'))
    .sort()
    .map(f => path.join('__tests__', dir, f))
    .filter(f => !only || f.includes(only))

interface Step {
  label: string
  /** The executable: a Node binary, or npm. */
  file: string
  args: string[]
}

const testStep = (label: string, file: string, list: string[], concurrency: number): Step => ({
  label,
  file,
  args: ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...list]
})

const started = performance.now()
/** Seconds since npm test began, to see in a CI log where the time goes. */
const since = (): string => `${Math.round((performance.now() - started) / 1000)} s`

/**
 * Runs steps side by side; each one's output is shown whole when it ends (the first one's as it
 * comes), so that two reports do not interleave. Resolves to their exit codes.
 */
async function together(steps: Step[]): Promise<number[]> {
  return Promise.all(
    steps.map((step, i) => {
      const child = spawn(step.file, step.args, { cwd: REPO, stdio: ['ignore', i === 0 ? 'inherit' : 'pipe', i === 0 ? 'inherit' : 'pipe'] })
      let held = ''
      child.stdout?.setEncoding('utf8').on('data', (text: string) => (held += text))
      child.stderr?.setEncoding('utf8').on('data', (text: string) => (held += text))
      if (i === 0) console.log(`\n# ${step.label} (from ${since()})`)
      return new Promise<number>(resolve =>
        child.on('close', code => {
          if (i > 0) process.stdout.write(`\n# ${step.label} (ended at ${since()})\n${held}`)
          else console.log(`# ${step.label}: ended at ${since()}`)
          resolve(code ?? 1)
        })
      )
    })
  )
}

const quick = process.argv.includes('--quick')
const only = process.argv.slice(2).find(arg => !arg.startsWith('--'))
const node24 = nodeBinary(24)
// Installed here, once, before test files that need them run side by side.
nodeBinary(22)
const unit = files('unit', only)
const integration = files('integration', only)
// Integration test files keep their runs in folders of their own and judge only the processes of
// their own runs, so they can run side by side (TEST_CONCURRENCY=2). One at a time is the default:
// timing-sensitive tests stay steady on a loaded machine. Files that leave processes with no run's
// marker in sessions of their own run alone, one after the other: a run of another file would
// rightly take those for escapees of its own and kill them. containment.test.ts's releases leave
// such escapees; fixture-cli.test.ts starts the fixture's detached daemon outside any run. Beside
// them run only the one-time builds that later files need, better-sqlite3 (which they install) and
// ktx-smoke: their processes are this script's descendants, no escapees.
const ALONE = ['containment.test.ts', 'fixture-cli.test.ts']
const alone = integration.filter(f => ALONE.includes(path.basename(f)))
// The rest, longest first (minutes in a CI run, side by side), so that no long file starts last
// and runs on while the other lane is idle; files not named here follow in name order.
const LONGEST_FIRST = [
  'action',
  'matrix',
  'real-release',
  'features',
  'faults',
  'release',
  'compare',
  'real-contract',
  'troubleshooting',
  'scripts',
  'native-build',
  'inputs'
]
const rank = (f: string): number => {
  const at = LONGEST_FIRST.indexOf(path.basename(f, '.test.ts'))
  return at < 0 ? LONGEST_FIRST.length : at
}
const rest = integration.filter(f => !alone.includes(f)).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
const concurrency = Number(process.env.TEST_CONCURRENCY ?? 1)
const prepare: Step = {
  label: 'better-sqlite3 built once for the integration tests',
  file: process.execPath,
  args: ['--import', 'tsx', 'scripts/lib/prebuild.ts']
}

// ktx-smoke (build/cli), built once for the files that run it side by side: files that build it
// themselves could rebuild the folder while another one packs or runs it. No file that runs alone
// runs it, so it is built beside them.
const buildCliStep: Step = { label: 'ktx-smoke built once for the integration tests', file: 'npm', args: BUILD_CLI_ARGS }

/** The quick loop's action runs: one per package manager. */
const QUICK_RUNS = { file: path.join('__tests__', 'integration', 'action.test.ts'), pattern: 'admin generation with (npm|pnpm)' }

let failed = false
/** Runs a stage's steps side by side; returns each one's exit code. */
const stage = async (steps: Step[]): Promise<number[]> => {
  const codes = steps.length > 0 ? await together(steps) : []
  if (codes.some(code => code !== 0)) failed = true
  return codes
}
if (quick) {
  await stage([testStep(`unit tests on Node ${process.versions.node}`, process.execPath, unit, 1), testStep('unit tests on Node 24', node24, unit, 1), prepare])
  const runs = testStep('one action run per package manager, on Node 24', node24, [QUICK_RUNS.file], 1)
  await stage([{ ...runs, args: [...runs.args.slice(0, -1), `--test-name-pattern=${QUICK_RUNS.pattern}`, QUICK_RUNS.file] }])
  console.log(`\n# npm test -- --quick ${failed ? 'failed' : 'passed'} in ${since()}`)
  process.exit(failed ? 1 : 0)
}
// Two unit runs side by side: their processes are their own, none is an action run's.
if (unit.length)
  await stage([testStep(`unit tests on Node ${process.versions.node}`, process.execPath, unit, 1), testStep('unit tests on Node 24', node24, unit, 1)])
if (alone.length) {
  const aloneStep = testStep('integration tests on Node 24 that leave processes of no run, alone', node24, alone, 1)
  const [, , cli] = await stage([aloneStep, ...(rest.length ? [prepare, buildCliStep] : [])])
  if (cli === 0) process.env.KTX_SMOKE_CLI_BUILT = BUILD_CLI
} else if (rest.length) {
  process.env.KTX_SMOKE_CLI_BUILT = buildCli()
}
if (rest.length) await stage([testStep('integration tests on Node 24', node24, rest, concurrency)])
console.log(`\n# npm test ${failed ? 'failed' : 'passed'} in ${since()}`)
process.exit(failed ? 1 : 0)
