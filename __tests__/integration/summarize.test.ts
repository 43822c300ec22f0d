// One verdict across a matrix: real reports from ktx-smoke runs of tarballs packed from the fixture
// CLI (two cells that pass, one that fails, one that smoked another tarball), merged by
// `ktx-smoke summarize` and by the summarize action's bundle (dist/summarize) as a runner runs it,
// with the reports laid out as actions/download-artifact lays them out: one folder per artifact.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { before, describe, it } from 'node:test'
import { packFixture } from '../../scripts/lib/fixture.js'
import { buildCli, nodeBinary } from '../../scripts/lib/node.js'
import { baseEnv, processesUnder, runSummarize, scratch, stepPath } from '../../scripts/lib/runner.js'
import { housekeeping } from './helpers.js'

housekeeping()

interface Ran {
  code: number | null
  stdout: string
  stderr: string
}

describe('summarize: one table and one verdict for a matrix of reports', () => {
  let cli = ''
  // One temp dir for every run: the smoke runs share ktx-smoke's download cache in it.
  let temp = ''
  const reports: Record<'linux' | 'mac' | 'broken' | 'other', string> = { linux: '', mac: '', broken: '', other: '' }
  let integrity = ''

  function ktxSmoke(...args: string[]): Ran {
    const env: NodeJS.ProcessEnv = { ...baseEnv(), PATH: stepPath(24, true), TMPDIR: temp, NO_COLOR: '1', FORCE_COLOR: undefined }
    const r = spawnSync(nodeBinary(24), [cli, ...args], { cwd: temp, env, encoding: 'utf8' })
    return { code: r.status, stdout: r.stdout, stderr: r.stderr }
  }

  before(() => {
    cli = buildCli()
    temp = scratch('summarize-')
    const tarball = packFixture()
    const smoked = (name: keyof typeof reports, ...args: string[]): Ran => {
      reports[name] = path.join(temp, 'runs', name, 'report.json')
      mkdirSync(path.dirname(reports[name]), { recursive: true })
      return ktxSmoke(...args, '--package-manager', 'pnpm', '--installs', 'project', '--no-daemon', '--report-dir', path.dirname(reports[name]))
    }
    const linux = smoked('linux', tarball, '--cell', 'ubuntu node24 pnpm')
    assert.equal(linux.code, 0, linux.stdout + linux.stderr)
    const mac = smoked('mac', tarball, '--cell', 'macos node24 pnpm')
    assert.equal(mac.code, 0, mac.stdout + mac.stderr)
    // The same tarball, failed by a start-up budget no release meets: the release's fault, in `version`.
    const broken = smoked('broken', tarball, '--cell', 'windows node24 pnpm', '--startup-budget-ms', '1')
    assert.equal(broken.code, 1, broken.stdout + broken.stderr)
    const other = smoked('other', packFixture({ version: '0.12.1' }))
    assert.equal(other.code, 0, other.stdout + other.stderr)
    integrity = JSON.parse(readFileSync(reports.linux, 'utf8')).tarball.integrity
  })

  it('each report names its cell: the --cell given, or platform, Node and package manager', () => {
    const linux = JSON.parse(readFileSync(reports.linux, 'utf8'))
    assert.equal(linux.cell.name, 'ubuntu node24 pnpm')
    assert.deepEqual(
      { ...linux.cell, name: undefined, packageManagerVersion: undefined },
      {
        name: undefined,
        os: process.platform,
        arch: process.arch,
        node: `v${spawnSync(nodeBinary(24), ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim()}`,
        packageManager: 'pnpm',
        packageManagerVersion: undefined,
        installs: ['project']
      }
    )
    assert.match(linux.cell.packageManagerVersion, /^\d+\.\d+\.\d+/)
    const other = JSON.parse(readFileSync(reports.other, 'utf8'))
    assert.equal(other.cell.name, `${process.platform}-${process.arch} node24 pnpm project`)
  })

  it('two passing cells on one tarball: exit 0, the phases × cells table, the merged JSON', () => {
    const r = ktxSmoke('summarize', reports.linux, reports.mac, '--report', path.join(temp, 'pass.json'))
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /^ktx smoke matrix: passed in 2 cells \(@kaelio\/ktx 0\.12\.0\)\n/)
    assert.match(r.stdout, /\n {2}phase +ubuntu node24 pnpm +macos node24 pnpm\n/)
    assert.match(r.stdout, /\n {2}install +✓ \d+(\.\d)? (ms|s) +✓ \d+(\.\d)? (ms|s)\n/)
    assert.match(r.stdout, /\n {2}daemon-start +– +–\n/)
    assert.match(r.stdout, /\n {2}total +✓ [\d.]+ (ms|s) +✓ [\d.]+ (ms|s)\n/)
    assert.match(r.stdout, /\n {2}ktx --version start-up \(median of 5\) +\d+ ms +\d+ ms\n/)
    assert.ok(r.stdout.includes(`\n  tarball ${integrity} (@kaelio/ktx 0.12.0) in every cell that got to it\n`), r.stdout)
    assert.ok(r.stdout.endsWith(`\nresult: passed\nreport: ${path.join(temp, 'pass.json')}\n`), r.stdout)
    const merged = JSON.parse(readFileSync(path.join(temp, 'pass.json'), 'utf8'))
    assert.equal(merged.kind, 'ktx-smoke-summary')
    assert.equal(merged.result, 'passed')
    assert.equal(merged.cells, 2)
    assert.deepEqual(merged.failedCells, [])
    assert.equal(merged.tarballIntegrity, integrity)
    assert.deepEqual(
      merged.reports.map((c: { name: string; result: string }) => [c.name, c.result]),
      [
        ['ubuntu node24 pnpm', 'passed'],
        ['macos node24 pnpm', 'passed']
      ]
    )
    assert.equal(merged.reports[0].report.cell.name, 'ubuntu node24 pnpm')
    assert.equal(merged.phases.find((p: { name: string }) => p.name === 'version').cells['macos node24 pnpm'].status, 'passed')
  })

  it('a failed cell: exit 1, its headline under the table in its own words, failedCells, --json on stdout', () => {
    const r = ktxSmoke('summarize', path.join(temp, 'runs', '{linux,mac,broken}', '*.json'), '--json', '--report', path.join(temp, 'fail.json'))
    assert.equal(r.code, 1, r.stdout + r.stderr)
    assert.match(r.stderr, /^ktx smoke matrix: failed in 1 of 3 cells \(@kaelio\/ktx 0\.12\.0\)\n/)
    assert.match(r.stderr, /\n {2}version +✗ [\d.]+ (ms|s) +✓ [\d.]+ (ms|s) +✓ [\d.]+ (ms|s)\n/)
    assert.match(r.stderr, /\n {2}help +– +✓ [\d.]+ (ms|s) +✓ [\d.]+ (ms|s)\n/)
    assert.match(
      r.stderr,
      /\n {2}✗ windows node24 pnpm: `ktx --version` takes \d+ ms \(median of 5\): over startup-budget-ms 1 \(failed in `version`: the release under test is at fault\) \(runs\/broken\/report\.json\)\n/
    )
    const merged = JSON.parse(r.stdout)
    assert.equal(merged.result, 'failed')
    assert.deepEqual(merged.failedCells, ['windows node24 pnpm'])
    assert.equal(merged.tarballIntegrity, integrity)
    assert.deepEqual(JSON.parse(readFileSync(path.join(temp, 'fail.json'), 'utf8')), merged)
  })

  it('bad input is exit 2 naming the file: one missing, one not a report, two tarballs, fewer cells than expected', () => {
    writeFileSync(path.join(temp, 'notes.json'), '{"hello": "world"}\n')
    for (const [args, expected] of [
      [[reports.linux, 'runs/nowhere/report.json'], /\n {2}! runs\/nowhere\/report\.json does not exist: give report files/],
      [[reports.linux, 'notes.json'], /\n {2}! notes\.json is not a ktx smoke report \(one has schemaVersion 1, a result and phases\)/],
      [
        [reports.linux, reports.other],
        /\n {2}! runs\/linux\/report\.json the cells smoked different tarballs: sha512-\S+ \(ubuntu node24 pnpm: runs\/linux\/report\.json\) vs sha512-\S+ \(\S+ node24 pnpm project: runs\/other\/report\.json\)/
      ],
      [[reports.linux, reports.mac, '--expected-cells', '3'], /\n {2}! \(expected-cells\) 2 cell reports found, 3 expected/]
    ] as const) {
      const r = ktxSmoke('summarize', ...args)
      assert.equal(r.code, 2, r.stdout + r.stderr)
      assert.match(r.stdout, /^ktx smoke matrix: error: a problem with the reports \(\d cells? read\)( \(@kaelio\/ktx 0\.12\.0\))?\n/)
      assert.match(r.stdout, expected)
      assert.match(r.stdout, /\nresult: error\n/)
    }
    const bad = ktxSmoke('summarize', reports.linux, '--expected-cells', 'six')
    assert.equal(bad.code, 2)
    assert.match(
      bad.stderr,
      /option '--expected-cells <n>' argument 'six' is invalid\. "six" is not a number of cells: expected a whole number of at least 1 \(the matrix's size/
    )
    assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace')
  })

  it('the summarize action: the downloaded artifacts folder, outputs, the job summary; red fails the step', async () => {
    const download = (cells: (keyof typeof reports)[]) => (workspace: string) => {
      for (const cell of cells) cpSync(path.dirname(reports[cell]), path.join(workspace, 'reports', `ktx-smoke-${cell}`), { recursive: true })
    }
    const green = await runSummarize({ reports: 'reports', 'expected-cells': '2' }, download(['linux', 'mac']))
    assert.equal(green.step.code, 0, green.step.stdout + green.step.stderr)
    assert.equal(green.outputs.result, 'passed')
    assert.equal(green.outputs.cells, '2')
    assert.equal(green.outputs['failed-cells'], '')
    assert.equal(green.outputs['tarball-integrity'], integrity)
    assert.equal(JSON.parse(readFileSync(green.outputs.report, 'utf8')).result, 'passed')
    assert.ok(green.outputs.report.startsWith(green.layout.runnerTemp), green.outputs.report)
    assert.match(green.summary, /^## ktx smoke matrix: ✅ passed in 2 cells · @kaelio\/ktx 0\.12\.0\n/)
    assert.match(green.summary, /\n\| phase \| ubuntu node24 pnpm \| macos node24 pnpm \|\n\|---\|---\|---\|\n/)
    assert.match(green.summary, /\n\| ktx --version start-up \(median of 5\) \| \d+ ms \| \d+ ms \|\n/)
    assert.ok(green.summary.includes(`\nTarball \`${integrity}\` (@kaelio/ktx 0.12.0) in every cell that got to it\n`), green.summary)
    assert.doesNotMatch(green.step.stdout, /::error::/)

    const red = await runSummarize({ reports: 'reports/ktx-smoke-*/report.json' }, download(['linux', 'mac', 'broken']))
    assert.equal(red.step.code, 1)
    assert.equal(red.outputs.result, 'failed')
    assert.equal(red.outputs.cells, '3')
    assert.equal(red.outputs['failed-cells'], 'windows node24 pnpm')
    assert.match(
      red.step.stdout,
      /::error::ktx smoke matrix failed in 1 of 3 cells: windows node24 pnpm: `ktx --version` takes \d+ ms \(median of 5\): over startup-budget-ms 1 \(failed in `version`: the release under test is at fault\)/
    )
    assert.match(
      red.summary,
      /\n- ❌ \*\*windows node24 pnpm\*\*: `ktx --version` takes \d+ ms \(median of 5\): over startup-budget-ms 1 \(failed in `version`: the release under test is at fault\) \(`reports\/ktx-smoke-broken\/report\.json`\)\n/
    )

    const missing = await runSummarize({ reports: 'reports', 'expected-cells': '3' }, download(['linux', 'mac']))
    assert.equal(missing.step.code, 1)
    assert.equal(missing.outputs.result, 'error')
    assert.match(
      missing.step.stdout,
      /::error::ktx smoke matrix error: a problem with the reports \(2 cells read\): \(expected-cells\) 2 cell reports found, 3 expected: a job of the matrix uploaded none/
    )

    const badInput = await runSummarize({ reports: 'reports', 'expected-cells': 'all' }, download(['linux']))
    assert.equal(badInput.step.code, 1)
    assert.equal(badInput.outputs.result, 'error')
    assert.match(
      badInput.step.stdout,
      /::error::Invalid expected-cells: "all" is not a number of cells: expected a whole number of at least 1 \(the matrix's size, e\.g\. 12\), or empty/
    )
    assert.doesNotMatch(badInput.step.stdout + badInput.step.stderr, /\n\s+at /, 'no stack trace')
    assert.deepEqual(processesUnder(temp), [])
  })
})
