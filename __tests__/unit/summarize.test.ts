import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { parseInputs } from '../../src/engine/parse-inputs.js'
import { cellOf } from '../../src/engine/report.js'
import { mergeCells, mergedReport } from '../../src/matrix/merge.js'
import { matrixMarkdown, matrixText } from '../../src/matrix/render.js'
import { readReports } from '../../src/matrix/reports.js'

type Phase = [name: string, status: string, ms?: number]

/** A report as a run writes it, with only what summarize reads. */
function report(name: string | null, result: string, phases: Phase[], extra: Record<string, unknown> = {}): object {
  return {
    schemaVersion: 1,
    ...(name === null ? {} : { cell: { name, os: 'linux', arch: 'x64', node: 'v22.13.1', packageManager: 'npm', installs: ['project'] } }),
    result,
    failedPhase: phases.find(p => p[1] !== 'passed' && p[1] !== 'skipped')?.[0] ?? null,
    failure: null,
    durationMs: 1000,
    tarball: { name: '@kaelio/ktx', version: '0.12.0', integrity: 'sha512-AAA' },
    startupMs: 80,
    phases: phases.map(([n, status, ms = 10]) => ({ name: n, title: n, status, durationMs: ms, commands: [], notes: [] })),
    ...extra
  }
}

function folder(files: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'summarize-unit-'))
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    writeFileSync(path.join(dir, file), typeof content === 'string' ? content : JSON.stringify(content))
  }
  return dir
}

const OK: Phase[] = [
  ['package', 'passed'],
  ['install', 'passed'],
  ['version', 'passed']
]

describe('summarize: reading the reports', () => {
  it('a folder as download-artifact lays it out: every .json under it, in path order; its own summary passed by', async () => {
    const dir = folder({
      'reports/ktx-smoke-b/report.json': report('b', 'passed', OK),
      'reports/ktx-smoke-a/report.json': report('a', 'passed', OK),
      'reports/ktx-smoke-a/junit.xml': '<testsuites/>',
      'reports/summary.json': { schemaVersion: 1, kind: 'ktx-smoke-summary', result: 'passed' }
    })
    const { cells, problems } = await readReports(['reports'], dir)
    assert.deepEqual(problems, [])
    assert.deepEqual(
      cells.map(c => [c.name, c.file]),
      [
        ['a', path.join('reports', 'ktx-smoke-a', 'report.json')],
        ['b', path.join('reports', 'ktx-smoke-b', 'report.json')]
      ]
    )
    // Named on its own, a summary is a mistake, said as such.
    const named = await readReports(['reports/summary.json'], dir)
    assert.match(named.problems[0].message, /is a summary summarize wrote, not a cell's report/)
  })

  it('the same file twice is one cell; a repeated name gets #2; a report without a cell is named by its folder', async () => {
    const dir = folder({
      'x/report.json': report('linux-x64 node22 npm', 'passed', OK),
      'y/report.json': report('linux-x64 node22 npm', 'passed', OK),
      'ktx-smoke-old/report.json': report(null, 'passed', OK)
    })
    const { cells } = await readReports(['x/report.json', 'x', '*/report.json'], dir)
    assert.deepEqual(
      cells.map(c => c.name),
      ['linux-x64 node22 npm', 'ktx-smoke-old', 'linux-x64 node22 npm #2']
    )
  })

  it('what cannot be used is a problem naming the file, with what to do', async () => {
    const dir = folder({
      'cut.json': '{"schemaVersion": 1, "result": "pas',
      'other.json': { name: 'package.json?' },
      'list.json': [1, 2],
      'edited.json': { ...report('a', 'passed', OK), phases: [{ name: 'x', status: 'green' }] },
      'empty/readme.txt': 'nothing'
    })
    const { cells, problems } = await readReports(['cut.json', 'other.json', 'list.json', 'edited.json', 'empty', 'gone.json', 'none-*.json'], dir)
    assert.deepEqual(cells, [])
    assert.deepEqual(
      problems.map(p => p.file),
      ['cut.json', 'other.json', 'list.json', 'edited.json', 'empty', 'gone.json', 'none-*.json']
    )
    const [cut, other, list, edited, empty, gone, glob] = problems.map(p => p.message)
    assert.match(cut, /^is not valid JSON \(.+\): was the upload cut short\?$/)
    assert.match(other, /^is not a ktx smoke report \(one has schemaVersion 1, a result and phases\)/)
    assert.match(list, /^is not a ktx smoke report \(not a JSON object\)$/)
    assert.match(edited, /^has a phase without a name or a status/)
    assert.match(empty, /^is a folder with no \.json report in it/)
    assert.match(gone, /^does not exist: give report files, the folder they were downloaded to, or a glob of them$/)
    assert.match(glob, /^matches no file/)
    assert.match((await readReports([], dir)).problems[0].message, /^no reports given/)
  })

  it("a report's text is data: no control characters in the terminal, no markup or commas in a cell name, HTML escaped in Markdown", async () => {
    const dir = folder({
      'r.json': report('evil, <b>x</b>\u001b[31m', 'failed', [['version', 'failed']], { failure: 'ktx: \u001b[2Jboom <script>|</script>\nmore' })
    })
    const summary = mergeCells((await readReports(['r.json'], dir)).cells, [])
    assert.equal(summary.cells[0].name, 'evil b x /b 31m')
    assert.deepEqual(summary.failedCells, ['evil b x /b 31m'])
    const text = matrixText(summary)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: what must not reach the terminal
    assert.doesNotMatch(text, /[\u0000-\u0008\u000b-\u001f]/)
    assert.match(text, /✗ evil b x \/b 31m: ktx: +\[2Jboom <script>\|<\/script> \(failed in `version`/)
    const markdown = matrixMarkdown(summary)
    assert.match(markdown, /\*\*evil b x \/b 31m\*\*: ktx: +\[2Jboom &lt;script&gt;\\\|&lt;\/script&gt; \(failed in `version`/)
    assert.doesNotMatch(markdown, /<script>/)
  })
})

describe('summarize: the verdict', () => {
  const cells = async (reports: Record<string, unknown>) => (await readReports(Object.keys(reports), folder(reports))).cells

  it('passed only when every cell passed on one tarball', async () => {
    const all = await cells({ 'a.json': report('a', 'passed', OK), 'b.json': report('b', 'passed', OK) })
    const s = mergeCells(all, [])
    assert.equal(s.result, 'passed')
    assert.equal(s.integrity, 'sha512-AAA')
    assert.equal(s.release, '@kaelio/ktx 0.12.0')
  })

  it('a failed cell is failed; a cell that errored or was cancelled (and none failed) is error; bad input is error whatever the cells', async () => {
    const failed = await cells({
      'a.json': report('a', 'passed', OK),
      'b.json': report('b', 'failed', [
        ['package', 'passed'],
        ['install', 'failed']
      ])
    })
    assert.equal(mergeCells(failed, []).result, 'failed')
    assert.deepEqual(mergeCells(failed, []).failedCells, ['b'])
    const errored = await cells({ 'a.json': report('a', 'error', [['package', 'error']]), 'b.json': report('b', 'cancelled', [['package', 'cancelled']]) })
    assert.equal(mergeCells(errored, []).result, 'error')
    assert.deepEqual(mergeCells(errored, []).failedCells, ['a', 'b'])
    assert.equal(mergeCells(failed, [{ file: 'c.json', message: 'is not valid JSON' }]).result, 'error')
    assert.equal(mergeCells([], []).result, 'error')
  })

  it('two integrities, or fewer cells than expected, is error naming the files', async () => {
    const two = await cells({
      'a.json': report('a', 'passed', OK),
      'b.json': report('b', 'passed', OK, { tarball: { name: '@kaelio/ktx', version: '0.12.0', integrity: 'sha512-BBB' } })
    })
    const s = mergeCells(two, [])
    assert.equal(s.result, 'error')
    assert.equal(s.integrity, null)
    assert.equal(
      s.problems[0].message,
      'the cells smoked different tarballs: sha512-AAA (a: a.json) vs sha512-BBB (b: b.json). Smoke one packed tarball in every cell.'
    )
    const one = await cells({ 'a.json': report('a', 'passed', OK) })
    assert.equal(mergeCells(one, [], 1).result, 'passed')
    assert.match(mergeCells(one, [], 2).problems[0].message, /^1 cell report found, 2 expected: a job of the matrix uploaded none/)
    const pair = await cells({ 'a.json': report('a', 'passed', OK), 'b.json': report('b', 'passed', OK) })
    assert.match(mergeCells(pair, [], 1).problems[0].message, /^2 cell reports found, 1 expected: the folder holds reports of another run or matrix/)
    assert.match(
      matrixText(mergeCells(pair, [], 1)),
      /^ktx smoke matrix: error: a problem with the reports \(2 cells read\) \(@kaelio\/ktx 0\.12\.0\)\n\nProblems with the reports/
    )
  })

  it("the table: every cell's phases, in the order they ran, – where a cell did not run one; the merged JSON has them all", async () => {
    const all = await cells({
      'a.json': report('a', 'passed', [...OK, ['global-install', 'passed']]),
      'b.json': report('b', 'failed', [
        ['package', 'passed'],
        ['install', 'passed'],
        ['import', 'failed', 1500],
        ['version', 'skipped']
      ])
    })
    const s = mergeCells(all, [])
    assert.deepEqual(s.phases, ['package', 'install', 'import', 'version', 'global-install'])
    const text = matrixText(s)
    assert.match(text, /\n {2}import +– +✗ 1\.5 s\n {2}version +✓ 10 ms +–\n {2}global-install +✓ 10 ms +–\n {2}total +✓ 1\.0 s +✗ 1\.0 s\n/)
    const merged = mergedReport(s) as { phases: { name: string; cells: Record<string, unknown> }[]; reports: { report: unknown }[] }
    assert.deepEqual(merged.phases[2], { name: 'import', cells: { a: null, b: { name: 'import', status: 'failed', durationMs: 1500 } } })
    assert.equal(merged.reports.length, 2)
  })
})

describe('the cell of a report', () => {
  const inputs = (given: Record<string, string> = {}) => parseInputs(name => ({ tarball: 'x.tgz', ...given })[name] ?? '')

  it('platform, Node major and package manager; the installs when not the default; the cell input instead', () => {
    const facts = { runner: { nodeVersion: 'v22.13.1', managerVersion: '10.9.2' } }
    assert.equal(cellOf(facts, inputs(), 'linux', 'x64').name, 'linux-x64 node22 npm')
    assert.equal(cellOf(facts, inputs({ 'package-manager': 'pnpm', installs: 'global,npx' }), 'win32', 'arm64').name, 'win32-arm64 node22 pnpm global+npx')
    assert.equal(cellOf({}, inputs(), 'darwin', 'arm64').name, 'darwin-arm64 npm')
    assert.equal(cellOf(facts, inputs({ cell: 'ubuntu-24.04 (node 22)' }), 'linux', 'x64').name, 'ubuntu-24.04 (node 22)')
    assert.deepEqual(cellOf(facts, inputs(), 'linux', 'x64'), {
      name: 'linux-x64 node22 npm',
      os: 'linux',
      arch: 'x64',
      node: 'v22.13.1',
      packageManager: 'npm',
      packageManagerVersion: '10.9.2',
      installs: ['project', 'global']
    })
  })

  it('a cell name with a comma (failed-cells is a comma list) or markup is an input error naming it', () => {
    assert.throws(() => inputs({ cell: 'linux, node 22' }), /^InputError: Invalid cell: "linux, node 22"\. Expected at most 60 letters, digits, spaces and/)
    assert.throws(() => inputs({ cell: '<b>x</b>' }), /Invalid cell/)
    assert.throws(() => inputs({ cell: 'x'.repeat(61) }), /Invalid cell/)
  })
})
