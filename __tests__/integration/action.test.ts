// The committed dist/ bundles, run as a GitHub runner runs them (INPUT_*, GITHUB_OUTPUT,
// GITHUB_STATE, GITHUB_STEP_SUMMARY, RUNNER_TEMP, then the post step), on Node 24, against
// tarballs packed from the fixture CLI.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { packFixture, type FixtureOptions } from '../../scripts/lib/fixture.js'
import { CACHE, REPO } from '../../scripts/lib/paths.js'
import { runAction, type ActionRun, type RunOptions } from '../../scripts/lib/runner.js'
import { PHASE_NAMES } from '../../src/smoke.js'

async function smoke(fixture: FixtureOptions, inputs: Record<string, string> = {}, options: Partial<RunOptions> = {}): Promise<ActionRun> {
  return runAction({ inputs: { tarball: packFixture(fixture), ...inputs }, ...options })
}

function sandboxesIn(runnerTemp: string): string[] {
  return readdirSync(runnerTemp).filter(name => name.startsWith('ktx-smoke-') && !name.endsWith('.json'))
}

/** Post step succeeded, nothing runs any more from RUNNER_TEMP, and the sandbox is gone. */
function assertCleanedUp(run: ActionRun): void {
  assert.equal(run.post?.code, 0, run.post?.stderr)
  assert.deepEqual(run.leftovers, [], 'processes left running after the post step')
  assert.deepEqual(sandboxesIn(run.runnerTemp), [], 'the sandbox was not removed')
}

function assertPassed(run: ActionRun, generation: string): void {
  assert.equal(run.main.code, 0, run.main.stdout.slice(-4000))
  assert.equal(run.outputs.result, 'passed')
  assert.equal(run.outputs['failed-phase'], '')
  assert.equal(run.outputs['ktx-version'], '0.12.0')
  assert.equal(run.outputs['cli-generation'], generation)
  assert.equal(run.outputs['runtime-status-before'], 'missing')
  assert.equal(run.outputs['runtime-status-after'], 'ready')
  assert.equal(run.outputs['runtime-features'], 'core')
  assert.match(run.outputs['daemon-url'], /^http:\/\/127\.0\.0\.1:\d+$/)
  assert.ok(Number(run.outputs['duration-ms']) > 0)
  const status = JSON.parse(run.outputs['runtime-status'])
  assert.equal(status.kind, 'ready')
  assert.equal(status.layout.runtimeRoot, run.outputs['runtime-root'])
  assert.ok(run.outputs['runtime-root'].startsWith(run.runnerTemp))
  const report = JSON.parse(readFileSync(run.outputs.report, 'utf8'))
  assert.deepEqual(
    report.phases.map((p: { name: string; status: string }) => `${p.name}:${p.status}`),
    PHASE_NAMES.map(name => `${name}:passed`)
  )
  for (const name of PHASE_NAMES) {
    assert.match(run.main.stdout, new RegExp(`::group::${name}: `))
    assert.match(run.summary, new RegExp(`\\| \`${name}\` .* \\| ✓ passed \\|`))
  }
  assert.match(run.summary, /## ktx smoke: ✅ passed/)
  assertCleanedUp(run)
}

function assertFailed(run: ActionRun, phase: string, message: RegExp): void {
  assert.equal(run.outputs.result, 'failed')
  assert.equal(run.outputs['failed-phase'], phase)
  assert.match(run.main.stdout, message)
  assert.match(run.main.stdout, new RegExp(`::error::Phase ${phase} failed`))
  assert.equal(run.main.code, 1)
  assert.match(run.summary, new RegExp(`❌ failed in \`${phase}\``))
  const report = JSON.parse(readFileSync(run.outputs.report, 'utf8'))
  const after = PHASE_NAMES.slice(PHASE_NAMES.indexOf(phase as (typeof PHASE_NAMES)[number]) + 1)
  assert.deepEqual(
    report.phases.filter((p: { status: string }) => p.status === 'skipped').map((p: { name: string }) => p.name),
    after
  )
  assertCleanedUp(run)
}

describe('happy paths', () => {
  it('admin generation with npm, detected automatically', async () => {
    const run = await smoke({ generation: 'admin' })
    assertPassed(run, 'admin')
    assert.match(run.main.stdout, /cli-generation: admin .*\(detected\)/)
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
    assert.equal(run.outputs.result, 'passed', run.main.stdout.slice(-3000))
    assert.equal(run.outputs['ktx-version'], '0.10.3')
    assert.match(run.main.stdout, /node on PATH: v22\./)
    assert.match(run.main.stdout, /Installing KTX Python runtime \(core\) with uv\.\.\./)
    assert.match(run.main.stdout, /Started KTX daemon/)
    assertCleanedUp(run)
  })

  it("the bundle on the machine's own Node: passes from Node 22, fails `project` clearly below", async () => {
    const machineNode = execFileSync('node', ['-p', 'process.execPath'], { encoding: 'utf8' }).trim()
    const version = execFileSync(machineNode, ['--version'], { encoding: 'utf8' }).trim()
    const run = await smoke({}, {}, { actionNodePath: machineNode })
    if (Number(version.slice(1).split('.')[0]) >= 22) {
      assertPassed(run, 'admin')
    } else {
      assertFailed(run, 'project', new RegExp(`better-sqlite3 needs Node 22 or newer to write the sqlite warehouse, but the action runs on Node ${version}`))
    }
  })

  it('daemon: false skips the daemon phases', async () => {
    const run = await smoke({}, { daemon: 'false' })
    assert.equal(run.outputs.result, 'passed')
    assert.equal(run.outputs['daemon-url'], '')
    const report = JSON.parse(readFileSync(run.outputs.report, 'utf8'))
    assert.deepEqual(
      report.phases.filter((p: { status: string }) => p.status === 'skipped').map((p: { name: string; message: string }) => `${p.name}: ${p.message}`),
      ['daemon-start', 'daemon-reuse', 'daemon-stop'].map(n => `${n}: skipped: daemon is false`)
    )
    assertCleanedUp(run)
  })
})

describe('failing phases', () => {
  it('a hanging lazy install times out, its process tree is killed', async () => {
    const run = await smoke({ faults: ['hang-install'] }, { 'install-timeout': '3' })
    assertFailed(run, 'lazy-install', /Phase lazy-install failed: timed out after 3 s \(the process tree was killed\)/)
    assert.match(run.main.stdout, /Installing ktx Python runtime \(core\) with uv\.\.\./)
  })

  it('an offline runtime install fails lazy-install with the CLI\'s own words', async () => {
    const run = await smoke({ faults: ['install-offline'] })
    assertFailed(run, 'lazy-install', /ktx could not download uv 0\.11\.21 \(required to install the ktx Python runtime\)/)
  })

  it('wrong executed rows fail query-execute', async () => {
    assertFailed(await smoke({ faults: ['wrong-rows'] }), 'query-execute', /expected rows \[\[3\]\] \(count\(\*\) of orders, read from the warehouse\), got \[\[2\]\]/)
  })

  it('a daemon that survives stop fails daemon-stop, and the post step still kills it', async () => {
    const run = await smoke({ faults: ['stop-leaves-daemon'] })
    assertFailed(run, 'daemon-stop', /stop reported success, but 10 s later pid \d+ is still running, http:\/\/127\.0\.0\.1:\d+ still accepts connections/)
    assert.match(run.post!.stdout, /killed daemon pid \d+ \(it ignored SIGTERM\)/)
  })

  it('the wrong cli-generation fails runtime-missing quoting the CLI', async () => {
    const run = await smoke({ generation: 'admin' }, { 'cli-generation': 'runtime' })
    assertFailed(run, 'runtime-missing', /error: unknown command 'runtime'/)
  })

  it('fail-on-error: false reports result=failed and lets the step pass', async () => {
    const run = await smoke({ faults: ['check-fail'] }, { 'fail-on-error': 'false' })
    assert.equal(run.main.code, 0)
    assert.equal(run.outputs.result, 'failed')
    assert.equal(run.outputs['failed-phase'], 'runtime-checks')
    assert.match(run.main.stdout, /::warning::Phase runtime-checks failed: runtime check\(s\) failed: FAIL uv: uv 0\.11\.21 is not executable \(Fix: Delete the runtime root/)
    assert.doesNotMatch(run.main.stdout, /::error::/)
    assertCleanedUp(run)
  })
})

describe('broken releases, each caught at its phase with the CLI quoted', () => {
  const cases: [string, FixtureOptions, string, RegExp][] = [
    ['a version unlike its package.json', { faults: ['version-mismatch'] }, 'version', /expected stdout "@kaelio\/ktx 0\.12\.0" \(from the tarball's package\.json\), got "@kaelio\/ktx 0\.0\.0-other"/],
    ['a telemetry notice on stderr', { faults: ['telemetry-always'] }, 'version', /expected no output on stderr, but it printed: "ktx collects anonymous usage data/],
    ['a runtime already there at first', { faults: ['ready-at-start'] }, 'runtime-missing', /expected runtime status "missing", got "ready": Runtime ready at/],
    ['status exit 0 while missing (admin)', { faults: ['status-exit-0'] }, 'runtime-missing', /expected exit code 1, but it exited with 0 \(the admin generation's status exits 1 for "missing"\)/],
    ['an install without its messages', { faults: ['no-install-messages'] }, 'lazy-install', /expected the "Installing … Python runtime \(core\) with uv\.\.\." line on stderr/],
    ['a Project line on stderr', { faults: ['project-line'] }, 'lazy-install', /expected no other output on stderr, but it printed: "Project: /],
    ['a runtime without the requested feature', { faults: ['no-features'] }, 'runtime-ready', /the ready runtime lacks feature\(s\) core \(it has: none\)/],
    ['a broken runtime after install', { faults: ['broken-after-install'] }, 'runtime-ready', /expected runtime status "ready", got "broken": Missing ktx-daemon executable: /],
    ['a mismatched runtime after install', { faults: ['mismatched-after-install'] }, 'runtime-ready', /got "mismatched": Runtime is for CLI 0\.0\.1, current CLI is 0\.12\.0/],
    ['a daemon that never answers /health', { faults: ['no-health'] }, 'daemon-start', /start reported success, but nothing answered GET http:\/\/127\.0\.0\.1:\d+\/health \(ECONNREFUSED\)/],
    ['a second start launching a new daemon', { faults: ['reuse-new-daemon'] }, 'daemon-reuse', /expected the "Using existing … daemon" line on stdout/],
    ['a dependency that cannot be installed', { dependencies: { 'is-number': '999.0.0' } }, 'install', /expected exit code 0, but it exited with \d+[\s\S]*is-number/]
  ]
  for (const [what, fixture, phase, message] of cases) {
    it(`${what} → ${phase}`, async () => assertFailed(await smoke(fixture), phase, message))
  }

  it('a runtime written under ~/.ktx/runtime despite KTX_RUNTIME_ROOT → runtime-ready', async () => {
    const home = mkdtempSync(path.join(CACHE, 'home-'))
    const npmrc = path.join(os.homedir(), '.npmrc')
    const env: Record<string, string> = { HOME: home, ...(existsSync(npmrc) ? { NPM_CONFIG_USERCONFIG: npmrc } : {}) }
    const run = await smoke({ faults: ['default-root'] }, {}, { env })
    assertFailed(run, 'runtime-ready', /a runtime was written under the default root .*home-\w+\/\.ktx\/runtime\/0\.12\.0 although KTX_RUNTIME_ROOT was set/)
    rmSync(home, { recursive: true, force: true })
  })
})

describe('cancellation', () => {
  for (const [phase, fault, marker] of [
    ['lazy-install', 'hang-install', /Installing ktx Python runtime/],
    ['daemon-reuse', 'stop-leaves-daemon', /::group::daemon-reuse/]
  ] as const) {
    it(`SIGTERM to main during ${phase}: the post step leaves no process and no sandbox`, async () => {
      let seen = ''
      let signalled = false
      let mainPid = 0
      const run = await smoke(
        { faults: [fault] },
        {},
        {
          onMainStarted: pid => (mainPid = pid),
          onMainOutput: text => {
            seen += text
            if (!signalled && marker.test(seen)) {
              signalled = true
              process.kill(mainPid, 'SIGTERM')
            }
          }
        }
      )
      assert.ok(signalled, 'the phase was never reached')
      assert.equal(run.main.code, 1)
      assert.equal(run.outputs.result, 'failed')
      assert.equal(run.outputs['failed-phase'], phase)
      assert.match(run.main.stdout, new RegExp(`::error::Cancelled \\(SIGTERM\\) during phase ${phase}`))
      assertCleanedUp(run)
    })
  }
})

describe('inputs and the sandbox', () => {
  it('a bad input fails before anything is installed; post has nothing to do', async () => {
    const run = await runAction({ inputs: { tarball: 'x.tgz', 'package-manager': 'yarn' } })
    assert.equal(run.main.code, 1)
    assert.match(run.main.stdout, /::error::Invalid package-manager: "yarn"\. Valid values: npm, pnpm\./)
    assert.equal(run.outputs.result, 'failed')
    assert.equal(run.post?.code, 0)
    assert.match(run.post!.stdout, /Nothing to clean up/)
    assert.deepEqual(readdirSync(run.runnerTemp), [])
  })

  it('a missing tarball fails the install phase naming what was looked for', async () => {
    const run = await runAction({ inputs: { tarball: 'artifacts/*.tgz' } })
    assert.equal(run.outputs['failed-phase'], 'install')
    assert.match(run.main.stdout, /Input tarball: no file matches "artifacts\/\*\.tgz" \(relative to .*workspace\)/)
    assert.equal(run.post?.code, 0)
  })

  it('keep-sandbox keeps the sandbox and says where', async () => {
    const run = await smoke({}, { 'keep-sandbox': 'true', daemon: 'false' })
    assert.equal(run.outputs.result, 'passed')
    const [kept] = sandboxesIn(run.runnerTemp)
    assert.ok(kept, 'the sandbox should be kept')
    const root = path.join(run.runnerTemp, kept)
    assert.match(run.post!.stdout, new RegExp(`keep-sandbox is true: the sandbox stays at ${root}`))
    assert.ok(existsSync(path.join(root, 'project', 'warehouse.db')))
    assert.deepEqual(run.leftovers, [])
    rmSync(root, { recursive: true, force: true })
  })
})

describe('the bundle', () => {
  it('carries the better-sqlite3 binary of every runner platform', () => {
    const dir = path.join(REPO, 'dist', 'main', 'prebuilds')
    const magic: Record<string, (b: Buffer) => boolean> = {
      linux: b => b.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])),
      darwin: b => b.readUInt32LE(0) === 0xfeedfacf,
      win32: b => b.subarray(0, 2).toString() === 'MZ'
    }
    const files = readdirSync(dir).sort()
    assert.deepEqual(files, ['darwin-arm64', 'darwin-x64', 'linux-arm64', 'linux-x64', 'linuxmusl-arm64', 'linuxmusl-x64', 'win32-arm64', 'win32-x64'].map(f => `${f}.node`))
    for (const file of files) {
      const os = file.startsWith('linux') ? 'linux' : file.split('-')[0]
      assert.ok(magic[os](readFileSync(path.join(dir, file))), `${file} is not a ${os} binary`)
    }
  })
})
