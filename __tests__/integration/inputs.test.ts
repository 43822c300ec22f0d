// Bad input through the bundled action: a clear error naming the input and what would be valid,
// before anything is installed; no sandbox, no process, and a post step with nothing to do.
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { before, describe, it } from 'node:test'
import { gzipSync } from 'node:zlib'
import { c as createTar } from 'tar'
import { packFixture } from '../../scripts/lib/fixture.js'
import { runAction, type ActionRun, type RunOptions, scratch } from '../../scripts/lib/runner.js'
import { assertPassed, housekeeping, explain, sandboxesIn } from './helpers.js'

housekeeping()

/** Main stopped with `message` as its error and result=error (the caller's fault), before any sandbox existed; post had nothing to do. */
function assertRejected(run: ActionRun, message: RegExp, failedPhase = ''): void {
  assert.equal(run.main.code, 1, run.main.stdout)
  assert.match(run.main.stdout, message)
  assert.match(run.main.stdout, /::error::/)
  assert.equal(run.outputs.result, 'error', explain(run))
  if (failedPhase) {
    assert.match(run.summary, new RegExp(`⚠️ error in \`${failedPhase}\``))
    assert.match(readFileSync(run.outputs['junit-report'], 'utf8'), new RegExp(`<error message="Phase ${failedPhase} could not run: [^"]*" type="smoke-error"`))
  }
  assert.equal(run.outputs['failed-phase'], failedPhase, explain(run))
  assert.deepEqual(sandboxesIn(run.runnerTemp), [], 'a sandbox was created for a bad input')
  assert.doesNotMatch(run.main.stdout, /\$ (npm|pnpm) install/, 'something was installed')
  assert.equal(run.post?.code, 0, run.post?.stderr)
  assert.doesNotMatch(run.post!.stdout, /::warning::/)
  assert.deepEqual(run.leftovers, [])
}

describe('invalid inputs', () => {
  let tarball = ''
  before(() => {
    tarball = packFixture()
  })
  const valid = (): Record<string, string> => ({ tarball })

  const cases: [string, Record<string, string>, RegExp][] = [
    [
      'tarball empty',
      { tarball: '' },
      /::error::Input required and not supplied: tarball or package\. Give tarball, the path \(or a glob matching exactly one file\)/
    ],
    ['tarball and package', { package: '@kaelio/ktx@0.12.0' }, /::error::Give either tarball \("\S+"\) or package \("@kaelio\/ktx@0\.12\.0"\), not both\./],
    ['installs npx first', { installs: 'npx' }, /::error::Invalid installs: "npx": npx only runs `ktx --version`, so it cannot come first\./],
    ['registry-wait soon', { 'registry-wait': 'soon' }, /::error::Invalid registry-wait: "soon"\. Expected a whole number of seconds from 0 to 21600\./],
    ['package-manager yarn', { 'package-manager': 'yarn' }, /::error::Invalid package-manager: "yarn"\. Valid values: npm, pnpm\./],
    ['cli-generation v2', { 'cli-generation': 'v2' }, /::error::Invalid cli-generation: "v2"\. Valid values: auto, admin, runtime\./],
    ['features gpu', { features: 'core,gpu' }, /::error::Invalid features: "core,gpu"\. Valid values \(comma or space separated\): core, local-embeddings\./],
    ['expected-version latest', { 'expected-version': 'latest' }, /::error::Invalid expected-version: "latest"\. Expected a semver version such as 0\.12\.0/],
    ...['abc', '0', '-5', '1e9'].map((value): [string, Record<string, string>, RegExp] => [
      `phase-timeout ${value}`,
      { 'phase-timeout': value },
      new RegExp(`::error::Invalid phase-timeout: "${value}"\\. Expected a whole number of seconds from 1 to 21600\\.`)
    ]),
    ['install-timeout 1.5', { 'install-timeout': '1.5' }, /::error::Invalid install-timeout: "1\.5"\. Expected a whole number of seconds from 1 to 21600\./],
    [
      'env-passthrough with a bad name',
      { 'env-passthrough': 'GOOD_NAME, bad-name' },
      /::error::Invalid env-passthrough: "bad-name"\. Give variable names \(e\.g\. NODE_AUTH_TOKEN\) or PREFIX_\* patterns/
    ],
    ['home-writes ignore', { 'home-writes': 'ignore' }, /::error::Invalid home-writes: "ignore"\. Valid values: warn, fail\./],
    ...(['daemon', 'keep-sandbox', 'fail-on-error'] as const).flatMap(name =>
      ['yes', '1'].map((value): [string, Record<string, string>, RegExp] => [
        `${name} ${value}`,
        { [name]: value },
        new RegExp(`::error::Invalid ${name}: "${value}"\\. Valid values: true, false\\.`)
      ])
    )
  ]
  for (const [what, inputs, message] of cases) {
    it(what, async () => assertRejected(await runAction({ inputs: { ...valid(), ...inputs } }), message))
  }

  it('empty optional inputs take their documented defaults', async () => {
    const empty = Object.fromEntries(
      ['package-manager', 'cli-generation', 'expected-version', 'features', 'daemon', 'phase-timeout', 'install-timeout', 'keep-sandbox', 'fail-on-error'].map(
        n => [n, '']
      )
    )
    assertPassed(await runAction({ inputs: { ...empty, ...valid() } }), 'admin')
  })
})

describe('tarballs that are not a ktx npm tarball', () => {
  let dir = ''
  before(async () => {
    dir = scratch('bad-tarballs-')
    mkdirSync(path.join(dir, 'a-directory.tgz'))
    writeFileSync(path.join(dir, 'empty.tgz'), '')
    writeFileSync(path.join(dir, 'text.tgz'), 'not a tarball\n')
    writeFileSync(path.join(dir, 'gzip-text.tgz'), gzipSync('plain text, gzipped\n'))
    mkdirSync(path.join(dir, 'src', 'package'), { recursive: true })
    writeFileSync(path.join(dir, 'src', 'package', 'README.md'), 'no manifest here\n')
    await createTar({ gzip: true, file: path.join(dir, 'no-manifest.tgz'), cwd: path.join(dir, 'src') }, ['package'])
    mkdirSync(path.join(dir, 'two'))
    for (const name of ['kaelio-ktx-0.12.0.tgz', 'kaelio-ktx-0.12.1.tgz']) writeFileSync(path.join(dir, 'two', name), '')
  })
  const at = (name: string): Record<string, string> => ({ tarball: path.join(dir, name) })

  const cases: [string, () => Record<string, string>, RegExp][] = [
    [
      'no file matches the glob',
      () => ({ tarball: 'artifacts/*.tgz' }),
      /::error::Phase package could not run: Input tarball: no file matches "artifacts\/\*\.tgz" \(relative to \S+\/repo\/repo\)/
    ],
    [
      'no file at the path',
      () => ({ tarball: 'dist/kaelio-ktx.tgz' }),
      /::error::Phase package could not run: Input tarball: no file at "dist\/kaelio-ktx\.tgz" \(looked for \S+\/repo\/repo\/dist\/kaelio-ktx\.tgz, relative to \S+\/repo\/repo\)/
    ],
    [
      'a glob matching two files',
      () => ({ tarball: path.join(dir, 'two', '*.tgz') }),
      /"\S+\/two\/\*\.tgz" matches 2 files; it must match exactly one:\n\s+\S+kaelio-ktx-0\.12\.0\.tgz\n\s+\S+kaelio-ktx-0\.12\.1\.tgz/
    ],
    [
      'a directory',
      () => at('a-directory.tgz'),
      /a-directory\.tgz is a directory, not a file; it is not an npm tarball \(a gzip-compressed tar made by `npm pack`\)/
    ],
    ['an empty file', () => at('empty.tgz'), /empty\.tgz is empty; it is not an npm tarball/],
    ['a text file', () => at('text.tgz'), /text\.tgz is not an npm tarball \(a gzip-compressed tar made by `npm pack`\): it is not gzip data/],
    ['a gzip that is not a tar', () => at('gzip-text.tgz'), /gzip-text\.tgz is not an npm tarball \(a gzip-compressed tar made by `npm pack`\): /],
    ['a tar without package/package.json', () => at('no-manifest.tgz'), /no-manifest\.tgz has no package\/package\.json, so it is not an npm tarball/],
    [
      'a package without a ktx bin',
      () => ({ tarball: packFixture({ manifest: { name: '@kaelio/not-ktx', bin: { other: 'bin/ktx.js' } } }) }),
      /Input tarball: @kaelio\/not-ktx@0\.12\.0 has no "ktx" bin \(bins: other\); is this the @kaelio\/ktx tarball\?/
    ]
  ]
  for (const [what, inputs, message] of cases) {
    it(what, async () => assertRejected(await runAction({ inputs: inputs() }), message, 'package'))
  }
})

describe('the tools on PATH and the runner', () => {
  it('a RUNNER_TEMP that cannot hold the sandbox: an error of the runner, not a failed release', async () => {
    const file = path.join(scratch('runner-temp-'), 'a-file')
    writeFileSync(file, '')
    const run = await runAction({ inputs: { tarball: packFixture() }, env: { RUNNER_TEMP: path.join(file, 'temp') } })
    assert.equal(run.outputs.result, 'error', explain(run))
    // The first thing made there is the folder the probes of the host's tools run in, in package.
    assert.equal(run.outputs['failed-phase'], 'package', explain(run))
    assert.match(
      run.main.stdout,
      /::error::Phase package could not run: Cannot create a folder for the action's probes of the host's tools in RUNNER_TEMP \(\S+a-file\/temp\): ENOTDIR[^\n]*It must be a writable directory\./
    )
    assert.equal(run.post?.code, 0)
    rmSync(path.dirname(file), { recursive: true, force: true })
  })

  it('pnpm missing from PATH: says how to get it', async () => {
    const run = await runAction({ inputs: { tarball: packFixture(), 'package-manager': 'pnpm' }, withoutPnpm: true })
    assertRejected(run, /::error::Phase package could not run: pnpm is not on PATH\. Install it before this step, e\.g\. with pnpm\/action-setup/, 'package')
  })

  it("a Node on PATH older than the package's engines.node: names both", async () => {
    const options: RunOptions = { inputs: { tarball: packFixture({ manifest: { engines: { node: '>=23' } } }) }, pathNode: 22 }
    const run = await runAction(options)
    assertRejected(
      run,
      /::error::Phase package could not run: @kaelio\/ktx@0\.12\.0 requires Node >=23 \(engines\.node\), but the Node on PATH is v22\.\d+\.\d+ \(\S+\)\. Select a matching Node with actions\/setup-node before this step\./,
      'package'
    )
  })
})
