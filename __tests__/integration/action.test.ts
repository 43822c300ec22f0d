// The committed dist/ bundles, run as a GitHub runner runs them (INPUT_*, GITHUB_OUTPUT,
// GITHUB_STATE, GITHUB_STEP_SUMMARY, RUNNER_TEMP, then the post step), on Node 24, against
// tarballs packed from the fixture CLI: the happy paths, and each broken release caught at its phase.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { describe, it } from 'node:test'
import { packFixture, packReport, type FixtureOptions } from '../../scripts/lib/fixture.js'
import { runAction, scratch, withHome } from '../../scripts/lib/runner.js'
import { assertCleanedUp, assertFailed, assertPassed, housekeeping, explain, smoke } from './helpers.js'

housekeeping()

describe('happy paths', () => {
  it('admin generation with npm, detected automatically; the integrity outputs are those of the exact file, as npm pack --json reports them', async () => {
    const tarball = packFixture({ generation: 'admin' })
    const run = await runAction({ inputs: { tarball } })
    assertPassed(run, 'admin')
    assert.match(run.main.stdout, /cli-generation: admin .*\(detected\)/)
    // cache: auto without a cache service (no GitHub here) says so in the log, with no warning.
    assert.match(run.main.stdout, /\ncache: not used: the cache service is not available here/)
    assert.doesNotMatch(run.main.stdout, /::warning::/)
    assert.equal(run.outputs['tarball-integrity'], packReport(tarball).integrity)
    assert.equal(run.outputs['tarball-sha256'], createHash('sha256').update(readFileSync(tarball)).digest('hex'))
    assert.ok(run.summary.includes(`Tarball \`${packReport(tarball).integrity}\``))
    assert.equal(JSON.parse(readFileSync(run.outputs.report, 'utf8')).tarball.integrity, packReport(tarball).integrity)
  })

  it('admin generation with pnpm', async () => {
    assertPassed(await smoke({ generation: 'admin' }, { 'package-manager': 'pnpm', 'expected-version': '0.12.0' }), 'admin')
  })

  it('runtime generation with npm, detected automatically', async () => {
    const run = await smoke({ generation: 'runtime' })
    assertPassed(run, 'runtime')
    assert.match(run.main.stdout, /\$ ktx runtime doctor/)
    assert.match(run.main.stdout, /Started KTX Python daemon/)
  })

  it('runtime generation with pnpm, generation given', async () => {
    const run = await smoke({ generation: 'runtime' }, { 'package-manager': 'pnpm', 'cli-generation': 'runtime' })
    assertPassed(run, 'runtime')
    assert.match(run.main.stdout, /cli-generation: runtime .*\(as configured\)/)
  })

  it('an older admin release (0.10: upper-case messages) with ktx on Node 22', async () => {
    const run = await runAction({ inputs: { tarball: packFixture({ version: '0.10.3' }) }, pathNode: 22 })
    assert.equal(run.outputs.result, 'passed', explain(run))
    assert.equal(run.outputs['ktx-version'], '0.10.3')
    assert.match(run.main.stdout, /node on PATH: v22\./)
    assert.match(run.main.stdout, /Installing KTX Python runtime \(core\) with uv\.\.\./)
    assert.match(run.main.stdout, /Started KTX daemon/)
    assertCleanedUp(run)
  })

  it("the bundle on the machine's own Node passes: the action carries no native module, the release's sqlite runs on the Node on PATH", async () => {
    const machineNode = execFileSync('node', ['-p', 'process.execPath'], { encoding: 'utf8' }).trim()
    assertPassed(await smoke({}, {}, { actionNodePath: machineNode }), 'admin')
  })

  it('daemon: false skips the daemon phases', async () => {
    const run = await smoke({}, { daemon: 'false' })
    assert.equal(run.outputs.result, 'passed', explain(run))
    assert.equal(run.outputs['daemon-url'], '')
    const report = JSON.parse(readFileSync(run.outputs.report, 'utf8'))
    assert.deepEqual(
      report.phases.filter((p: { status: string }) => p.status === 'skipped').map((p: { name: string; message: string }) => `${p.name}: ${p.message}`),
      ['daemon-start', 'daemon-reuse', 'daemon-stop'].map(n => `${n}: skipped: daemon is false`)
    )
    assertCleanedUp(run)
  })
})

// A dependency that cannot be installed, a wrong version, a telemetry notice, a runtime there at
// first, a uv download that fails, a broken runtime, wrong rows, a FAIL check line and a daemon
// without /health are runs of troubleshooting.test.ts, which holds each to docs/troubleshooting.md's text in full.
describe('broken releases, each caught at its phase with the CLI quoted', () => {
  const cases: [string, FixtureOptions, string, RegExp, Record<string, string>?][] = [
    [
      'status exit 0 while missing (admin)',
      { faults: ['status-exit-0'] },
      'runtime-missing',
      /expected exit code 1, but it exited with 0 \(the admin generation's status exits 1 for "missing"\)/
    ],
    [
      'the admin generation run as the runtime one',
      { generation: 'admin' },
      'runtime-missing',
      /error: unknown command 'runtime'/,
      { 'cli-generation': 'runtime' }
    ],
    [
      'an install without its messages',
      { faults: ['no-install-messages'] },
      'lazy-install',
      /expected the "Installing … Python runtime \(core\) with uv\.\.\." line on stderr/
    ],
    [
      'an install that hangs in uv',
      { faults: ['hang-install'] },
      'lazy-install',
      /Phase lazy-install failed: timed out after 3 s \(the process tree was killed\)[\s\S]*Installing ktx Python runtime \(core\) with uv\.\.\./,
      // Bounds the runtime install only: the package install keeps its own time.
      { 'runtime-install-timeout': '3' }
    ],
    ['a Project line on stderr', { faults: ['project-line'] }, 'lazy-install', /expected no other output on stderr, but it printed: "Project: /],
    ['a wiki search that finds nothing', { faults: ['wiki-miss'] }, 'search', /Phase search failed: expected the wiki search to find one item, got 0/],
    [
      'a search that leaves no index',
      { faults: ['no-search-index'] },
      'search',
      /Phase search failed: the wiki search left no search index at \$SANDBOX\/project\/\.ktx\/db\.sqlite/
    ],
    [
      'a lazy install that brings more than core',
      { faults: ['extra-features'] },
      'runtime-ready',
      /after the lazy install the runtime lists features \["core","local-embeddings"\], expected exactly \["core"\]/
    ],
    ['an executed query of another dialect', { faults: ['wrong-dialect'] }, 'query-execute', /expected "dialect": "sqlite", got "duckdb"/],
    [
      'a reused daemon without its features',
      { faults: ['reuse-no-features'] },
      'daemon-reuse',
      /the daemon's "features:" line lacks core \(got: no features line\)/
    ],
    [
      'a runtime without the core feature',
      { faults: ['no-features'] },
      'runtime-ready',
      /after the lazy install the runtime lists features \[\], expected exactly \["core"\]/
    ],
    [
      'a mismatched runtime after install',
      { faults: ['mismatched-after-install'] },
      'runtime-ready',
      /got "mismatched": Runtime is for CLI 0\.0\.1, current CLI is 0\.12\.0/
    ],
    ['a second start launching a new daemon', { faults: ['reuse-new-daemon'] }, 'daemon-reuse', /expected the "Using existing … daemon" line on stdout/],
    [
      'a daemon that survives stop',
      { faults: ['stop-leaves-daemon'] },
      'daemon-stop',
      /stop reported success, but 10 s later pid \d+ is still running, http:\/\/127\.0\.0\.1:\d+ still accepts connections[\s\S]*cleanup: killed daemon pid \d+ \(it ignored SIGTERM\)/
    ]
  ]
  for (const [what, fixture, phase, message, inputs] of cases) {
    it(`${what} → ${phase}`, async () => assertFailed(await smoke(fixture, inputs), phase, message))
  }

  it('a runtime written under ~/.ktx/runtime despite KTX_RUNTIME_ROOT → the phase that wrote it, lazy-install', async () => {
    const home = scratch('home-')
    const run = await smoke({ faults: ['default-root'] }, {}, { env: withHome(home) })
    assertFailed(
      run,
      'lazy-install',
      /Phase lazy-install failed: it wrote a runtime under the default root \$SANDBOX\/home\/\.ktx\/runtime \(HOME is the sandbox's \$SANDBOX\/home\) although KTX_RUNTIME_ROOT was set: ~\/\.ktx\/runtime\/0\.12\.0\/\.venv\/bin\/ktx-daemon/
    )
    // ktx ran with the sandbox HOME: the runner's HOME got no runtime. Its npm cache (~/.npm) is
    // what cache: auto uses without a cache service, on purpose; nothing else may appear.
    assert.deepEqual(
      readdirSync(home).filter(name => name !== '.npm'),
      []
    )
    rmSync(home, { recursive: true, force: true })
  })

  it('fail-on-error: false reports result=failed and lets the step pass', async () => {
    const run = await smoke({ faults: ['check-fail'] }, { 'fail-on-error': 'false' })
    assert.equal(run.main.code, 0, explain(run))
    assert.equal(run.outputs.result, 'failed', explain(run))
    assert.equal(run.outputs['failed-phase'], 'runtime-checks', explain(run))
    assert.match(run.main.stdout, /::warning::Phase runtime-checks failed: runtime check\(s\) failed: FAIL uv/)
    assert.doesNotMatch(run.main.stdout, /::error::/)
    assert.deepEqual(run.leftoversAfterMain, [])
    assertCleanedUp(run)
    // What a failed assertion on this run would show: the verdict, then the failing phase's own log.
    const shown = explain(run)
    assert.match(shown, /^result: failed, failed-phase: runtime-checks, main exit code: 0\n--- log of phase runtime-checks ---\n::group::runtime-checks: /)
    assert.match(shown, /FAIL uv/)
    assert.match(shown, /::endgroup::\n--- annotations ---/)
    assert.doesNotMatch(shown, /::group::runtime-ready: /)
  })
})
