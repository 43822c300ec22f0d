// The real @kaelio/ktx 0.12.0 (../shared/ktx-0.12.0, or KTX_REAL_TARBALL) is the judge: a check
// that this correct release fails is a bug of the action. Offline, as here, everything before the
// lazy install passes; the lazy install itself stops at ktx's download of uv, and the run must say
// so in ktx's own words. (That the fixture CLI reads like it: real-contract.test.ts.)
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { before, describe, it } from 'node:test'
import { buildCli, nodeBinary } from '../../scripts/lib/node.js'
import { REAL_CACHE, realTarball, seedRealCache } from '../../scripts/lib/real.js'
import { baseEnv, processesUnder, runAction, scratch, stepPath, type ActionRun } from '../../scripts/lib/runner.js'
import { CORE_PHASES, modePhases } from '../../src/engine/context.js'
import { CACHE_DIR_NAME } from '../../src/engine/cache.js'
import { explain, housekeeping, sandboxesIn } from './helpers.js'

housekeeping()

const tarball = realTarball()

/** The phases ktx runs without a Python runtime: all of them pass offline. */
const OFFLINE: string[] = CORE_PHASES.slice(0, CORE_PHASES.indexOf('lazy-install'))

/** ktx's own words when it cannot download uv, and the action's remedy after them. */
const UV_REASON = /ktx: ktx Python runtime install failed: ktx could not download uv 0\.11\.21 \(required to install the ktx Python runtime\)/

describe('the action on the real ktx 0.12.0, offline', () => {
  /** npm reads its cached metadata first (the registry is asked only for what is missing), as on a warm runner. */
  const env = (home: string): Record<string, string> => {
    const npmrc = path.join(os.homedir(), '.npmrc')
    return {
      ...seedRealCache(tarball),
      npm_config_prefer_offline: 'true',
      HOME: home,
      ...(existsSync(npmrc) ? { NPM_CONFIG_USERCONFIG: npmrc } : {})
    }
  }
  /** The download caches of these runs persist between test runs, as a runner's restored cache would. */
  const sharedCache = (runnerTemp: string): void => {
    mkdirSync(REAL_CACHE, { recursive: true })
    symlinkSync(REAL_CACHE, path.join(runnerTemp, CACHE_DIR_NAME))
  }

  // pnpm's project install of the real release is ktx-smoke's below (the same engine and verdict).
  const cases: [string, Record<string, string>, string[]][] = [
    ['with npm', { 'package-manager': 'npm' }, modePhases('global')],
    ['installs: global,project (pnpm)', { 'package-manager': 'pnpm', installs: 'global,project' }, modePhases('project')]
  ]
  for (const [what, inputs, further] of cases) {
    it(`${what}: every phase before the lazy install passes; the lazy install fails in ktx's words`, async () => {
      const home = scratch('home-')
      const run = await runAction({ inputs: { tarball, 'keep-sandbox': 'true', ...inputs }, env: env(home), beforeMain: sharedCache })
      assertOfflineVerdict(run, further)
      // Nothing under ~/.ktx/runtime, neither in the sandbox's HOME nor in the runner's.
      const [kept] = sandboxesIn(run.runnerTemp)
      assert.ok(kept, 'keep-sandbox kept the sandbox')
      const sandbox = path.join(run.runnerTemp, kept)
      assert.ok(!existsSync(path.join(sandbox, 'home', '.ktx', 'runtime')), 'a runtime under the sandbox HOME')
      assert.ok(!existsSync(path.join(home, '.ktx')), "ktx wrote under the runner's HOME")
      assert.deepEqual(readdirSync(path.join(sandbox, 'runtime-root')), [], 'ktx 0.12.0 creates no runtime root when it cannot download uv')
      rmSync(sandbox, { recursive: true, force: true })
    })
  }

  describe('ktx-smoke', () => {
    let cli: string
    before(() => {
      cli = buildCli()
    })

    it("gives the same verdict: exit 1 at lazy-install, ktx's reason first; compared with itself, nothing changed", () => {
      const temp = scratch('local-')
      sharedCache(temp)
      const runEnv = { ...baseEnv(), ...env(scratch('home-')), PATH: stepPath(24, true), TMPDIR: temp, NO_COLOR: '1', FORCE_COLOR: undefined }
      const r = spawnSync(
        nodeBinary(24),
        [cli, tarball, '--installs', 'project', '--package-manager', 'pnpm', '--compare-to', tarball, '--no-fail-on-version-not-greater'],
        { cwd: temp, env: runEnv, encoding: 'utf8' }
      )
      assert.equal(r.status, 1, r.stdout + r.stderr)
      for (const phase of OFFLINE) assert.match(r.stdout, new RegExp(`^ {2}✓ ${phase} `, 'm'))
      assert.match(r.stdout, /^ {2}✗ lazy-install /m)
      const failure = r.stdout.slice(r.stdout.indexOf('\n\nktx: '))
      assert.match(
        failure,
        new RegExp(`^\\n\\n${UV_REASON.source}[^\\n]*\\nPhase lazy-install failed: expected exit code 0, but it exited with 1\\nRemedy: [^\\n]*uv-binary`)
      )
      assert.match(r.stdout, /\nktx smoke failed in lazy-install in /)
      // The same tarball: the same files, sizes, package.json and wheel, so no table but the first.
      assert.match(r.stdout, /^ {2}✓ compare /m)
      assert.match(r.stdout, /\n {2}unpacked size +[\d.]+ MB +[\d.]+ MB +0 B \(0%\)\n {2}files +1099 +1099 +\+0 −0\n/)
      assert.doesNotMatch(r.stdout, /\n(Files added|Files removed|Files that grew most|Dependencies|Install scripts|Bundled wheel)\n/)
      assert.deepEqual(processesUnder(temp), [])
    })
  })
})

/** Failed at lazy-install, the release's fault, led by ktx's reason; all before it passed, all after skipped, nothing left running. */
function assertOfflineVerdict(run: ActionRun, further: string[]): void {
  assert.equal(run.outputs.result, 'failed', explain(run))
  assert.equal(run.outputs['failed-phase'], 'lazy-install', explain(run))
  assert.equal(run.main.code, 1, explain(run))
  const report = JSON.parse(readFileSync(run.outputs.report, 'utf8'))
  const after = [...CORE_PHASES.slice(CORE_PHASES.indexOf('lazy-install') + 1), ...further]
  assert.deepEqual(
    report.phases.map((p: { name: string; status: string }) => `${p.name}:${p.status}`),
    [...OFFLINE.map(p => `${p}:passed`), 'lazy-install:failed', ...after.map(p => `${p}:skipped`)]
  )
  const annotation = run.main.stdout.split('\n').find(line => line.startsWith('::error::')) ?? ''
  assert.match(annotation, new RegExp(`^::error::${UV_REASON.source}`))
  assert.match(
    annotation,
    /%0APhase lazy-install failed: expected exit code 0, but it exited with 1%0ARemedy: this runner cannot download uv\. Give the action a uv executable with the uv-binary input/
  )
  assert.match(run.summary, new RegExp(`^## ktx smoke: ❌ ${UV_REASON.source}.*\\(failed in \`lazy-install\`: the release under test is at fault\\)`))
  // status outside a project exits 1 in every installed ktx: a note, not a failure.
  assert.match(run.main.stdout, /status exited 1 outside a project, as an installed ktx does: [^\n]*Workspace-local CLI: /)
  assert.equal(JSON.parse(run.outputs['runtime-status']).kind, 'missing')
  assert.deepEqual(run.leftoversAfterMain, [], 'processes left running after the main step')
  assert.equal(run.post?.code, 0, run.post?.stderr)
  assert.deepEqual(run.leftovers, [], 'processes left running after the post step')
}
