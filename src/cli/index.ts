// `ktx-smoke`: the action's engine as a command, for a release engineer before pushing.
//   ktx-smoke ./kaelio-ktx-0.12.0.tgz [--package-manager pnpm] [--keep-sandbox] [--json]
//   ktx-smoke summarize reports/ [--expected-cells 6]   (cli/summarize.ts)
import { Command, Option } from 'commander'
import { createRequire } from 'node:module'
import { accessSync, constants, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { disposeSandbox, stopWhatTheRunStarted } from '../host/cleanup.js'
import { CACHE_MODES, DEFAULTS, GENERATION_CHOICES, HOME_WRITES_MODES, InputError, PACKAGE_MANAGERS, type Inputs } from '../engine/inputs.js'
import { parsePassthrough } from '../engine/parse-inputs.js'
import { phasesFor } from '../ktx/phases/index.js'
import { ktxAdvice } from '../ktx/remedies.js'
import { killActiveCommands } from '../host/command.js'
import { formatDuration, textTables } from '../engine/format.js'
import { SetupError } from '../engine/checks.js'
import { inspectTarball, resolveTarball } from '../ktx/tarball.js'
import { comparisonTables } from '../ktx/compare.js'
import { terminalLog } from './terminal.js'
import { junitXml } from '../engine/junit.js'
import { writeReport } from '../engine/report.js'
import { newContext, type Verdict } from '../engine/context.js'
import { failAfterRun, guardBreach, runPhases } from '../engine/runner.js'
import { outsideWatch, ownedByTheRun } from '../host/outside.js'
import { canReexec, ENGINE_VARIABLES, engineEnv } from '../host/env.js'
import os from 'node:os'
import { addSummarize } from './summarize.js'
import { inCliWords, inputErrorInCliWords, inputsOf, type Options } from './options.js'

/** This package's own version: build/cli/package.json beside the bundle, or the repo's (src/cli/ run from source). */
function ownVersion(): string {
  const require = createRequire(import.meta.url)
  for (const file of ['./package.json', '../../package.json']) {
    try {
      return (require(file) as { version: string }).version
    } catch {
      // Not there: the next place.
    }
  }
  return '0.0.0'
}

const OWN_VERSION = ownVersion()

const program = new Command('ktx-smoke')
  .version(OWN_VERSION, '-V, --version', 'print the version of ktx-smoke')
  .description('Smoke a packed @kaelio/ktx tarball as the ktx-smoke-action does: clean install, managed runtime, daemon.')
  .argument('[tarball]', 'path of the packed @kaelio/ktx tarball (.tgz); or give --package')
  .option('--package <spec>', 'a published release instead of a tarball, e.g. @kaelio/ktx@0.12.0')
  .option('--installs <modes>', 'install modes, the first runs every phase: project, global, npx', DEFAULTS.installs)
  .option('--registry-wait <seconds>', 'with --package: seconds to retry while the registry does not serve it', DEFAULTS['registry-wait'])
  .addOption(new Option('--package-manager <name>', 'package manager for the clean install').choices(PACKAGE_MANAGERS).default(DEFAULTS['package-manager']))
  .addOption(new Option('--cli-generation <generation>', 'runtime command generation').choices(GENERATION_CHOICES).default(DEFAULTS['cli-generation']))
  .option('--expected-version <version>', 'version `ktx --version` must report')
  .option('--features <list>', 'runtime features the ready runtime must list', DEFAULTS.features)
  .option('--no-daemon', 'skip the daemon phases')
  .option('--extra-command <line>', 'another ktx command line to check (repeatable)', (line: string, all: string[]) => [...all, line], [] as string[])
  .option('--env-passthrough <names>', 'variables (names or PREFIX_* patterns) the release under test may see besides the sealed set')
  .addOption(new Option('--home-writes <mode>', 'what ktx writing under the sandbox HOME does').choices(HOME_WRITES_MODES).default(DEFAULTS['home-writes']))
  .option('--phase-timeout <seconds>', 'seconds one ktx command may take', DEFAULTS['phase-timeout'])
  .option('--install-timeout <seconds>', 'seconds each package install may take', DEFAULTS['install-timeout'])
  .option('--runtime-install-timeout <seconds>', "seconds ktx's runtime install may take (default: --install-timeout)")
  .addOption(new Option('--cache <mode>', 'reuse downloads in the temp dir between local runs').choices(CACHE_MODES).default('true'))
  .option('--uv-binary <path>', 'a uv executable for hosts that cannot download it')
  .option('--keep-sandbox', 'keep the sandbox directory and print where it is')
  .option('--json', 'print the JSON report on stdout (the progress goes to stderr)')
  .option('--report-dir <dir>', 'where report.json and junit.xml go', 'ktx-smoke-report')
  .option('--report <file>', 'write the JSON report here instead')
  .option('--junit <file>', 'write the JUnit XML report here instead')
  .option('--verbose', 'show every command and its output')
  .option('--compare-to <release>', 'compare with this release: an npm spec (@kaelio/ktx@latest), latest, or a tarball path or glob')
  .option('--max-size-increase <limit>', 'with --compare-to: fail when the unpacked size grows more (10%, 500kB)')
  .option(
    '--fail-on-removed-files <globs>',
    'with --compare-to: fail when files these globs match disappear (true: any file)',
    DEFAULTS['fail-on-removed-files']
  )
  .option('--fail-on-new-install-scripts', 'with --compare-to: fail when a preinstall, install or postinstall script is added')
  .option('--no-fail-on-version-not-greater', 'with --compare-to: accept a version that is not greater')
  .option('--startup-budget-ms <ms>', 'fail when the median `ktx --version` takes longer')
  .option('--compare-startup', 'with --compare-to: install it too and time its `ktx --version`')
  .option('--max-startup-regression <percent>', 'with --compare-startup: fail when `ktx --version` is this much slower', DEFAULTS['max-startup-regression'])
  .option('--cell <name>', "this run's column in `ktx-smoke summarize` (default: platform, Node and package manager, e.g. linux-x64 node22 pnpm)")
  .action(smoke)

/** Set in the environment ktx-smoke replaced its own with. */
const SEALED = 'KTX_SMOKE_SEALED'
/** What ktx-smoke itself reads from the environment, kept when it drops the rest. */
const OWN_VARIABLES = ['NO_COLOR', 'FORCE_COLOR', 'COLUMNS', ...ENGINE_VARIABLES]

/** `--env-passthrough`'s names, read before the options are parsed (what is passed must survive the re-execution). */
function passthroughIn(argv: string[]): string[] {
  const at = argv.findIndex(arg => arg === '--env-passthrough' || arg.startsWith('--env-passthrough='))
  if (at < 0) return []
  const value = argv[at].includes('=') ? argv[at].slice(argv[at].indexOf('=') + 1) : (argv[at + 1] ?? '')
  try {
    return parsePassthrough(value)
  } catch {
    return []
  }
}

/** Exit codes: 0 passed, 1 the release failed, 2 usage or environment error, 130 interrupted. */
const EXIT_CODES: Record<Verdict, number> = { passed: 0, failed: 1, error: 2, cancelled: 130 }

/** A report path must be writable before any phase runs: its directory exists and is a directory. */
function checkReportPath(option: string, file: string | undefined): void {
  if (!file) return
  const dir = path.dirname(path.resolve(file))
  let ok = false
  try {
    ok = statSync(dir).isDirectory()
    accessSync(dir, constants.W_OK)
  } catch {
    ok = false
  }
  if (!ok) program.error(`ktx-smoke: option ${option} ${file}: the directory ${dir} does not exist or is not writable.`, { exitCode: 2 })
}

async function smoke(tarball: string | undefined, options: Options): Promise<void> {
  let inputs: Inputs
  try {
    inputs = inputsOf(tarball, options)
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    return program.error(`ktx-smoke: ${inputErrorInCliWords(error)}`, { exitCode: 2 })
  }

  // A tarball that is not there, cannot be read or is no npm tarball is a usage error: said before anything runs.
  if (inputs.tarball) {
    try {
      await inspectTarball(await resolveTarball(inputs.tarball, process.cwd()))
    } catch (error) {
      if (error instanceof SetupError) return program.error(`ktx-smoke: ${inCliWords(error.message)}`, { exitCode: 2 })
    }
  }

  // Reports go to one predictable place, checked (and made) before any phase runs.
  const jsonFile = path.resolve(options.report ?? path.join(options.reportDir, 'report.json'))
  const junitFile = path.resolve(options.junit ?? path.join(options.reportDir, 'junit.xml'))
  if (!options.report || !options.junit) {
    try {
      mkdirSync(path.resolve(options.reportDir), { recursive: true })
    } catch (error) {
      program.error(`ktx-smoke: option --report-dir ${options.reportDir}: cannot create it (${(error as Error).message}).`, { exitCode: 2 })
    }
  }
  checkReportPath(options.report ? '--report' : '--report-dir', jsonFile)
  checkReportPath(options.junit ? '--junit' : '--report-dir', junitFile)

  const out = options.json ? process.stderr : process.stdout
  const state = new Map<string, string>()
  const services = { event: {} }
  const log = terminalLog(out, Boolean(options.verbose))
  const ctx = newContext(inputs, log, (k, v) => state.set(k, v), process.cwd(), services)
  out.write(`ktx-smoke: ${inputs.tarball || inputs.package} with ${inputs.packageManager} (installs: ${inputs.installs.join(', ')})\n`)

  const cleanUp = async (graceMs?: number): Promise<void> => {
    if (!ctx.sandbox) return
    for (const line of await stopWhatTheRunStarted(ctx.sandbox.root, ctx.runId, k => state.get(k), graceMs)) out.write(`  cleanup: ${line}\n`)
    if (inputs.keepSandbox) out.write(`  sandbox kept at ${ctx.sandbox.root}\n`)
    else disposeSandbox(ctx.sandbox.root, ctx.runId, false, { info: () => {}, warning: line => out.write(`  ! ${line}\n`) })
  }
  const onSignal = (signal: NodeJS.Signals): void => {
    if (ctx.cancellation.signal) process.exit(EXIT_CODES.cancelled)
    killActiveCommands()
    out.write(`\nktx-smoke: ${signal}: cancelling ${ctx.phase ?? 'before the first phase'}, stopping what the run started\n`)
    ctx.cancellation.cancel(signal)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  // The package phase runs no code of the release (and asks the package manager where its cache
  // is). From then on nothing outside the sandbox may change: the checkout you run it in, your dotfiles.
  const startedAt = Date.now()
  const [first, ...rest] = phasesFor(inputs)
  let result = await runPhases(ctx, [first], ktxAdvice)
  if (result.result === 'passed') {
    const reportDirs = [jsonFile, junitFile].map(file => path.dirname(file))
    const watchStarted = performance.now()
    ctx.guards = [outsideWatch({ workspace: process.cwd(), home: os.homedir(), ignore: ownedByTheRun(ctx, reportDirs) })]
    ctx.facts.watchMs = Math.round(performance.now() - watchStarted)
  }
  result = await runPhases(ctx, rest, ktxAdvice, { phases: result.phases, startedAt })
  log.stop()
  await cleanUp(result.result === 'cancelled' ? 1000 : undefined)
  const breach = await guardBreach(ctx)
  if (breach) result = failAfterRun(result, breach)

  writeReport(jsonFile, result, inputs)
  writeFileSync(junitFile, junitXml(result))

  if (result.facts.startupMs !== undefined) out.write(`\n  ktx --version starts in ${result.facts.startupMs} ms (median of 5)\n`)
  if (result.facts.comparison) out.write(`\n${textTables(comparisonTables(result.facts.comparison))}\n`)
  const skipped = result.phases.filter(p => p.status === 'skipped' && result.result !== 'passed').map(p => p.name)
  if (skipped.length > 0) out.write(`  - skipped: ${skipped.join(', ')}\n`)
  if (result.result !== 'passed' && result.failure) out.write(`\n${inCliWords(result.failure)}\n`)
  const verdict = {
    passed: 'passed',
    failed: `failed in ${result.failedPhase}`,
    error: `could not run ${result.failedPhase} (not the release's fault)`,
    cancelled: `cancelled in ${result.failedPhase}`
  }[result.result]
  out.write(`\nktx smoke ${verdict} in ${formatDuration(result.durationMs)}\n`)
  out.write(`reports: ${jsonFile}, ${junitFile}\n`)
  if (options.json) process.stdout.write(readFileSync(jsonFile, 'utf8'))
  process.exitCode = EXIT_CODES[result.result]
}

// Like ktx itself, this needs Node 22: say so to the person at the terminal before anything runs.
if (Number(process.versions.node.split('.')[0]) < 22) {
  process.stderr.write(`ktx-smoke needs Node 22 or newer; this is Node ${process.versions.node}. Switch Node (e.g. nvm use 22) and run it again.\n`)
  process.exit(2)
}

// The release under test can read this process's environment (/proc/<pid>/environ): first drop
// what the shell holds beyond the sealed set (tokens, keys), by replacing this process's image.
if (canReexec() && process.env[SEALED] !== '1') {
  const execve = (process as unknown as { execve: (file: string, args: string[], env: NodeJS.ProcessEnv) => void }).execve
  const env = { ...engineEnv(process.env, passthroughIn(process.argv), OWN_VARIABLES), [SEALED]: '1' }
  execve(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], env)
}

// Usage errors (unknown option, missing argument, bad choice) are the caller's: exit 2, like the option checks.
program.exitOverride(error => {
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') process.exit(0)
  process.exit(2)
})
// `ktx-smoke summarize …` (added after exitOverride, which it inherits): the word first, the smoke's own options after the tarball, as before.
program.enablePositionalOptions()
addSummarize(program)
await program.parseAsync()
process.exit(process.exitCode ?? 0)
