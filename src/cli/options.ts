// ktx-smoke's options as the action's inputs: the same parser (engine/parse-inputs.ts) reads both,
// and its messages, which name inputs, are said here in the words of options and the <tarball> argument.
import type { InputError, Inputs } from '../engine/inputs.js'
import { parseInputs } from '../engine/parse-inputs.js'

/** The smoke's options, as commander gives them. */
export interface Options {
  packageManager: string
  cliGeneration: string
  expectedVersion?: string
  features: string
  daemon: boolean
  extraCommand: string[]
  phaseTimeout: string
  installTimeout: string
  runtimeInstallTimeout?: string
  cache: string
  uvBinary?: string
  keepSandbox?: boolean
  json?: boolean
  reportDir: string
  report?: string
  junit?: string
  verbose?: boolean
  envPassthrough?: string
  homeWrites: string
  package?: string
  installs: string
  registryWait: string
  compareTo?: string
  maxSizeIncrease?: string
  failOnRemovedFiles: string
  failOnNewInstallScripts?: boolean
  failOnVersionNotGreater: boolean
  startupBudgetMs?: string
  compareStartup?: boolean
  maxStartupRegression: string
  cell?: string
}

/** The options and the <tarball> argument, parsed as the action parses its inputs; an InputError names the first bad one. */
export function inputsOf(tarball: string | undefined, options: Options): Inputs {
  const given: Record<string, string> = {
    tarball: tarball ?? '',
    package: options.package ?? '',
    installs: options.installs,
    'registry-wait': options.registryWait,
    'package-manager': options.packageManager,
    'cli-generation': options.cliGeneration,
    'expected-version': options.expectedVersion ?? '',
    features: options.features,
    daemon: String(options.daemon),
    'phase-timeout': options.phaseTimeout,
    'install-timeout': options.installTimeout,
    'runtime-install-timeout': options.runtimeInstallTimeout ?? '',
    'keep-sandbox': String(Boolean(options.keepSandbox)),
    cache: options.cache,
    'uv-binary': options.uvBinary ?? '',
    'extra-commands': options.extraCommand.join('\n'),
    'env-passthrough': options.envPassthrough ?? '',
    'home-writes': options.homeWrites,
    'compare-to': options.compareTo ?? '',
    'max-size-increase': options.maxSizeIncrease ?? '',
    'fail-on-removed-files': options.failOnRemovedFiles,
    'fail-on-new-install-scripts': String(Boolean(options.failOnNewInstallScripts)),
    'fail-on-version-not-greater': String(options.failOnVersionNotGreater),
    'startup-budget-ms': options.startupBudgetMs ?? '',
    'compare-startup': String(Boolean(options.compareStartup)),
    'max-startup-regression': options.maxStartupRegression,
    cell: options.cell ?? ''
  }
  return parseInputs(name => given[name] ?? '')
}

/** The engine's messages name the action's inputs; here they are the <tarball> argument and options. */
export function inCliWords(text: string): string {
  return text.replaceAll('Input tarball:', 'The <tarball> argument:').replace(/Input ([a-z-]+):/g, 'Option --$1:')
}

/** An input error in ktx-smoke's words: options and the <tarball> argument instead of inputs. */
export function inputErrorInCliWords(error: InputError): string {
  return error.message
    .replace(`Invalid ${error.input}`, `Invalid --${error.input}`)
    .replace('Input required and not supplied: tarball or package. Give tarball, the path', 'Give the <tarball> argument, the path')
    .replace('or package, a published release', 'or --package, a published release')
}
