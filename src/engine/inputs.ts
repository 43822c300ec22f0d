// What the action's inputs are: their parsed form, their choices and defaults (action.yml's), and
// the error a bad one gives. Reading and checking them: parse-inputs.ts.
import type { SizeLimit } from './format.js'

/** Every input of action.yml, parsed and validated once. */
export interface Inputs {
  /** The packed tarball (a path or glob); '' when `package` is given. */
  tarball: string
  /** An npm spec of a published release (`@kaelio/ktx@0.12.0`); '' when `tarball` is given. */
  package: string
  /** How the release is installed: the first mode runs every phase, the others their own few. */
  installs: InstallMode[]
  /** Seconds to wait for the registry to serve `package` (E404 / ETARGET), retrying with backoff. */
  registryWaitSec: number
  packageManager: PackageManager
  cliGeneration: GenerationChoice
  expectedVersion: string
  features: Feature[]
  daemon: boolean
  phaseTimeoutSec: number
  /** Seconds a package install (npm / pnpm / npx) may take. */
  installTimeoutSec: number
  /** Seconds ktx's runtime install (the lazy one, a feature's) may take; install-timeout unless given. */
  runtimeInstallTimeoutSec: number
  keepSandbox: boolean
  failOnError: boolean
  cache: CacheMode
  /** A uv executable to place where the CLI looks for it ('' for none). */
  uvBinary: string
  quiet: boolean
  /** Extra ktx command lines, each as argv without the leading `ktx`. */
  extraCommands: string[][]
  /** Variable names and `PREFIX_*` patterns the code under test may see besides the sealed set. */
  envPassthrough: string[]
  /** What a ktx command writing under the sandbox HOME (other than a runtime) does to its phase. */
  homeWrites: HomeWritesMode
  /** The release to compare with: an npm spec, a path or a glob ('' for none). */
  compareTo: string
  /** How much the unpacked size may grow over compare-to's, as given (`10%`, `500kB`), and parsed. */
  maxSizeIncrease?: { text: string; limit: SizeLimit }
  /** Globs of paths that must not disappear since compare-to (`**` for any file). */
  failOnRemovedFiles: string[]
  failOnNewInstallScripts: boolean
  failOnVersionNotGreater: boolean
  /** Most milliseconds the median `ktx --version` may take. */
  startupBudgetMs?: number
  /** Install compare-to too and time its `ktx --version`. */
  compareStartup: boolean
  /** How much slower than compare-to's `ktx --version` may be, in percent. */
  maxStartupRegression: number
  /** This run's name in a matrix summary ('' for the one its platform, Node and package manager give). */
  cell: string
}

export const INSTALL_MODES = ['project', 'global', 'npx'] as const
export type InstallMode = (typeof INSTALL_MODES)[number]

export const HOME_WRITES_MODES = ['warn', 'fail'] as const
export type HomeWritesMode = (typeof HOME_WRITES_MODES)[number]

export const CACHE_MODES = ['auto', 'true', 'false'] as const
export type CacheMode = (typeof CACHE_MODES)[number]

export const PACKAGE_MANAGERS = ['npm', 'pnpm'] as const
export type PackageManager = (typeof PACKAGE_MANAGERS)[number]

export const GENERATION_CHOICES = ['auto', 'admin', 'runtime'] as const
export type GenerationChoice = (typeof GENERATION_CHOICES)[number]

/** Runtime features the ktx CLI knows (contract §3). */
export const FEATURES = ['core', 'local-embeddings'] as const
export type Feature = (typeof FEATURES)[number]

/** Bounds for the timeout inputs, in seconds: at least one second, at most six hours (a job's limit). */
export const TIMEOUT_RANGE = { min: 1, max: 21600 } as const

export class InputError extends Error {
  constructor(
    readonly input: string,
    message: string
  ) {
    super(message)
    this.name = 'InputError'
  }
}

/** Reads one raw input; `@actions/core`'s getInput in the action, a map in tests. */
export type InputReader = (name: string) => string

export const DEFAULTS = {
  'package-manager': 'npm',
  'cli-generation': 'auto',
  'expected-version': '',
  features: 'core',
  daemon: 'true',
  'phase-timeout': '120',
  'install-timeout': '900',
  'runtime-install-timeout': '',
  'keep-sandbox': 'false',
  'fail-on-error': 'true',
  cache: 'auto',
  'uv-binary': '',
  quiet: 'false',
  'extra-commands': '',
  'env-passthrough': '',
  'home-writes': 'warn',
  installs: 'project,global',
  'registry-wait': '300',
  'compare-to': '',
  'max-size-increase': '',
  'fail-on-removed-files': 'false',
  'fail-on-new-install-scripts': 'false',
  'fail-on-version-not-greater': 'true',
  'startup-budget-ms': '',
  'compare-startup': 'false',
  'max-startup-regression': '25%',
  cell: ''
} as const
