// The fixture CLI, which the rest of the suite runs, must read like the real @kaelio/ktx 0.12.0
// (../shared/ktx-0.12.0, or KTX_REAL_TARBALL): the same offline commands, the same exit codes,
// streams and output. A file of its own, so that it runs beside the real release's action runs.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { isDeepStrictEqual } from 'node:util'
import { packFixture } from '../../scripts/lib/fixture.js'
import { nodeBinary } from '../../scripts/lib/node.js'
import { installedReal, realTarball } from '../../scripts/lib/real.js'
import { scratch, stepPath } from '../../scripts/lib/runner.js'
import { runContract } from './contract.js'
import { housekeeping } from './helpers.js'

housekeeping()

const tarball = realTarball()

describe('the fixture CLI reads like the real ktx 0.12.0', () => {
  it('the same offline commands give the same exit codes, streams and output (paths normalised)', () => {
    const node = nodeBinary(24)
    const pathValue = stepPath(24, true)
    const real = installedReal(tarball)
    const fixture = scratch('contract-fixture-')
    writeFileSync(path.join(fixture, 'package.json'), JSON.stringify({ name: 'contract', private: true }))
    const installed = spawnSync('npm', ['install', '--no-audit', '--no-fund', packFixture()], {
      cwd: fixture,
      encoding: 'utf8',
      env: { ...process.env, PATH: pathValue }
    })
    assert.equal(installed.status, 0, installed.stderr)
    const expected = runContract({ bin: real.bin, installDir: real.dir }, scratch('contract-real-'), pathValue, node)
    // This machine has no network: the fixture is told so, as the real ktx finds out at uv's download.
    const fixtureCli = { bin: path.join(fixture, 'node_modules', '.bin', 'ktx'), installDir: fixture, env: { KTX_FIXTURE_FAULTS: 'install-offline' } }
    const actual = runContract(fixtureCli, scratch('contract-fixture-work-'), pathValue, node)
    assert.deepEqual(
      actual.map(o => o.command),
      expected.map(o => o.command)
    )
    const differ = actual.filter((o, i) => !isDeepStrictEqual(o, expected[i]))
    for (const o of differ) assert.deepEqual(o, expected[actual.indexOf(o)], `the fixture differs from ktx 0.12.0 at \`${o.command}\``)
    // The comparison is of real output: the commands printed what ktx's own smoke reads.
    const byCommand = (start: string) => expected.find(o => o.command.startsWith(start))!
    assert.equal(byCommand('ktx --version').stdout, '@kaelio/ktx 0.12.0\n')
    assert.equal(byCommand('ktx status').exitCode, 1)
    assert.match(byCommand('ktx wiki revenue').stdout, /"path": "wiki\/global\/revenue\.md"/)
    assert.match(byCommand('ktx --bogus').stderr, /^error: unknown option '--bogus'\n/)
  })
})
