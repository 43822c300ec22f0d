import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatBytes, parseSizeLimit, textTables } from '../../src/engine/format.js'
import { compareReleases, comparisonTables, gateFailures } from '../../src/ktx/compare.js'
import { compareTarget } from '../../src/ktx/phases/compare.js'
import type { TarballInfo } from '../../src/ktx/tarball.js'

function release(version: string, files: Record<string, number>, manifest: TarballInfo['manifest'] = {}, wheelEntries: string[] = []): TarballInfo {
  const wheel = `kaelio_ktx-${version.replace('-rc.', 'rc')}-py3-none-any.whl`
  return {
    path: `/t/kaelio-ktx-${version}.tgz`,
    name: '@kaelio/ktx',
    version,
    integrity: 'sha512-x',
    sha256: 'x',
    dependencies: {},
    packedBytes: 1000,
    files: { ...files, [`assets/python/${wheel}`]: 500 },
    manifest: { version, ...manifest },
    wheels: { [wheel]: { sha256: 'w', bytes: 500, entries: wheelEntries } },
    assetManifest: { version, wheel: { file: wheel, sha256: 'w', bytes: 500 } }
  }
}

describe('comparing two releases', () => {
  const base = release(
    '0.11.9',
    { 'package.json': 100, 'dist/bin.js': 1000, 'dist/old.js': 50 },
    { dependencies: { a: '^1.0.0', b: '^2.0.0' }, bin: { ktx: 'dist/bin.js' } },
    ['x.py']
  )
  const head = release(
    '0.12.0-rc.1',
    { 'package.json': 110, 'dist/bin.js': 3000, 'dist/new.js': 10 },
    { dependencies: { a: '^1.1.0', c: '^3.0.0' }, bin: { ktx: 'dist/cli.js' }, scripts: { postinstall: 'node x.js', test: 'vitest' } },
    ['x.py', 'y.py']
  )
  const c = compareReleases(base, head)

  it('files added and removed, a wheel renamed with the version counting as the same file; the files that grew most', () => {
    assert.deepEqual(c.files.added, ['dist/new.js'])
    assert.deepEqual(c.files.removed, ['dist/old.js'])
    assert.deepEqual(c.files.grown, [
      { path: 'dist/bin.js', before: 1000, after: 3000 },
      { path: 'package.json', before: 100, after: 110 }
    ])
    assert.deepEqual(c.files.count, { before: 4, after: 4 })
    assert.deepEqual(c.unpacked, { before: 1650, after: 3620 })
  })

  it('a bundled wheel not named for its release is paired by its manifest entry, never listed on both sides', () => {
    // What users have ships the next version's wheel name; the release under test the same path.
    const named = (version: string, wheel: string): TarballInfo => {
      const r = release(version, { 'package.json': 100 })
      const bytes = r.wheels[Object.keys(r.wheels)[0]].bytes
      return {
        ...r,
        files: { 'package.json': 100, [`assets/python/${wheel}`]: bytes },
        wheels: { [wheel]: { sha256: 'w', bytes, entries: [] } },
        assetManifest: { version, wheel: { file: wheel, sha256: 'w', bytes } }
      }
    }
    const same = compareReleases(named('0.11.9', 'kaelio_ktx-0.12.0-py3-none-any.whl'), named('0.12.0', 'kaelio_ktx-0.12.0-py3-none-any.whl'))
    assert.deepEqual([same.files.added, same.files.removed], [[], []])
    // Named for neither release's version: still the one bundled wheel, renamed.
    const other = compareReleases(named('0.11.9', 'kaelio_ktx-0.11.0-py3-none-any.whl'), named('0.12.0', 'kaelio_ktx-0.12.0-py3-none-any.whl'))
    assert.deepEqual([other.files.added, other.files.removed], [[], []])
    assert.deepEqual(other.files.count, { before: 2, after: 2 })
    // However the names fall, no path is on both sides.
    for (const c of [same, other, compareReleases(named('0.12.0', 'w-0.11.9.whl'), named('0.11.9', 'w-0.12.0.whl'))]) {
      assert.deepEqual(
        c.files.added.filter(p => c.files.removed.includes(p)),
        []
      )
    }
  })

  it('package.json: ranges, bin, install scripts only; the wheel entries', () => {
    assert.deepEqual(c.dependencies, [
      { field: 'dependencies.a', before: '^1.0.0', after: '^1.1.0' },
      { field: 'dependencies.b', before: '^2.0.0', after: undefined },
      { field: 'dependencies.c', before: undefined, after: '^3.0.0' }
    ])
    assert.deepEqual(c.entryPoints, [{ field: 'bin', before: '{"ktx":"dist/bin.js"}', after: '{"ktx":"dist/cli.js"}' }])
    assert.deepEqual(c.installScripts.added, [{ field: 'scripts.postinstall', before: undefined, after: 'node x.js' }])
    assert.deepEqual(c.wheel?.entriesAdded, ['y.py'])
    assert.equal(c.version.greater, true)
  })

  it('gates name the number and the limit; under their limits they pass', () => {
    const gates = { maxSizeIncrease: parseSizeLimit('100%'), protectedFiles: ['dist/**'], failOnNewInstallScripts: true, failOnVersionNotGreater: true }
    assert.deepEqual(gateFailures(c, gates, { maxSizeIncrease: '100%', protectedFiles: 'dist/**' }), [
      'the unpacked size grew by +2.0 kB (+119.4%), from 1.6 kB to 3.6 kB: over max-size-increase 100%',
      '1 file(s) removed that fail-on-removed-files (dist/**) protects: dist/old.js',
      `install script(s) added, which run on every user's machine: postinstall "node x.js" (fail-on-new-install-scripts)`
    ])
    const loose = { maxSizeIncrease: parseSizeLimit('2kB'), protectedFiles: ['assets/**'], failOnNewInstallScripts: false, failOnVersionNotGreater: true }
    assert.deepEqual(gateFailures(c, loose, { maxSizeIncrease: '2kB', protectedFiles: 'assets/**' }), [])
    assert.deepEqual(
      gateFailures(compareReleases(head, base), loose, {})[0],
      'the version 0.11.9 is not greater than 0.12.0-rc.1, the release it is compared with (fail-on-version-not-greater)'
    )
  })

  it('a release compared with itself shows no change', () => {
    const same = compareReleases(head, head)
    assert.deepEqual([same.files.added, same.files.removed, same.files.grown, same.dependencies, same.entryPoints], [[], [], [], [], []])
    assert.deepEqual(
      comparisonTables(same).map(t => t.title),
      ['Compared with @kaelio/ktx@0.12.0-rc.1']
    )
    assert.equal(
      textTables(comparisonTables(same)),
      [
        'Compared with @kaelio/ktx@0.12.0-rc.1',
        '                 @kaelio/ktx@0.12.0-rc.1  this release  change',
        '  version        0.12.0-rc.1              0.12.0-rc.1   not greater',
        '  packed size    1.0 kB                   1.0 kB        0 B (0%)',
        '  unpacked size  3.6 kB                   3.6 kB        0 B (0%)',
        '  files          4                        4             +0 −0'
      ].join('\n')
    )
  })
})

describe('sizes and what compare-to names', () => {
  it('reads limits in percent and in bytes, with decimal and binary units', () => {
    assert.deepEqual(parseSizeLimit('10%'), { percent: 10 })
    assert.deepEqual(parseSizeLimit('500kB'), { bytes: 500_000 })
    assert.deepEqual(parseSizeLimit('1.5 MB'), { bytes: 1_500_000 })
    assert.deepEqual(parseSizeLimit('1MiB'), { bytes: 1_048_576 })
    assert.deepEqual(parseSizeLimit('300000'), { bytes: 300_000 })
    assert.equal(parseSizeLimit('lots'), undefined)
    assert.equal(formatBytes(999), '999 B')
    assert.equal(formatBytes(1_529_601), '1.53 MB')
  })

  it('tells a spec from a path or a glob; latest or a version alone is the release’s own name', () => {
    assert.deepEqual(compareTarget('@kaelio/ktx@0.11.9', '@kaelio/ktx'), { spec: '@kaelio/ktx@0.11.9' })
    assert.deepEqual(compareTarget('latest', '@kaelio/ktx'), { spec: '@kaelio/ktx@latest' })
    assert.deepEqual(compareTarget('0.11.9', '@kaelio/ktx'), { spec: '@kaelio/ktx@0.11.9' })
    assert.deepEqual(compareTarget('dist/kaelio-ktx-0.11.9.tgz', '@kaelio/ktx'), { file: 'dist/kaelio-ktx-0.11.9.tgz' })
    assert.deepEqual(compareTarget('previous/*.tgz', '@kaelio/ktx'), { file: 'previous/*.tgz' })
    assert.deepEqual(compareTarget('old.tgz', '@kaelio/ktx'), { file: 'old.tgz' })
  })
})
