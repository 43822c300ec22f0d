// compare-to: what changed since the release users have, with its gates, through the bundled main
// and post entries; and the start-up time of `ktx --version`, with its budget and regression gate.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { before, describe, it } from 'node:test'
import { packFixture, type FixtureOptions } from '../../scripts/lib/fixture.js'
import { buildCli, nodeBinary } from '../../scripts/lib/node.js'
import { startRegistry } from '../../scripts/lib/registry.js'
import { baseEnv, runAction, scratch, stepPath, type ActionRun } from '../../scripts/lib/runner.js'
import { assertErrored, assertFailed, explain, housekeeping } from './helpers.js'

housekeeping()

/** What users have: 0.11.9, with a file the next release drops and a file it grows. */
const BASE: FixtureOptions = { version: '0.11.9', files: { 'lib/legacy.js': '// gone in 0.12.0\n', 'lib/catalog.js': `// ${'x'.repeat(100)}\n` } }
/** The release under test: that file gone, the other grown, a dependency and an install script added, a wheel with one more entry. */
const HEAD: FixtureOptions = {
  files: { 'lib/catalog.js': `// ${'x'.repeat(20_000)}\n` },
  dependencies: { picocolors: '^1.1.1' },
  manifest: { scripts: { postinstall: 'node lib/lifecycle.js postinstall' } },
  wheelEntries: ['ktx_daemon/embeddings.py']
}

/** A run that stops after the first install's phases it needs: no daemon, one install mode. */
const LEAN = { installs: 'project', daemon: 'false' }

function run(head: FixtureOptions, inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
  return runAction({ inputs: { tarball: packFixture(head), ...LEAN, ...inputs }, env })
}

describe('compare-to', () => {
  it('an older release whose bundled wheel is not named for its own version: the wheel is one file, neither added nor removed', async () => {
    // 0.11.9 shipped a wheel named for 0.12.0 (its manifest says so); the release under test has that very path.
    const base = packFixture({ version: '0.11.9', wheelVersion: '0.12.0' })
    const result = await run({}, { 'compare-to': base, 'fail-on-removed-files': 'true' })
    assert.equal(result.outputs.result, 'passed', explain(result))
    const c = JSON.parse(readFileSync(result.outputs.report, 'utf8')).comparison
    assert.deepEqual([c.files.added, c.files.removed], [[], []])
    assert.equal(c.wheel.before.file, 'kaelio_ktx-0.12.0-py3-none-any.whl')
    assert.equal(result.outputs['files-added'], '0')
    assert.equal(result.outputs['files-removed'], '0')
    assert.doesNotMatch(result.summary, /\*\*Files (added|removed)\*\*/)
  })

  it('by path: files, sizes, package.json and the wheel, exact in the outputs, the summary and the JSON report; every gate under its limit', async () => {
    const base = packFixture(BASE)
    const result = await run(HEAD, {
      'compare-to': base,
      'max-size-increase': '50%',
      'fail-on-removed-files': 'bin/**,assets/python/**',
      'fail-on-new-install-scripts': 'false',
      'compare-startup': 'true',
      'max-startup-regression': '400%'
    })
    assert.equal(result.outputs.result, 'passed', explain(result))
    const report = JSON.parse(readFileSync(result.outputs.report, 'utf8'))
    assert.deepEqual(report.phases.map((p: { name: string }) => p.name).slice(0, 3), ['package', 'compare', 'install'])
    const c = report.comparison
    assert.deepEqual(c.base, { name: '@kaelio/ktx', version: '0.11.9' })
    assert.deepEqual(c.version, { before: '0.11.9', after: '0.12.0', greater: true })
    assert.deepEqual(c.files.added, [])
    assert.deepEqual(c.files.removed, ['lib/legacy.js'])
    assert.equal(c.files.grown[0].path, 'lib/catalog.js')
    assert.equal(c.files.grown[0].after - c.files.grown[0].before, 19_900)
    assert.deepEqual(c.dependencies, [{ field: 'dependencies.picocolors', after: '^1.1.1' }])
    assert.deepEqual(c.installScripts.added, [{ field: 'scripts.postinstall', after: 'node lib/lifecycle.js postinstall' }])
    assert.deepEqual(c.wheel.before, { file: 'kaelio_ktx-0.11.9-py3-none-any.whl', version: '0.11.9', bytes: c.wheel.before.bytes })
    assert.equal(c.wheel.after.file, 'kaelio_ktx-0.12.0-py3-none-any.whl')
    assert.deepEqual(c.wheel.entriesAdded, ['kaelio_ktx-0.12.0.dist-info/METADATA', 'kaelio_ktx-0.12.0.dist-info/WHEEL', 'ktx_daemon/embeddings.py'])
    assert.deepEqual(c.wheel.entriesRemoved, ['kaelio_ktx-0.11.9.dist-info/METADATA', 'kaelio_ktx-0.11.9.dist-info/WHEEL'])
    const unpacked = c.unpacked.after - c.unpacked.before
    assert.equal(result.outputs['compare-version'], '0.11.9')
    assert.equal(result.outputs['size-change-bytes'], String(unpacked))
    assert.equal(result.outputs['size-change-percent'], String(Math.round((unpacked / c.unpacked.before) * 1000) / 10))
    assert.equal(result.outputs['files-added'], '0')
    assert.equal(result.outputs['files-removed'], '1')
    assert.equal(result.outputs['dependencies-changed'], '1')
    assert.match(
      result.summary,
      /\*\*Compared with @kaelio\/ktx@0\.11\.9\*\*\n\n\| {3}\| @kaelio\/ktx@0\.11\.9 \| this release \| change \|\n\|---\|---\|---\|---\|\n\| version \| 0\.11\.9 \| 0\.12\.0 \| greater \|\n\| packed size \| [\d.]+ kB \| [\d.]+ kB \| \+[\d.]+ k?B \(\+[\d.]+%\) \|/
    )
    assert.match(result.summary, /\*\*Files removed\*\*\n\n\| path \|\n\|---\|\n\| lib\/legacy\.js \|/)
    assert.match(
      result.summary,
      /\*\*Dependencies\*\*\n\n\| field \| @kaelio\/ktx@0\.11\.9 \| this release \|\n\|---\|---\|---\|\n\| dependencies\.picocolors \| — \| \^1\.1\.1 \|/
    )
    assert.match(result.summary, /\*\*Install scripts\*\*[\s\S]*\| scripts\.postinstall \| — \| node lib\/lifecycle\.js postinstall \|/)
    assert.match(result.summary, /\*\*Bundled wheel\*\*[\s\S]*\| entries \| {3}\| \+3 −2 \|/)
    // Start-up time: always, and with compare-startup the other release's too.
    assert.ok(Number(result.outputs['startup-ms']) > 0)
    assert.ok(report.compareStartupMs > 0)
    assert.match(result.summary, /`ktx --version` starts in \d+ ms \(median of 5\) \(@kaelio\/ktx@0\.11\.9: \d+ ms\)/)
    assert.match(result.main.stdout, /\$ npm install --no-audit --no-fund --cache \S+\n[\s\S]*installed @kaelio\/ktx@0\.11\.9/)
  })

  it('by glob, and latest from the registry by spec; a first release is a line in the log', async () => {
    const dir = scratch('compare-glob-')
    copyFileSync(packFixture(BASE), path.join(dir, 'kaelio-ktx-0.11.9.tgz'))
    const byGlob = await run({}, { 'compare-to': path.join(dir, '*.tgz') })
    assert.equal(byGlob.outputs.result, 'passed', explain(byGlob))
    assert.equal(byGlob.outputs['compare-version'], '0.11.9')

    const registry = await startRegistry(packFixture(BASE), { notFoundFirst: 0, dir })
    try {
      const bySpec = await run({}, { 'compare-to': 'latest' }, { NPM_CONFIG_USERCONFIG: registry.npmrc })
      assert.equal(bySpec.outputs.result, 'passed', explain(bySpec))
      assert.equal(bySpec.outputs['compare-version'], '0.11.9')
      assert.match(bySpec.main.stdout, /\$ npm pack @kaelio\/ktx@latest --prefer-online/)
      const first = await run({}, { 'compare-to': '@kaelio/ktx@0.9.0' }, { NPM_CONFIG_USERCONFIG: registry.npmrc })
      assert.equal(first.outputs.result, 'passed', explain(first))
      assert.match(first.main.stdout, /compare-to: the registry has no @kaelio\/ktx@0\.9\.0 \(ETARGET\): a first release, nothing to compare with/)
      assert.equal(first.outputs['compare-version'], '')
      assert.doesNotMatch(first.main.stdout, /::warning::/)
    } finally {
      await registry.close()
    }
  })

  it('a registry that cannot be reached is an error of compare, not a failure of the release', async () => {
    const dir = scratch('compare-down-')
    const npmrc = path.join(dir, 'npmrc')
    writeFileSync(npmrc, '@kaelio:registry=http://127.0.0.1:9/\nfetch-retries=0\n')
    const result = await runAction({ inputs: { tarball: packFixture(), 'compare-to': '@kaelio/ktx@0.11.9' }, env: { NPM_CONFIG_USERCONFIG: npmrc } })
    assertErrored(
      result,
      'compare',
      /Phase compare could not run: Input compare-to: cannot fetch @kaelio\/ktx@0\.11\.9 from the registry your npm config names: npm error/
    )
  })

  const gates: [string, FixtureOptions, Record<string, string>, RegExp][] = [
    [
      'max-size-increase as a percent',
      HEAD,
      { 'max-size-increase': '10%' },
      /Phase compare failed: the unpacked size grew by \+[\d.]+ kB \(\+[\d.]+%\), from [\d.]+ kB to [\d.]+ kB: over max-size-increase 10%/
    ],
    [
      'max-size-increase in bytes',
      HEAD,
      { 'max-size-increase': '5kB' },
      /the unpacked size grew by \+[\d.]+ kB \(\+[\d.]+%\), from [\d.]+ kB to [\d.]+ kB: over max-size-increase 5kB/
    ],
    [
      'fail-on-removed-files',
      HEAD,
      { 'fail-on-removed-files': 'lib/**' },
      /Phase compare failed: 1 file\(s\) removed that fail-on-removed-files \(lib\/\*\*\) protects: lib\/legacy\.js/
    ],
    [
      'fail-on-new-install-scripts',
      HEAD,
      { 'fail-on-new-install-scripts': 'true' },
      /Phase compare failed: install script\(s\) added, which run on every user's machine: postinstall "node lib\/lifecycle\.js postinstall" \(fail-on-new-install-scripts\)/
    ],
    [
      'fail-on-version-not-greater',
      { version: '0.11.0' },
      {},
      /Phase compare failed: the version 0\.11\.0 is not greater than 0\.11\.9, the release it is compared with \(fail-on-version-not-greater\)/
    ]
  ]
  for (const [gate, head, inputs, headline] of gates) {
    it(`${gate} over its limit fails compare, naming the number and the limit`, async () => {
      const result = await runAction({ inputs: { tarball: packFixture(head), 'compare-to': packFixture(BASE), ...inputs } })
      assertFailed(result, 'compare', headline)
    })
  }
})

describe('start-up time', () => {
  it('a release that takes 2 s to start fails a 1,000 ms startup-budget-ms at version', async () => {
    const result = await runAction({ inputs: { tarball: packFixture({ faults: ['slow-version'] }), 'startup-budget-ms': '1000' } })
    assertFailed(result, 'version', /Phase version failed: `ktx --version` takes \d{4} ms \(median of 5\): over startup-budget-ms 1000/)
    assert.ok(Number(result.outputs['startup-ms']) >= 2000)
  })

  it('with compare-startup, one that became slower than max-startup-regression allows fails at version', async () => {
    const result = await runAction({
      inputs: { tarball: packFixture({ faults: ['slow-version'] }), 'compare-to': packFixture(BASE), 'compare-startup': 'true', ...LEAN }
    })
    assert.equal(result.outputs['failed-phase'], 'version', explain(result))
    assert.match(
      result.main.stdout,
      /Phase version failed: `ktx --version` takes \d{4} ms, [\d.]+% longer than @kaelio\/ktx@0\.11\.9's \d+ ms: over max-startup-regression 25%/
    )
  })
})

describe('ktx-smoke --compare-to', () => {
  let cli: string
  before(() => {
    cli = buildCli()
  })

  it('prints the same tables, plain text in aligned columns', () => {
    const temp = scratch('local-')
    const env = { ...baseEnv(), PATH: stepPath(24, true), TMPDIR: temp, NO_COLOR: '1', FORCE_COLOR: undefined }
    const r = spawnSync(nodeBinary(24), [cli, packFixture(HEAD), '--compare-to', packFixture(BASE), '--installs', 'project', '--no-daemon'], {
      cwd: temp,
      env,
      encoding: 'utf8'
    })
    assert.equal(r.status, 0, r.stdout + r.stderr)
    const lines = r.stdout.split('\n')
    const title = lines.indexOf('Compared with @kaelio/ktx@0.11.9')
    assert.ok(title > 0, r.stdout)
    const [header, version, packed] = lines.slice(title + 1, title + 4)
    assert.match(header, /^ {2} +@kaelio\/ktx@0\.11\.9 {2}this release {2}change$/)
    assert.match(version, /^ {2}version +0\.11\.9 +0\.12\.0 +greater$/)
    assert.match(packed, /^ {2}packed size +[\d.]+ kB +[\d.]+ kB +\+[\d.]+ k?B \(\+[\d.]+%\)$/)
    // Aligned: each column starts where its header does.
    assert.equal(version.indexOf('0.12.0'), header.indexOf('this release'))
    assert.equal(packed.indexOf('+'), header.indexOf('change'))
    assert.match(r.stdout, /\nFiles removed\n {2}path\n {2}lib\/legacy\.js\n/)
    assert.match(r.stdout, /\n {2}ktx --version starts in \d+ ms \(median of 5\)\n/)
  })
})
