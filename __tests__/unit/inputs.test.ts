import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { InputError } from '../../src/engine/inputs.js'
import { parseExtraCommands, parseInputs } from '../../src/engine/parse-inputs.js'

const reader = (values: Record<string, string>) => (name: string) => values[name] ?? ''

function errorOf(values: Record<string, string>): InputError {
  try {
    parseInputs(reader({ tarball: 'ktx.tgz', ...values }))
  } catch (error) {
    assert.ok(error instanceof InputError)
    return error
  }
  assert.fail(`expected ${JSON.stringify(values)} to be rejected`)
}

describe('parseInputs', () => {
  it('applies the documented defaults', () => {
    assert.deepEqual(parseInputs(reader({ tarball: ' dist/*.tgz ' })), {
      tarball: 'dist/*.tgz',
      package: '',
      installs: ['project', 'global'],
      registryWaitSec: 300,
      packageManager: 'npm',
      cliGeneration: 'auto',
      expectedVersion: '',
      features: ['core'],
      daemon: true,
      phaseTimeoutSec: 120,
      installTimeoutSec: 900,
      runtimeInstallTimeoutSec: 900,
      keepSandbox: false,
      failOnError: true,
      cache: 'auto',
      uvBinary: '',
      quiet: false,
      extraCommands: [],
      envPassthrough: [],
      homeWrites: 'warn',
      compareTo: '',
      maxSizeIncrease: undefined,
      failOnRemovedFiles: [],
      failOnNewInstallScripts: false,
      failOnVersionNotGreater: true,
      startupBudgetMs: undefined,
      compareStartup: false,
      maxStartupRegression: 25,
      cell: ''
    })
  })

  it('reads the comparison inputs, and names a bad one with what would be valid', () => {
    const inputs = parseInputs(
      reader({
        tarball: 'a.tgz',
        'compare-to': '@kaelio/ktx@latest',
        'max-size-increase': '500kB',
        'fail-on-removed-files': 'dist/**,\nassets/python/**',
        'startup-budget-ms': '1500',
        'max-startup-regression': '40%'
      })
    )
    assert.deepEqual(inputs.maxSizeIncrease, { text: '500kB', limit: { bytes: 500_000 } })
    assert.deepEqual(inputs.failOnRemovedFiles, ['dist/**', 'assets/python/**'])
    assert.deepEqual(parseInputs(reader({ tarball: 'a.tgz', 'fail-on-removed-files': 'true' })).failOnRemovedFiles, ['**'])
    assert.equal(inputs.startupBudgetMs, 1500)
    assert.equal(inputs.maxStartupRegression, 40)
    assert.throws(() => parseInputs(reader({ tarball: 'a.tgz', 'max-size-increase': 'a lot' })), {
      message: 'Invalid max-size-increase: "a lot". Give a percent of the size before (10%) or a size (500kB, 2MB, 1MiB, 300000 bytes), or leave it empty.'
    })
    assert.throws(() => parseInputs(reader({ tarball: 'a.tgz', 'startup-budget-ms': '1s' })), {
      message: 'Invalid startup-budget-ms: "1s". Expected a whole number of milliseconds (e.g. 1000), or empty for no budget.'
    })
  })

  it('reads every input when given', () => {
    const inputs = parseInputs(
      reader({
        tarball: 'a.tgz',
        'package-manager': 'pnpm',
        'cli-generation': 'runtime',
        'expected-version': 'v0.12.0',
        features: 'core, local-embeddings',
        daemon: 'false',
        'phase-timeout': '30',
        'install-timeout': '1200',
        'keep-sandbox': 'true',
        'fail-on-error': 'false'
      })
    )
    assert.equal(inputs.packageManager, 'pnpm')
    assert.equal(inputs.cliGeneration, 'runtime')
    assert.equal(inputs.expectedVersion, '0.12.0')
    assert.deepEqual(inputs.features, ['core', 'local-embeddings'])
    assert.equal(inputs.daemon, false)
    assert.equal(inputs.phaseTimeoutSec, 30)
    assert.equal(inputs.installTimeoutSec, 1200)
    assert.equal(inputs.runtimeInstallTimeoutSec, 1200, 'install-timeout unless given')
    assert.equal(parseInputs(reader({ tarball: 't', 'runtime-install-timeout': '60' })).runtimeInstallTimeoutSec, 60)
    assert.equal(errorOf({ 'runtime-install-timeout': '0' }).input, 'runtime-install-timeout')
    assert.equal(inputs.keepSandbox, true)
    assert.equal(inputs.failOnError, false)
  })

  it('requires exactly one of tarball and package', () => {
    assert.throws(() => parseInputs(reader({})), /Input required and not supplied: tarball or package\./)
    assert.throws(
      () => parseInputs(reader({ tarball: 'a.tgz', package: '@kaelio/ktx@0.12.0' })),
      /^InputError: Give either tarball \("a\.tgz"\) or package \("@kaelio\/ktx@0\.12\.0"\), not both\.$/
    )
    const published = parseInputs(reader({ package: '@kaelio/ktx@0.12.0', 'registry-wait': '0' }))
    assert.equal(published.package, '@kaelio/ktx@0.12.0')
    assert.equal(published.tarball, '')
    assert.equal(published.registryWaitSec, 0)
    assert.match(errorOf({ tarball: '', package: '@kaelio/ktx' }).message, /^Invalid package: "@kaelio\/ktx"\. Give a package name with its version/)
    assert.match(errorOf({ 'registry-wait': '-1' }).message, /^Invalid registry-wait: "-1"\. Expected a whole number of seconds from 0 to 21600\./)
  })

  it('installs: modes from project, global and npx, the first of them project or global', () => {
    assert.deepEqual(parseInputs(reader({ tarball: 't', installs: 'global, project,npx' })).installs, ['global', 'project', 'npx'])
    assert.deepEqual(parseInputs(reader({ tarball: 't', installs: 'project' })).installs, ['project'])
    const valid = 'Valid values (comma separated): project, global, npx, the first of them project or global.'
    assert.equal(
      errorOf({ installs: 'npx,project' }).message,
      `Invalid installs: "npx,project": npx only runs \`ktx --version\`, so it cannot come first. ${valid}`
    )
    assert.equal(errorOf({ installs: 'project,yarn' }).message, `Invalid installs: "project,yarn": unknown yarn. ${valid}`)
    assert.equal(errorOf({ installs: 'project,project' }).message, `Invalid installs: "project,project": a mode is listed twice. ${valid}`)
  })

  it('names the input and the valid values for enums', () => {
    const e = errorOf({ 'package-manager': 'yarn' })
    assert.equal(e.input, 'package-manager')
    assert.match(e.message, /Invalid package-manager: "yarn"\. Valid values: npm, pnpm\./)
    assert.match(errorOf({ 'cli-generation': 'dev' }).message, /Valid values: auto, admin, runtime/)
    assert.match(errorOf({ features: 'core,gpu' }).message, /Invalid features: "core,gpu".*core, local-embeddings/)
  })

  it('rejects timeouts outside 1..21600 whole seconds', () => {
    for (const value of ['abc', '0', '-5', '1e9', '2.5', '21601']) {
      const e = errorOf({ 'phase-timeout': value })
      assert.equal(e.input, 'phase-timeout')
      assert.match(e.message, /whole number of seconds from 1 to 21600/)
    }
    assert.equal(errorOf({ 'install-timeout': '0' }).input, 'install-timeout')
  })

  it('accepts only true/false for booleans', () => {
    for (const value of ['yes', '1', 'TRUE']) {
      assert.match(errorOf({ daemon: value }).message, /Invalid daemon: ".*"\. Valid values: true, false\./)
    }
    assert.equal(errorOf({ 'keep-sandbox': 'no' }).input, 'keep-sandbox')
  })

  it('requires a semver expected-version', () => {
    assert.match(errorOf({ 'expected-version': 'latest' }).message, /Invalid expected-version: "latest"/)
    assert.equal(parseInputs(reader({ tarball: 'a', 'expected-version': '1.0.0-rc.1' })).expectedVersion, '1.0.0-rc.1')
  })
})

describe('extra-commands and the other issue-4 inputs', () => {
  it('splits command lines like a shell, drops a leading ktx, blank lines and comments', () => {
    assert.deepEqual(parseExtraCommands('ktx wiki revenue --json\n\n  # the orders layer\nsl orders --json --name "order count"\r\n'), [
      ['wiki', 'revenue', '--json'],
      ['sl', 'orders', '--json', '--name', 'order count']
    ])
  })

  it('refuses shell syntax and variables, naming the line', () => {
    assert.match(
      errorOf({ 'extra-commands': 'wiki --json\nsl query | tee x' }).message,
      /^Invalid extra-commands, line 2 \("sl query \| tee x"\): shell operators, globs and comments are not run by a shell here\./
    )
    assert.match(errorOf({ 'extra-commands': 'sl query --project-dir $HOME' }).message, /line 1 .*variables are not expanded/)
    assert.match(errorOf({ 'extra-commands': 'ktx' }).message, /line 1 \("ktx"\): no command after ktx/)
  })

  it('cache is auto, true or false; quiet is a boolean', () => {
    assert.equal(parseInputs(reader({ tarball: 't', cache: 'false', quiet: 'true' })).cache, 'false')
    assert.equal(errorOf({ cache: 'yes' }).message, 'Invalid cache: "yes". Valid values: auto, true, false.')
    assert.equal(errorOf({ quiet: 'on' }).message, 'Invalid quiet: "on". Valid values: true, false.')
  })
})

describe('one source of truth for the inputs', () => {
  it("the parser's defaults are action.yml's, input for input", async () => {
    const { readFileSync } = await import('node:fs')
    const { parse } = await import('yaml')
    const { DEFAULTS } = await import('../../src/engine/inputs.js')
    const action = parse(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')) as { inputs: Record<string, { default?: string }> }
    const declared = Object.fromEntries(
      Object.entries(action.inputs)
        .filter(([name]) => name !== 'tarball' && name !== 'package')
        .map(([name, spec]) => [name, spec.default ?? ''])
    )
    assert.deepEqual({ ...DEFAULTS }, declared)
  })
})
