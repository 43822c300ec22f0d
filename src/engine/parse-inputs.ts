// Reads the action's inputs (or ktx-smoke's options, given as inputs) and checks each one: a bad
// one is an InputError that names it and says what would be valid.
import { parse as parseShell } from 'shell-quote'
import semver from 'semver'
import { PASSTHROUGH_ENTRY } from '../host/env.js'
import { parseSizeLimit } from './format.js'
import {
  CACHE_MODES,
  DEFAULTS,
  FEATURES,
  GENERATION_CHOICES,
  HOME_WRITES_MODES,
  INSTALL_MODES,
  InputError,
  type Feature,
  type InputReader,
  type Inputs,
  type InstallMode,
  PACKAGE_MANAGERS,
  TIMEOUT_RANGE
} from './inputs.js'

function raw(read: InputReader, name: string): string {
  const value = read(name).trim()
  if (value !== '') return value
  return (DEFAULTS as Record<string, string>)[name] ?? ''
}

function oneOf<T extends string>(read: InputReader, name: string, valid: readonly T[]): T {
  const value = raw(read, name)
  if ((valid as readonly string[]).includes(value)) return value as T
  throw new InputError(name, `Invalid ${name}: "${value}". Valid values: ${valid.join(', ')}.`)
}

function bool(read: InputReader, name: string): boolean {
  const value = raw(read, name)
  if (value === 'true') return true
  if (value === 'false') return false
  throw new InputError(name, `Invalid ${name}: "${value}". Valid values: true, false.`)
}

function seconds(read: InputReader, name: string): number {
  const value = raw(read, name)
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN
  if (Number.isInteger(n) && n >= TIMEOUT_RANGE.min && n <= TIMEOUT_RANGE.max) return n
  throw new InputError(name, `Invalid ${name}: "${value}". Expected a whole number of seconds from ${TIMEOUT_RANGE.min} to ${TIMEOUT_RANGE.max}.`)
}

function features(read: InputReader): Feature[] {
  const value = raw(read, 'features')
  const list = [...new Set(value.split(/[\s,]+/).filter(Boolean))]
  const unknown = list.filter(f => !(FEATURES as readonly string[]).includes(f))
  if (list.length === 0 || unknown.length > 0) {
    throw new InputError('features', `Invalid features: "${value}". Valid values (comma or space separated): ${FEATURES.join(', ')}.`)
  }
  return list as Feature[]
}

function expectedVersion(read: InputReader): string {
  const value = raw(read, 'expected-version').replace(/^v(?=\d)/, '')
  if (value === '' || semver.valid(value) === value) return value
  throw new InputError('expected-version', `Invalid expected-version: "${value}". Expected a semver version such as 0.12.0, or empty to skip the check.`)
}

/**
 * `extra-commands`: one ktx command line per line (a leading `ktx` is optional, `#` starts a
 * comment line). Quotes work as in a shell; pipes, redirections, globs and substitutions do not.
 */
export function parseExtraCommands(text: string): string[][] {
  const commands: string[][] = []
  const lines = text.split(/\r?\n/)
  lines.forEach((line, index) => {
    const trimmed = line.trim()
    if (trimmed === '' || trimmed.startsWith('#')) return
    const bad = (why: string): InputError =>
      new InputError(
        'extra-commands',
        `Invalid extra-commands, line ${index + 1} ("${trimmed}"): ${why}. Give one ktx command per line, e.g. "sl query --connection-id warehouse --measure orders.order_count".`
      )
    const words = parseShell(trimmed, name => `$${name}`)
    if (words.some(w => typeof w !== 'string')) throw bad('shell operators, globs and comments are not run by a shell here')
    const argv = words as string[]
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the message names the workflow's ${{ }} syntax
    if (/\$\w/.test(trimmed)) throw bad('variables are not expanded; use ${{ }} expressions in the workflow instead')
    if (argv[0] === 'ktx') argv.shift()
    if (argv.length === 0) throw bad('no command after ktx')
    commands.push(argv)
  })
  return commands
}

/** `env-passthrough`: names and `PREFIX_*` patterns, separated by commas, spaces or newlines. */
export function parsePassthrough(text: string): string[] {
  const entries = [...new Set(text.split(/[\s,]+/).filter(Boolean))]
  const bad = entries.filter(e => !PASSTHROUGH_ENTRY.test(e))
  if (bad.length > 0) {
    throw new InputError(
      'env-passthrough',
      `Invalid env-passthrough: ${bad.map(b => `"${b}"`).join(', ')}. Give variable names (e.g. NODE_AUTH_TOKEN) or PREFIX_* patterns (e.g. MY_PROXY_*), separated by commas or newlines.`
    )
  }
  return entries
}

/** `installs`: modes from project, global and npx, the first of them project or global (it runs every phase). */
function installs(read: InputReader): InstallMode[] {
  const value = raw(read, 'installs')
  const list = value.split(/[\s,]+/).filter(Boolean)
  const bad = (why: string): InputError =>
    new InputError(
      'installs',
      `Invalid installs: "${value}": ${why}. Valid values (comma separated): ${INSTALL_MODES.join(', ')}, the first of them project or global.`
    )
  const unknown = list.filter(m => !(INSTALL_MODES as readonly string[]).includes(m))
  if (list.length === 0 || unknown.length > 0) throw bad(list.length === 0 ? 'no mode' : `unknown ${unknown.join(', ')}`)
  if (new Set(list).size !== list.length) throw bad('a mode is listed twice')
  if (list[0] === 'npx') throw bad('npx only runs `ktx --version`, so it cannot come first')
  return list as InstallMode[]
}

/** `registry-wait`: 0 (no retry) up to the six hours of a job. */
function registryWait(read: InputReader): number {
  const value = raw(read, 'registry-wait')
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN
  if (Number.isInteger(n) && n <= TIMEOUT_RANGE.max) return n
  throw new InputError('registry-wait', `Invalid registry-wait: "${value}". Expected a whole number of seconds from 0 to ${TIMEOUT_RANGE.max}.`)
}

/** `tarball` or `package`: exactly one of them. */
function source(read: InputReader): { tarball: string; package: string } {
  const tarball = read('tarball').trim()
  const spec = read('package').trim()
  if (tarball === '' && spec === '') {
    throw new InputError(
      'tarball',
      'Input required and not supplied: tarball or package. Give tarball, the path (or a glob matching exactly one file) of the packed @kaelio/ktx .tgz, or package, a published release such as @kaelio/ktx@0.12.0.'
    )
  }
  if (tarball !== '' && spec !== '') {
    throw new InputError('package', `Give either tarball ("${tarball}") or package ("${spec}"), not both.`)
  }
  if (spec !== '' && !/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*@[^\s@]+$/i.test(spec)) {
    throw new InputError('package', `Invalid package: "${spec}". Give a package name with its version, such as @kaelio/ktx@0.12.0.`)
  }
  return { tarball, package: spec }
}

/** `max-size-increase`: a percent of the size before, or bytes with a unit; '' for no limit. */
function maxSizeIncrease(read: InputReader): Inputs['maxSizeIncrease'] {
  const text = raw(read, 'max-size-increase')
  if (text === '') return undefined
  const limit = parseSizeLimit(text)
  if (!limit) {
    throw new InputError(
      'max-size-increase',
      `Invalid max-size-increase: "${text}". Give a percent of the size before (10%) or a size (500kB, 2MB, 1MiB, 300000 bytes), or leave it empty.`
    )
  }
  return { text, limit }
}

/** `fail-on-removed-files`: true (any file), false, or globs of paths inside the package, comma or newline separated. */
function removedFiles(read: InputReader): string[] {
  const text = raw(read, 'fail-on-removed-files')
  if (text === 'false') return []
  if (text === 'true') return ['**']
  return [
    ...new Set(
      text
        .split(/[\n,]+/)
        .map(g => g.trim())
        .filter(Boolean)
    )
  ]
}

/** `startup-budget-ms`: a whole number of milliseconds, or '' for none. */
function startupBudget(read: InputReader): number | undefined {
  const text = raw(read, 'startup-budget-ms')
  if (text === '') return undefined
  if (/^\d+$/.test(text) && Number(text) > 0) return Number(text)
  throw new InputError(
    'startup-budget-ms',
    `Invalid startup-budget-ms: "${text}". Expected a whole number of milliseconds (e.g. 1000), or empty for no budget.`
  )
}

/** `max-startup-regression`: a percent (`25%`). */
function startupRegression(read: InputReader): number {
  const text = raw(read, 'max-startup-regression')
  const limit = parseSizeLimit(text)
  if (limit && 'percent' in limit) return limit.percent
  throw new InputError('max-startup-regression', `Invalid max-startup-regression: "${text}". Expected a percent, e.g. 25%.`)
}

/** Characters a cell name may hold: it heads a column and is one item of summarize's comma list `failed-cells`. */
export const CELL_NAME = /^[\w .+/()@:-]{1,60}$/

/** `cell`: a name for summarize's table, or '' for the one the run's platform, Node and package manager give. */
function cellName(read: InputReader): string {
  const value = raw(read, 'cell')
  if (value === '' || CELL_NAME.test(value)) return value
  throw new InputError(
    'cell',
    `Invalid cell: "${value}". Expected at most 60 letters, digits, spaces and . _ + / ( ) @ : - (no commas), e.g. ubuntu-24.04 node22 pnpm, or empty for the default name.`
  )
}

/** Parses every input; throws an InputError naming the first bad one. */
export function parseInputs(read: InputReader): Inputs {
  return {
    ...source(read),
    installs: installs(read),
    registryWaitSec: registryWait(read),
    packageManager: oneOf(read, 'package-manager', PACKAGE_MANAGERS),
    cliGeneration: oneOf(read, 'cli-generation', GENERATION_CHOICES),
    expectedVersion: expectedVersion(read),
    features: features(read),
    daemon: bool(read, 'daemon'),
    phaseTimeoutSec: seconds(read, 'phase-timeout'),
    installTimeoutSec: seconds(read, 'install-timeout'),
    runtimeInstallTimeoutSec: raw(read, 'runtime-install-timeout') === '' ? seconds(read, 'install-timeout') : seconds(read, 'runtime-install-timeout'),
    keepSandbox: bool(read, 'keep-sandbox'),
    failOnError: bool(read, 'fail-on-error'),
    cache: oneOf(read, 'cache', CACHE_MODES),
    uvBinary: raw(read, 'uv-binary'),
    quiet: bool(read, 'quiet'),
    extraCommands: parseExtraCommands(read('extra-commands')),
    envPassthrough: parsePassthrough(read('env-passthrough')),
    homeWrites: oneOf(read, 'home-writes', HOME_WRITES_MODES),
    compareTo: raw(read, 'compare-to'),
    maxSizeIncrease: maxSizeIncrease(read),
    failOnRemovedFiles: removedFiles(read),
    failOnNewInstallScripts: bool(read, 'fail-on-new-install-scripts'),
    failOnVersionNotGreater: bool(read, 'fail-on-version-not-greater'),
    startupBudgetMs: startupBudget(read),
    compareStartup: bool(read, 'compare-startup'),
    maxStartupRegression: startupRegression(read),
    cell: cellName(read)
  }
}
