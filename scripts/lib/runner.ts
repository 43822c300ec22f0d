import { spawn, execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CACHE, DIST_MAIN, DIST_POST, DIST_SUMMARIZE, REPO } from './paths.js'
import { nodeBinary } from './node.js'

export interface StepRun {
  code: number | null
  /** When the step's process exited (Date.now()). */
  exitedAt: number
  /** Wall time of the step's process, spawn to exit. */
  durationMs: number
  stdout: string
  stderr: string
}

export interface ActionRun {
  /** The main step (code null when it did not run). */
  main: StepRun
  post?: StepRun
  outputs: Record<string, string>
  state: Record<string, string>
  summary: string
  runnerTemp: string
  /** The job's folders (the checkout, another action's code, the file commands). */
  layout: RunnerLayout
  /** Processes still running from RUNNER_TEMP after the main step (should be none unless it was killed). */
  leftoversAfterMain: string[]
  /** Processes still running from RUNNER_TEMP after the post step (should be none). */
  leftovers: string[]
}

export interface RunOptions {
  /** `with:` of the step; names as in action.yml. */
  inputs: Record<string, string>
  /** Node major the action runs on (the runner's: 24). */
  actionNode?: number
  /** A node binary to run the action on instead of `actionNode`. */
  actionNodePath?: string
  /** Node major on PATH, the one ktx and the package managers run on (setup-node's). */
  pathNode?: number
  env?: Record<string, string>
  /** No pnpm anywhere on PATH. */
  withoutPnpm?: boolean
  /** Paths for GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY instead of fresh files (e.g. unwritable ones). */
  files?: Partial<Record<'GITHUB_OUTPUT' | 'GITHUB_STATE' | 'GITHUB_STEP_SUMMARY', string>>
  /** Run only the post step, with the state this returns (given RUNNER_TEMP), as if main had saved it. */
  postOnly?: (runnerTemp: string) => Record<string, string>
  /** Called with RUNNER_TEMP (and the job's folders) before the main step starts (e.g. to pre-seed caches). */
  beforeMain?: (runnerTemp: string, layout: RunnerLayout) => void
  /** A runner HOME of the job's own, `<work>/home` (the user's npm config carried), instead of this process's. */
  home?: boolean
  /** Skip the post step (to inspect what main left). */
  skipPost?: boolean
  /** Parent of RUNNER_TEMP (default .test-cache/runs). */
  tempParent?: string
  /** The job's workspace: a git checkout (the default) or a plain folder with the same files. */
  workspace?: 'checkout' | 'plain'
  /** Called with the main step once it started, e.g. to signal it. */
  onMainStarted?: (pid: number) => void
  /** Collect main's stdout live. */
  onMainOutput?: (text: string) => void
}

/** Parses the `name<<delimiter\nvalue\ndelimiter` file commands (GITHUB_OUTPUT, GITHUB_STATE). */
export function parseFileCommands(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const m = lines[i].match(/^([^=<]+)<<(.+)$/)
    if (m) {
      const end = lines.indexOf(m[2], i + 1)
      values[m[1]] = lines.slice(i + 1, end).join('\n')
      i = end
    } else if (lines[i].includes('=')) {
      const at = lines[i].indexOf('=')
      values[lines[i].slice(0, at)] = lines[i].slice(at + 1)
    }
  }
  return values
}

/** A bin dir that puts the chosen node (and the repo's pnpm) first on PATH, like setup-node. */
function toolBin(major: number, withPnpm: boolean): string {
  const dir = path.join(CACHE, 'bin', `node-${major}${withPnpm ? '' : '-no-pnpm'}`)
  mkdirSync(dir, { recursive: true })
  const link = (name: string, target: string): void => {
    try {
      symlinkSync(target, path.join(dir, name))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
  }
  link('node', nodeBinary(major))
  if (withPnpm) link('pnpm', path.join(REPO, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs'))
  return dir
}

/** The step's PATH: the tool bin first, then this machine's PATH (without any pnpm when asked). */
export function stepPath(major: number, withPnpm: boolean): string {
  const rest = (process.env.PATH ?? '').split(path.delimiter).filter(dir => withPnpm || !existsSync(path.join(dir, 'pnpm')))
  return [toolBin(major, withPnpm), ...rest].join(path.delimiter)
}

/** The environment a runner gives a step, without this process's npm/test/runner variables. */
export function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(INPUT_|STATE_|GITHUB_|RUNNER_|npm_|NODE_OPTIONS$|NODE_TEST_CONTEXT$|INIT_CWD$)/i.test(k)) continue
    env[k] = v
  }
  return env
}

function step(node: string, entry: string, env: NodeJS.ProcessEnv, cwd: string, options: RunOptions, isMain: boolean): Promise<StepRun> {
  return new Promise(resolve => {
    const started = Date.now()
    const child = spawn(node, [entry], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    if (isMain && child.pid) options.onMainStarted?.(child.pid)
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      stdout += t
      if (isMain) options.onMainOutput?.(t)
    })
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t))
    let exitedAt = 0
    child.on('exit', () => (exitedAt = Date.now()))
    child.on('close', code => resolve({ code, exitedAt: exitedAt || Date.now(), durationMs: (exitedAt || Date.now()) - started, stdout, stderr }))
  })
}

/** The variable every process of an action run carries (read here on its own, not through the action's code). */
const RUN_VARIABLE = 'KTX_SMOKE_RUN='

/** Where this test process's action runs live: test files may run side by side, each with its own. */
export const RUNS = path.join(CACHE, `runs-${process.pid}`)

/** A fresh folder for one test's files, inside this test process's RUNS (removed with it after the file). */
export function scratch(prefix: string): string {
  mkdirSync(RUNS, { recursive: true })
  return mkdtempSync(path.join(RUNS, prefix))
}

/** The run ids of the actions this test process ran (from their GITHUB_STATE). */
const ownRuns = new Set<string>()

/** Whether a process's environment holds the marker of one of this process's runs (Linux /proc). */
function carriesRunMarker(pid: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .some(entry => entry.startsWith(RUN_VARIABLE) && ownRuns.has(entry.slice(RUN_VARIABLE.length)))
  } catch {
    return false
  }
}

/**
 * Running processes of action runs: those whose command line mentions `dir`, and (Linux) those
 * carrying a run's marker variable, wherever they were started from. Zombies do not count.
 */
export function processesUnder(dir: string): string[] {
  const listing = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' })
  return listing
    .split('\n')
    .map(line => line.trim())
    .filter(line => {
      const m = line.match(/^(\d+)\s+(\S+)/)
      if (!m || m[2].startsWith('Z') || Number(m[1]) === process.pid) return false
      return line.includes(dir) || (process.platform === 'linux' && carriesRunMarker(m[1]))
    })
}

/** A PATH of one folder that links every command of `base` but the `hidden` ones (a host without ps, say). */
export function pathWithout(hidden: string[], base: string): string {
  const dir = path.join(CACHE, 'bin', `without-${hidden.join('-')}`)
  mkdirSync(dir, { recursive: true })
  for (const folder of base.split(path.delimiter)) {
    let names: string[] = []
    try {
      names = readdirSync(folder)
    } catch {
      continue
    }
    for (const name of names) {
      if (hidden.includes(name)) continue
      try {
        symlinkSync(path.join(folder, name), path.join(dir, name))
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
    }
  }
  return dir
}

/** A job's folders as a GitHub runner lays them out under its work dir. */
export interface RunnerLayout {
  /** `<work>`: the runner's work dir for the job. */
  work: string
  /** `<work>/_temp`. */
  runnerTemp: string
  /** `<work>/repo/repo`: a git checkout with one commit. */
  workspace: string
  /** `<work>/_actions/actions/upload-artifact/v4`: another action of the job, which runs after the smoke. */
  otherAction: string
  /** The step's file commands, in `<work>/_temp/_runner_file_commands/`, by variable. */
  files: Record<'GITHUB_ENV' | 'GITHUB_PATH' | 'GITHUB_OUTPUT' | 'GITHUB_STATE' | 'GITHUB_STEP_SUMMARY', string>
  /** `<work>/home`, the runner user's HOME of a run with `home: true`. */
  home: string
}

/** A step's environment with `home` as HOME, the user's npm config carried as a runner's setup-node would. */
export function withHome(home: string): Record<string, string> {
  const npmrc = path.join(os.homedir(), '.npmrc')
  return { HOME: home, ...(existsSync(npmrc) ? { NPM_CONFIG_USERCONFIG: npmrc } : {}) }
}

/**
 * Lays out `work` as a runner does for a job: RUNNER_TEMP, the step's file commands, the checkout,
 * another action's code. The checkout is a pnpm workspace's root, as ktx's own is (package.json and
 * pnpm-workspace.yaml at the top: a package manager run in it takes it for its project); `plain`
 * gives the same files without git.
 */
export function runnerLayout(work: string, kind: 'checkout' | 'plain' = 'checkout'): RunnerLayout {
  const runnerTemp = path.join(work, '_temp')
  const commands = path.join(runnerTemp, '_runner_file_commands')
  const workspace = path.join(work, 'repo', 'repo')
  const home = path.join(work, 'home')
  const otherAction = path.join(work, '_actions', 'actions', 'upload-artifact', 'v4')
  for (const dir of [commands, workspace, path.join(otherAction, 'dist')]) mkdirSync(dir, { recursive: true })
  const id = path.basename(work).replace(/^job-/, '')
  const kinds = { GITHUB_ENV: 'set_env', GITHUB_PATH: 'add_path', GITHUB_OUTPUT: 'set_output', GITHUB_STATE: 'save_state', GITHUB_STEP_SUMMARY: 'step_summary' }
  const files = Object.fromEntries(Object.entries(kinds).map(([name, kind]) => [name, path.join(commands, `${kind}_${id}`)])) as RunnerLayout['files']
  for (const file of Object.values(files)) writeFileSync(file, '')
  writeFileSync(path.join(otherAction, 'action.yml'), 'name: upload-artifact\nruns:\n  using: node24\n  main: dist/index.js\n')
  writeFileSync(path.join(otherAction, 'dist', 'index.js'), "console.log('upload-artifact')\n")
  writeFileSync(path.join(workspace, 'README.md'), '# the repository under test\n')
  writeFileSync(path.join(workspace, 'package.json'), `${JSON.stringify({ name: 'ktx-monorepo', private: true }, null, 2)}\n`)
  writeFileSync(path.join(workspace, 'pnpm-workspace.yaml'), "packages:\n  - 'packages/*'\n")
  if (kind === 'plain') return { work, runnerTemp, workspace, otherAction, files, home }
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=ci', '-c', 'user.email=ci@example.com', ...args], { cwd: workspace, stdio: 'ignore' })
  git('init', '-q')
  git('add', '.')
  git('commit', '-q', '-m', 'checkout')
  return { work, runnerTemp, workspace, otherAction, files, home }
}

/** Runs dist/main then dist/post as the runner does: INPUT_*, the file commands, RUNNER_TEMP, a checkout as GITHUB_WORKSPACE. */
export async function runAction(options: RunOptions): Promise<ActionRun> {
  const parent = options.tempParent ?? RUNS
  mkdirSync(parent, { recursive: true })
  const layout = runnerLayout(mkdtempSync(path.join(parent, 'job-')), options.workspace)
  const { runnerTemp, workspace } = layout
  const files: Record<string, string> = layout.files
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    PATH: stepPath(options.pathNode ?? 24, !options.withoutPnpm),
    RUNNER_TEMP: runnerTemp,
    GITHUB_WORKSPACE: workspace,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    ...(options.home ? withHome(layout.home) : {}),
    ...options.env
  }
  if (options.home) mkdirSync(layout.home)
  for (const [name, file] of Object.entries(files)) {
    const given = options.files?.[name as keyof typeof options.files]
    env[name] = given ?? file
  }
  for (const [name, value] of Object.entries(options.inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value

  const node = options.actionNodePath ?? nodeBinary(options.actionNode ?? 24)
  options.beforeMain?.(runnerTemp, layout)
  const main = options.postOnly
    ? { code: null, exitedAt: 0, durationMs: 0, stdout: '', stderr: '' }
    : await step(node, DIST_MAIN, env, workspace, options, true)
  const state = options.postOnly ? options.postOnly(runnerTemp) : parseFileCommands(readOr(env.GITHUB_STATE!))
  if (state['run-id']) ownRuns.add(state['run-id'])
  const leftoversAfterMain = processesUnder(runnerTemp)
  let post: StepRun | undefined
  if (!options.skipPost) {
    const postEnv = { ...env }
    for (const [name, value] of Object.entries(state)) postEnv[`STATE_${name}`] = value
    post = await step(node, DIST_POST, postEnv, workspace, options, false)
  }
  return {
    main,
    post,
    outputs: parseFileCommands(readOr(env.GITHUB_OUTPUT!)),
    state,
    summary: readOr(env.GITHUB_STEP_SUMMARY!),
    runnerTemp,
    layout,
    leftoversAfterMain,
    leftovers: options.skipPost ? leftoversAfterMain : processesUnder(runnerTemp)
  }
}

/** A file command's text, or '' when the file could not be written (a test's broken GITHUB_* path). */
function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}

/** A run of summarize/action.yml's step: its process, outputs and job summary. */
export interface SummarizeRun {
  step: StepRun
  outputs: Record<string, string>
  summary: string
  layout: RunnerLayout
}

/**
 * Runs dist/summarize as the runner does, in a job of its own (INPUT_*, the file commands,
 * RUNNER_TEMP, the workspace as its folder); `download` puts the reports into the workspace, as
 * actions/download-artifact would.
 */
export async function runSummarize(inputs: Record<string, string>, download: (workspace: string) => void): Promise<SummarizeRun> {
  mkdirSync(RUNS, { recursive: true })
  const layout = runnerLayout(mkdtempSync(path.join(RUNS, 'job-')), 'plain')
  download(layout.workspace)
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    PATH: stepPath(24, false),
    RUNNER_TEMP: layout.runnerTemp,
    GITHUB_WORKSPACE: layout.workspace,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    ...layout.files
  }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  const run = await step(nodeBinary(24), DIST_SUMMARIZE, env, layout.workspace, { inputs }, false)
  return { step: run, outputs: parseFileCommands(readOr(layout.files.GITHUB_OUTPUT)), summary: readOr(layout.files.GITHUB_STEP_SUMMARY), layout }
}
