import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { after, before, describe, it } from 'node:test'
import { ExpectationError, SetupError } from '../../src/engine/checks.js'
import { inspectTarball, resolveTarball } from '../../src/ktx/tarball.js'
import { packFixture } from '../../scripts/lib/fixture.js'

describe('tarball', () => {
  let dir: string
  let packed: string
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tarball-test-'))
    packed = packFixture()
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('reads name, version, engines and the bundled asset manifest of a packed CLI', async () => {
    const info = await inspectTarball(packed)
    assert.equal(info.name, '@kaelio/ktx')
    assert.equal(info.version, '0.12.0')
    assert.equal(info.enginesNode, '>=22')
    assert.equal(info.assetManifest?.wheel?.file, 'kaelio_ktx-0.12.0-py3-none-any.whl')
    assert.match(info.assetManifest?.wheel?.sha256 ?? '', /^[0-9a-f]{64}$/)
  })

  it('resolves a path or a glob matching exactly one file, relative to the workspace', async () => {
    const sub = path.join(dir, 'artifacts', 'npm')
    mkdirSync(sub, { recursive: true })
    copyFileSync(packed, path.join(sub, 'kaelio-ktx-0.12.0.tgz'))
    assert.equal(await resolveTarball('artifacts/npm/kaelio-ktx-*.tgz', dir), path.join(sub, 'kaelio-ktx-0.12.0.tgz'))
    assert.equal(await resolveTarball('artifacts/npm/kaelio-ktx-0.12.0.tgz', dir), path.join(sub, 'kaelio-ktx-0.12.0.tgz'))
    await assert.rejects(resolveTarball('nothing/*.tgz', dir), new RegExp(`no file matches "nothing/\\*\\.tgz" \\(relative to ${dir}\\)`))
    await assert.rejects(resolveTarball('missing.tgz', dir), /no file at "missing.tgz"/)
    copyFileSync(packed, path.join(sub, 'kaelio-ktx-0.12.1.tgz'))
    await assert.rejects(resolveTarball('artifacts/npm/*.tgz', dir), /matches 2 files; it must match exactly one:\n.*0\.12\.0\.tgz\n.*0\.12\.1\.tgz/)
  })

  it('says what is wrong with something that is not an npm tarball', async () => {
    const write = (name: string, data: string | Buffer): string => {
      const file = path.join(dir, name)
      writeFileSync(file, data)
      return file
    }
    await assert.rejects(inspectTarball(dir), /is a directory/)
    await assert.rejects(inspectTarball(write('empty.tgz', '')), /is empty; it is not an npm tarball/)
    await assert.rejects(inspectTarball(write('text.tgz', 'hello')), /not an npm tarball.*not gzip data/)
    await assert.rejects(inspectTarball(write('gz.tgz', gzipSync('not a tar at all'))), /not an npm tarball/)

    const pkgDir = path.join(dir, 'nopkg')
    mkdirSync(path.join(pkgDir, 'other'), { recursive: true })
    writeFileSync(path.join(pkgDir, 'other', 'readme.txt'), 'x')
    execFileSync('tar', ['-czf', path.join(dir, 'nopkg.tgz'), '-C', pkgDir, 'other'])
    await assert.rejects(inspectTarball(path.join(dir, 'nopkg.tgz')), /has no package\/package.json/)

    // @kaelio/ktx without its bin is a broken release (failed); another package is the wrong input (error).
    const noBin = packFixture({ manifest: { bin: { other: 'bin/ktx.js' } } })
    await assert.rejects(
      inspectTarball(noBin),
      (e: Error) => e instanceof ExpectationError && /@kaelio\/ktx@0\.12\.0 declares no "ktx" bin \(bins: other\)/.test(e.message)
    )
    const other = packFixture({ manifest: { name: '@kaelio/not-ktx', bin: { other: 'bin/ktx.js' } } })
    await assert.rejects(
      inspectTarball(other),
      (e: Error) => e instanceof SetupError && /Input tarball: @kaelio\/not-ktx@0\.12\.0 has no "ktx" bin/.test(e.message)
    )
  })
})
