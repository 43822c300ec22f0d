// Issue-4 features through the bundled action: the JUnit report, quiet logs, extra commands, the
// owned download caches, and a uv binary for runners that cannot download one.
import assert from 'node:assert/strict'
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { before, describe, it } from 'node:test'
import { spawn, spawnSync } from 'node:child_process'
import { buildCli, nodeBinary } from '../../scripts/lib/node.js'
import { packFixture } from '../../scripts/lib/fixture.js'
import { CACHE } from '../../scripts/lib/paths.js'
import { baseEnv, processesUnder, stepPath, scratch } from '../../scripts/lib/runner.js'
import { PHASE_NAMES } from '../../src/engine/context.js'
import { assertCleanedUp, assertErrored, assertPassed, housekeeping, explain, smoke } from './helpers.js'

housekeeping()

/** A stand-in uv for the air-gapped hook: `uv --version` answers like uv 0.11.21. */
function fakeUv(): string {
  const file = path.join(scratch('uv-'), 'uv')
  writeFileSync(file, '#!/bin/sh\necho "uv 0.11.21 (fixture)"\n')
  chmodSync(file, 0o755)
  return file
}

describe('reports and logs', () => {
  it('junit-report: one testcase per phase, readable XML next to the JSON report', async () => {
    const run = await smoke({}, {})
    assertPassed(run, 'admin')
    const xml = readFileSync(run.outputs['junit-report'], 'utf8')
    const n = PHASE_NAMES.length
    assert.match(xml, new RegExp(`^<\\?xml version="1\\.0" encoding="UTF-8"\\?>\\n<testsuites tests="${n}" failures="0" errors="0" skipped="0">`))
    assert.equal([...xml.matchAll(/<testcase classname="ktx-smoke" name="[\w-]+" time="[\d.]+"/g)].length, n)
    assert.equal(path.dirname(run.outputs['junit-report']), path.dirname(run.outputs.report))
  })

  it('quiet: only phase lines, warnings and errors', async () => {
    const run = await smoke({ faults: ['check-fail'] }, { quiet: 'true', cache: 'false' })
    assert.equal(run.outputs['failed-phase'], 'runtime-checks', explain(run))
    const lines = run.main.stdout.trim().split('\n')
    const allowed = /^(✓ [\w-]+ passed in |✗ runtime-checks failed in |- [\w-]+ skipped in |::error::Phase runtime-checks failed: )/
    assert.deepEqual(
      lines.filter(l => !allowed.test(l)),
      []
    )
    assert.equal(lines.filter(l => l.startsWith('✓')).length, PHASE_NAMES.indexOf('runtime-checks'))
    assertCleanedUp(run)
  })
})

describe('extra-commands', () => {
  it('each line is a phase after the runtime checks; a failing one fails as extra-N with the CLI quoted', async () => {
    const extra = 'ktx sl query --connection-id warehouse --measure orders.order_count --execute\nfrobnicate --json'
    const run = await smoke({}, { 'extra-commands': extra })
    assert.equal(run.outputs['failed-phase'], 'extra-2', explain(run))
    assert.match(
      run.main.stdout,
      /::error::ktx: error: unknown command 'frobnicate'%0APhase extra-2 failed: expected exit code 0, but it exited with 1%0Acommand: ktx frobnicate --json%0A/
    )
    const report = JSON.parse(readFileSync(run.outputs.report, 'utf8'))
    const names = report.phases.map((p: { name: string; status: string }) => `${p.name}:${p.status}`)
    const at = names.indexOf('runtime-checks:passed')
    assert.deepEqual(names.slice(at, at + 3), ['runtime-checks:passed', 'extra-1:passed', 'extra-2:failed'])
    assert.deepEqual(
      names.slice(at + 3),
      PHASE_NAMES.slice(PHASE_NAMES.indexOf('daemon-start')).map(name => `${name}:skipped`)
    )
    assert.deepEqual(run.leftoversAfterMain, [])
    assertCleanedUp(run)
  })
})

describe('local-embeddings (opt-in)', () => {
  it('an explicit install of the feature, a daemon started with it, a 384-number embedding', async () => {
    const run = await smoke({}, { features: 'core,local-embeddings', cache: 'false' })
    assert.equal(run.outputs.result, 'passed', explain(run))
    assert.equal(run.outputs['runtime-features'], 'core,local-embeddings')
    assert.match(run.main.stdout, /\$ ktx admin runtime install --feature local-embeddings --yes/)
    assert.match(run.main.stdout, /\$ ktx admin runtime start --feature local-embeddings/)
    assert.match(run.main.stdout, /embeddings: 1 \+ 2 vectors of 384 numbers/)
    const report = JSON.parse(readFileSync(run.outputs.report, 'utf8'))
    assert.deepEqual(
      report.phases.map((p: { name: string }) => p.name),
      [
        ...PHASE_NAMES.slice(0, PHASE_NAMES.indexOf('daemon-start')),
        'embeddings-install',
        'daemon-start',
        'daemon-reuse',
        'embeddings-compute',
        ...PHASE_NAMES.slice(PHASE_NAMES.indexOf('daemon-stop'))
      ]
    )
    assertCleanedUp(run)
  })

  it('a wrong embedding size fails embeddings-compute', async () => {
    const run = await smoke({ faults: ['embeddings-wrong-size'] }, { features: 'core,local-embeddings', cache: 'false' })
    assert.equal(run.outputs['failed-phase'], 'embeddings-compute', explain(run))
    assert.match(
      run.main.stdout,
      /::error::Phase embeddings-compute failed: POST http:\/\/127\.0\.0\.1:\d+\/embeddings\/compute with \{"text"\}: "embedding": expected 384 numbers, got 383/
    )
    assert.deepEqual(run.leftoversAfterMain, [])
    assertCleanedUp(run)
  })

  it('the runtime generation has no explicit install: a clear failure', async () => {
    const run = await smoke({ generation: 'runtime' }, { features: 'core,local-embeddings', cache: 'false' })
    assert.equal(run.outputs['failed-phase'], 'embeddings-install', explain(run))
    assert.match(
      run.main.stdout,
      /local-embeddings needs an explicit runtime install, which the runtime generation \(runtime \(ktx runtime …, pre-0\.4\)\) does not have; drop it from features/
    )
    assertCleanedUp(run)
  })
})

describe('download caches and uv', () => {
  it('uv-binary makes an offline 0.12 install work: placed at the managed uv path', async () => {
    const run = await smoke({ faults: ['install-offline'] }, { 'uv-binary': fakeUv(), daemon: 'false', cache: 'false' })
    assert.equal(run.outputs.result, 'passed', explain(run))
    assert.match(run.main.stdout, /uv-binary: \S+\/uv placed at \S+\/runtime-root\/uv\/0\.11\.21\/uv \(where ktx 0\.12\.0 keeps the uv it would download\)/)
  })

  it("uv-binary follows the managed uv path ktx's status names, for a release that pins a newer uv", async () => {
    const run = await smoke({ faults: ['install-offline', 'newer-uv'] }, { 'uv-binary': fakeUv(), daemon: 'false', cache: 'false', installs: 'project' })
    assert.equal(run.outputs.result, 'passed', explain(run))
    assert.match(run.main.stdout, /uv-binary: \S+\/uv placed at \S+\/runtime-root\/uv\/0\.12\.3\/uv, where ktx's status says it looks/)
  })

  it('uv-binary for a release before 0.12 goes first on PATH', async () => {
    const run = await smoke({ version: '0.10.3' }, { 'uv-binary': fakeUv(), daemon: 'false', cache: 'false' }, { pathNode: 22 })
    assert.equal(run.outputs.result, 'passed', explain(run))
    assert.match(run.main.stdout, /uv-binary: \S+ placed at \S+\/bin\/uv \(first on PATH, where releases before 0\.12 look\)/)
  })

  it('a uv-binary that does not exist is refused before anything is installed', async () => {
    const run = await smoke({}, { 'uv-binary': 'tools/uv' })
    assertErrored(
      run,
      'package',
      /::error::Phase package could not run: Input uv-binary: no file at "tools\/uv" \(looked for \S+\/repo\/repo\/tools\/uv\)\. Give the path of a uv executable, or leave uv-binary empty\./
    )
  })
})

describe('ktx-smoke, the local runner', () => {
  let cli = ''
  before(() => {
    cli = buildCli()
  })
  /** Runs the bundled bin with Node 24 first on PATH and its own temp dir; nothing of the runner's. */
  function ktxSmoke(...args: string[]): { code: number | null; stdout: string; stderr: string; temp: string } {
    return ktxSmokeWith({}, ...args)
  }
  function ktxSmokeWith(extraEnv: NodeJS.ProcessEnv, ...args: string[]): { code: number | null; stdout: string; stderr: string; temp: string } {
    const temp = scratch('local-')
    // Plain text to match, whatever CI or FORCE_COLOR would ask of picocolors.
    const env: NodeJS.ProcessEnv = { ...baseEnv(), PATH: stepPath(24, true), TMPDIR: temp, NO_COLOR: '1', FORCE_COLOR: undefined, ...extraEnv }
    const r = spawnSync(nodeBinary(24), [cli, ...args], { cwd: temp, env, encoding: 'utf8' })
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, temp }
  }

  it('passes the example tarball: a phase list with durations, exit 0, the reports, nothing left behind', () => {
    const r = ktxSmoke(packFixture())
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const phases = r.stdout.split('\n').filter(l => /^ {2}[✓✗] /.test(l))
    assert.equal(phases.length, PHASE_NAMES.length)
    assert.match(phases[1], /^ {2}✓ install {10}Clean install of the release \(\d+(\.\d)? (ms|s)\)$/)
    assert.match(r.stdout, /\nktx smoke passed in \d+\.\d s\nreports: (\S+\.json), (\S+\.xml)\n$/)
    const [, json, xml] = r.stdout.match(/reports: (\S+\.json), (\S+\.xml)/)!
    // One predictable place: ./ktx-smoke-report/, nothing in the temp dir but the download caches.
    assert.equal(json, path.join(r.temp, 'ktx-smoke-report', 'report.json'))
    assert.equal(xml, path.join(r.temp, 'ktx-smoke-report', 'junit.xml'))
    assert.equal(JSON.parse(readFileSync(json, 'utf8')).result, 'passed')
    assert.match(readFileSync(xml, 'utf8'), new RegExp(`<testsuites tests="${PHASE_NAMES.length}" failures="0"`))
    assert.deepEqual(
      readdirSync(r.temp).filter(n => n.startsWith('ktx-smoke-')),
      ['ktx-smoke-cache', 'ktx-smoke-report']
    )
    assert.deepEqual(processesUnder(r.temp), [])
  })

  it('a broken release: exit 1, the failing phase with the CLI quoted, --json on stdout', () => {
    const r = ktxSmoke(packFixture({ faults: ['wrong-rows'] }), '--json', '--package-manager', 'pnpm')
    assert.equal(r.code, 1)
    const report = JSON.parse(r.stdout)
    assert.equal(report.result, 'failed')
    assert.equal(report.failedPhase, 'query-execute')
    assert.match(r.stderr, /^ {2}✗ query-execute +An executed sqlite query returns the warehouse rows/m)
    assert.match(
      r.stderr,
      /Phase query-execute failed: expected rows \[\[3\]\] \(count\(\*\) of orders, read from the warehouse\), got \[\[2\]\]\ncommand: ktx sl query /
    )
    assert.match(r.stderr, /ktx smoke failed in query-execute in /)
    assert.deepEqual(processesUnder(r.temp), [])
  })

  it('a bad option is named with what would be valid: exit 2, like every usage error', () => {
    const r = ktxSmoke(packFixture(), '--phase-timeout', '0')
    assert.equal(r.code, 2)
    assert.match(r.stderr, /ktx-smoke: Invalid --phase-timeout: "0"\. Expected a whole number of seconds from 1 to 21600\./)
    assert.equal(ktxSmoke(packFixture(), '--no-such-option').code, 2)
    assert.equal(ktxSmoke(packFixture(), '--package-manager', 'yarn').code, 2)
    assert.equal(ktxSmoke(packFixture(), '--phase-timeout').code, 2)
  })

  it('a tarball that is not there, matches twice or is no tarball: exit 2, one message, no banner, no phases, no reports', () => {
    const two = scratch('two-')
    for (const name of ['a.tgz', 'b.tgz']) writeFileSync(path.join(two, name), '')
    const text = path.join(two, 'notes.tgz.txt')
    writeFileSync(text, 'not a tarball')
    const cases: [string, RegExp][] = [
      ['missing.tgz', /^ktx-smoke: The <tarball> argument: no file at "missing\.tgz" \(looked for \S+\/missing\.tgz, relative to \S+\)\.\n$/],
      [path.join(two, 'none-*.tgz'), /^ktx-smoke: The <tarball> argument: no file matches "\S+none-\*\.tgz" \(relative to \S+\)\.\n$/],
      [
        path.join(two, '*.tgz'),
        /^ktx-smoke: The <tarball> argument: "\S+\*\.tgz" matches 2 files; it must match exactly one:\n {2}\S+a\.tgz\n {2}\S+b\.tgz\n$/
      ],
      [
        text,
        /^ktx-smoke: The <tarball> argument: \S+notes\.tgz\.txt is not an npm tarball \(a gzip-compressed tar made by `npm pack`\): it is not gzip data\.\n$/
      ]
    ]
    for (const [tarball, message] of cases) {
      const r = ktxSmoke(tarball)
      assert.equal(r.code, 2, r.stdout + r.stderr)
      assert.equal(r.stdout, '', 'no banner, no phase list')
      assert.match(r.stderr, message)
      assert.ok(!existsSync(path.join(r.temp, 'ktx-smoke-report')), 'no report files')
    }
    const version = ktxSmoke('--version')
    assert.equal(version.code, 0)
    assert.equal(version.stdout.trim(), JSON.parse(readFileSync(path.join(CACHE, '..', 'package.json'), 'utf8')).version)
    assert.equal(ktxSmoke('--help').code, 0)
  })

  it('a report path that cannot be written is exit 2 before any phase runs', () => {
    const r = ktxSmoke(packFixture(), '--report', '/nonexistent/dir/r.json')
    assert.equal(r.code, 2)
    assert.match(r.stderr, /ktx-smoke: option --report \/nonexistent\/dir\/r\.json: the directory \/nonexistent\/dir does not exist or is not writable\./)
    assert.doesNotMatch(r.stdout, /package|install/)
  })

  it('a plain log gets a heartbeat while a phase runs; Ctrl-C (SIGINT) is exit 130 naming the phase', async () => {
    const tarball = packFixture({ faults: ['hang-install'] })
    const temp = scratch('local-')
    const env: NodeJS.ProcessEnv = {
      ...baseEnv(),
      PATH: stepPath(24, true),
      TMPDIR: temp,
      NO_COLOR: '1',
      FORCE_COLOR: undefined,
      KTX_SMOKE_HEARTBEAT_SECONDS: '1'
    }
    const child = spawn(nodeBinary(24), [cli, tarball, '--installs', 'project'], { cwd: temp, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    const heartbeats = new Promise<void>(resolve => {
      child.stdout.setEncoding('utf8').on('data', (text: string) => {
        stdout += text
        if ((stdout.match(/lazy-install: still running, /g) ?? []).length >= 2) resolve()
      })
    })
    await heartbeats
    child.kill('SIGINT')
    const code = await new Promise<number | null>(resolve => child.on('close', resolve))
    assert.equal(code, 130)
    assert.match(stdout, /\n {2}… lazy-install: still running, 1\.\d s\n[\s\S]* {2}… lazy-install: still running, 2\.\d s\n/)
    assert.match(stdout, /\nktx-smoke: SIGINT: cancelling lazy-install, stopping what the run started\n/)
    assert.match(stdout, /ktx smoke cancelled in lazy-install/)
    assert.deepEqual(processesUnder(temp), [])
  })
})
