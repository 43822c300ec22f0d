// The run's shared state: the phase names, what the phases learn (facts), the context they share,
// and the result the reporters read.
import { randomUUID } from 'node:crypto'
import type { HomeWatch } from '../host/home.js'
import type { RunTag } from '../host/run-tag.js'
import type { Sandbox } from '../host/sandbox.js'
import type { CommandResult } from '../host/command.js'
import type { Generation } from '../ktx/generations.js'
import type { PackageManager } from './inputs.js'
import type { TarballInfo } from '../ktx/tarball.js'
import type { Comparison } from '../ktx/compare.js'
import type { CacheClient, CacheDirs } from './cache.js'
import type { InstallMode, Inputs } from './inputs.js'

/** The phases the first install mode runs, in order (the opt-in ones aside). */
export const CORE_PHASES = [
  'package',
  'install',
  'import',
  'version',
  'help',
  'sqlite',
  'runtime-missing',
  'project',
  'search',
  'lazy-install',
  'runtime-ready',
  'query-execute',
  'runtime-checks',
  'daemon-start',
  'daemon-reuse',
  'daemon-stop'
] as const

/** The phases of each further install mode (`global`, or `project` after a global first). */
export const MODE_STEPS = ['install', 'version', 'status', 'query'] as const
export const modePhases = (mode: 'project' | 'global'): ModePhase[] => MODE_STEPS.map(step => `${mode}-${step}` as const)
type ModePhase = `${'project' | 'global'}-${(typeof MODE_STEPS)[number]}`

/** The phases of a run with the default inputs (installs: project,global). */
export const PHASE_NAMES = [...CORE_PHASES, ...modePhases('global')] as const

/** The core phases, each further mode's, `npx-version`, the opt-in local-embeddings ones, and one `extra-N` per line of `extra-commands`. */
export type PhaseName = (typeof CORE_PHASES)[number] | ModePhase | 'compare' | 'npx-version' | 'embeddings-install' | 'embeddings-compute' | `extra-${number}`

/** Whose fault: `failed` is the release's, `error` the caller's input, the host's or the action's own. */
export type Verdict = 'passed' | 'failed' | 'error' | 'cancelled'

export type PhaseStatus = Verdict | 'skipped'

/** The mark of a phase's status in the log, the terminal and the summary. */
export const STATUS_MARK: Record<PhaseStatus, string> = { passed: '✓', failed: '✗', error: '!', cancelled: '⊘', skipped: '-' }

/** One command a phase ran, as the reports show it (output trimmed). */
export interface CommandRecord {
  command: string
  exitCode: number | null
  signal: string | null
  timedOut: boolean
  durationMs: number
  stdout: string
  stderr: string
}

export interface PhaseResult {
  name: PhaseName
  title: string
  status: PhaseStatus
  durationMs: number
  commands: CommandRecord[]
  notes: string[]
  /** Why the phase failed (or was skipped). */
  message?: string
}

/** What the phases learned along the way; the reporters read it. */
export interface Facts {
  tarball?: TarballInfo
  ktxVersion?: string
  generation?: Generation
  statusBefore?: string
  statusAfter?: string
  statusJson?: string
  features?: string[]
  runtimeRoot?: string
  daemon?: { url: string; pid: number; statePath?: string }
  cache?: CacheFacts
  /** Files ktx commands wrote under the sandbox HOME (other than a runtime), by phase. */
  homeWrites?: { phase: PhaseName; files: string[] }[]
  /** Names env-passthrough let through to the code under test. */
  passedThrough?: string[]
  /** The install modes that ran, in order. */
  installs?: InstallMode[]
  /** The sqlite module the release brings (its better-sqlite3, or node:sqlite), as the sqlite phase found it. */
  sqlite?: string
  /** What changed since compare-to (files, sizes, package.json, the wheel). */
  comparison?: Comparison
  /** Median `ktx --version` of the release, and of compare-to with compare-startup, in ms. */
  startupMs?: number
  baselineStartupMs?: number
  /** The Node on PATH that ktx runs on, and the package manager's version, as the package phase found them. */
  runner?: { nodeVersion?: string; managerVersion?: string }
  /** Time spent watching outside the sandbox (file commands, checkout, actions, HOME): setting up and looking, in ms. */
  watchMs?: number
}

export interface CacheFacts {
  /** Whether the cache service was used (restore now, save in the post step). */
  used: boolean
  key: string
  /** An exact key match was restored. */
  hit: boolean
  /** The key actually restored (a prefix match when not a hit). */
  restoredKey?: string
  /** Why the cache service was not used. */
  reason?: string
}

export interface SmokeResult {
  result: Verdict
  /** The phase where the run stopped (failed, errored or was cancelled). */
  failedPhase?: PhaseName
  /** The failing phase's full message: phase, command, expectation, exit code, output tail. */
  failure?: string
  phases: PhaseResult[]
  durationMs: number
  facts: Facts
  runId: string
  sandbox?: Sandbox
}

/** Where the engine writes its log; the action maps this onto log groups. */
export interface SmokeLog {
  startPhase(name: PhaseName, title: string): void
  /** A line of the phase's own narration. */
  info(line: string): void
  /** Something the user should act on, that does not fail the phase. */
  warning(line: string): void
  /** What the run is waiting for and why (a registry that does not serve the release yet): shown even when quiet. */
  progress(line: string): void
  commandStarted(display: string): void
  /** Raw command output as it arrives. */
  output(text: string): void
  commandFinished(result: CommandResult): void
  /** The phase is still running, `elapsedMs` after it started (every heartbeat interval). */
  heartbeat(name: PhaseName, elapsedMs: number): void
  endPhase(result: PhaseResult): void
}

/** How often a running phase says so: every 30 s, or KTX_SMOKE_HEARTBEAT_SECONDS. */
export function heartbeatMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.KTX_SMOKE_HEARTBEAT_SECONDS)
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 30_000
}

/** Remembers what the post step needs (core.saveState in the action). */
export type SaveState = (name: string, value: string) => void

export interface SmokeContext {
  inputs: Inputs
  runId: string
  /** The workflow's directory that a relative `tarball` is resolved against. */
  workspace: string
  sandbox?: Sandbox
  ktxBin?: string
  facts: Facts
  log: SmokeLog
  saveState: SaveState
  /** What watches the world outside the sandbox (the job's file commands, the checkout, HOME…), asked after every phase. */
  guards?: Guard[]
  /** Linux: the boot tick when the run began; processes new since then may be the run's escapees. */
  since?: number
  /** Linux: the limits every process of the run inherits and no other run's has (host/run-tag.ts). */
  tag?: RunTag
  /** The cache service and the event that triggered the run. */
  services: Services
  /** Download caches the action owns (restored from the cache service, a local run's, or a publishing run's empty ones). */
  cacheDirs?: CacheDirs
  /** Where the action owns none: the runner user's own cache (npm) or store (pnpm) for the installs, and npm's for npx. */
  userCaches?: { manager?: string; npm?: string }
  /** A directory put first on ktx's PATH (holds the uv-binary for releases that take uv from PATH). */
  pathDir?: string
  /** The release: the tarball's file, or a published version from the registry. */
  release?: ReleaseRef
  /** compare-to, fetched and read. */
  baseline?: { file: string; info: TarballInfo }
  /** The first install mode's install, which every core phase runs ktx from. */
  installed?: Installed
  /** The tools on PATH the package phase found: the Node ktx runs on and the package manager. */
  host?: { node: string; nodeVersion?: string; nodeAbi: string; manager: string; managerVersion: string }
  /** The `uv-binary` input, found. */
  uvBinary?: string
  /** How the package manager installs, set by the install phase. */
  plan?: InstallPlan
  /** The installs of the further modes, by mode. */
  moreInstalls?: Partial<Record<'project' | 'global', Installed>>
  /** Watches what ktx commands write under the sandbox HOME. */
  homeWatch?: HomeWatch
  /** The name of the phase running now. */
  phase?: PhaseName
  cancellation: Cancellation
}

/**
 * Watches something outside the sandbox: what the release did to it since the last look, undefined
 * when nothing. `note` hears of what was seen but is no change (a file that came and went).
 */
export interface Guard {
  check(note?: (line: string) => void): string | undefined | Promise<string | undefined>
}

/** Settles when the run is cancelled; the action's and the CLI's signal handlers call `cancel`. */
export class Cancellation {
  signal?: string
  private fire!: (signal: string) => void
  readonly promise = new Promise<string>(resolve => (this.fire = resolve))

  cancel(signal: string): void {
    if (this.signal) return
    this.signal = signal
    this.fire(signal)
  }
}

export interface Services {
  /** The cache service; none on a local run (ktx-smoke), where the owned caches persist in the temp dir. */
  cache?: CacheClient
  event: { name?: string; ref?: string; runnerEnvironment?: string }
}

export function newContext(inputs: Inputs, log: SmokeLog, saveState: SaveState, workspace: string, services: Services): SmokeContext {
  return { inputs, runId: randomUUID(), workspace, facts: {}, log, saveState, services, cancellation: new Cancellation() }
}

/** How the installed ktx is started: `node <bin script>` on Windows (no cmd.exe parsing), its bin elsewhere. */
export interface KtxInvocation {
  file: string
  args: string[]
}

/** What is installed: the tarball's file, or a published release from the registry. */
export type ReleaseRef = { kind: 'file'; file: string } | { kind: 'registry'; name: string; version: string }

/** One install of the release: how to start its ktx, where the package is, what to put first on PATH. */
export interface Installed {
  mode: 'project' | 'global'
  ktx: KtxInvocation
  packageDir: string
  /** A bin dir the mode's phases put first on PATH (global installs). */
  binDir?: string
}

/** How a package manager installs the release: its tool, the sealed env, the cache, the time it gets. */
export interface InstallPlan {
  manager: PackageManager
  tool: string
  /** The package manager's version. */
  version: string
  node: string
  env: NodeJS.ProcessEnv
  timeoutSec: number
  /** The package manager's download cache (npm) or store (pnpm) to use, if the action owns one. */
  cacheDir?: string
  /** For a release from the registry: how long its installs wait for the registry to serve it. */
  registryWait?: RegistryWait
}

/** How long to wait for a release from the registry (registry-wait), and the spec waited for. */
export interface RegistryWait {
  seconds: number
  spec: string
}
