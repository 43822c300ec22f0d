// Faults around the action, through the bundled main and post entries: cancellation and crashes,
// post steps with nothing or something foreign to clean, huge CLI output, awkward paths, and
// GITHUB_* files that cannot be written.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { packFixture } from '../../scripts/lib/fixture.js'
import { CACHE, REPO } from '../../scripts/lib/paths.js'
import { runAction, type RunOptions, scratch } from '../../scripts/lib/runner.js'
import { isProcessGone } from '../../src/host/command.js'
import { MARKER_FILE } from '../../src/host/sandbox.js'
import { PHASE_NAMES } from '../../src/engine/context.js'
import { assertCleanedUp, assertFailed, assertPassed, housekeeping, killMainWhen, sandboxesIn, explain, smoke } from './helpers.js'

housekeeping()

/** A long-running process whose command line names `dir`, standing for something of the user's. */
function bystander(dir: string): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', dir], { stdio: 'ignore' })
  after(() => {
    child.kill('SIGKILL')
  })
  return child
}

describe('cancellation and crashes', () => {
  for (const [phase, fault, marker] of [
    ['lazy-install', 'hang-install', /Installing ktx Python runtime/],
    ['daemon-start', 'stop-leaves-daemon', /::group::daemon-start/],
    ['daemon-reuse', 'stop-leaves-daemon', /::group::daemon-reuse/]
  ] as const) {
    it(`SIGTERM to main during ${phase}: main stops the command and the daemon itself, reports cancelled, exits within seconds`, async () => {
      const kill = killMainWhen('SIGTERM', marker)
      const run = await smoke({ faults: [fault] }, {}, kill.options)
      assert.ok(kill.sent(), 'the phase was never reached')
      assert.equal(run.main.code, 1, explain(run))
      // The runner follows SIGINT with SIGTERM after 7.5 s and then kills: main must be done before.
      const took = run.main.exitedAt - kill.sentAt()
      assert.ok(took < 7500, `main took ${took} ms to exit after SIGTERM`)
      assert.equal(run.outputs.result, 'cancelled', explain(run))
      assert.equal(run.outputs['failed-phase'], phase, explain(run))
      assert.match(run.main.stdout, new RegExp(`::error::Cancelled \\(SIGTERM\\) during phase ${phase}`))
      assert.deepEqual(run.leftoversAfterMain, [], 'main left a process of the run running')
      assert.match(run.summary, new RegExp(`## ktx smoke: ⊘ cancelled during \`${phase}\``))
      const report = JSON.parse(readFileSync(run.outputs.report, 'utf8'))
      assert.equal(report.result, 'cancelled')
      assert.equal(report.phases.find((p: { name: string }) => p.name === phase).status, 'cancelled')
      assert.match(
        readFileSync(run.outputs['junit-report'], 'utf8'),
        new RegExp(`name="${phase}" time="[\\d.]+">\\s*<error message="Phase ${phase} was cancelled: cancelled by SIGTERM" type="cancelled"`)
      )
      assertCleanedUp(run)
    })
  }

  it('SIGTERM with keep-sandbox: nothing keeps running, the sandbox stays', async () => {
    const kill = killMainWhen('SIGTERM', /::group::daemon-reuse/)
    const run = await smoke({ faults: ['stop-leaves-daemon'] }, { 'keep-sandbox': 'true' }, kill.options)
    assert.ok(kill.sent())
    assert.equal(run.post?.code, 0)
    assert.deepEqual(run.leftovers, [])
    const [kept] = sandboxesIn(run.runnerTemp)
    assert.ok(kept, 'the sandbox should be kept')
    assert.match(run.main.stdout, /cleanup: killed daemon pid \d+ \(it ignored SIGTERM\)/)
    rmSync(path.join(run.runnerTemp, kept), { recursive: true, force: true })
  })

  it('a long phase says it is still running inside its own log group, every heartbeat', async () => {
    const kill = killMainWhen('SIGTERM', /lazy-install: still running, 2\.\d s\n/)
    const run = await smoke({ faults: ['hang-install'] }, {}, { ...kill.options, env: { KTX_SMOKE_HEARTBEAT_SECONDS: '1' } })
    assert.ok(kill.sent(), 'no second heartbeat came')
    assert.equal(run.outputs.result, 'cancelled', explain(run))
    const group = run.main.stdout.slice(run.main.stdout.indexOf('::group::lazy-install: '))
    const inGroup = group.slice(0, group.indexOf('::endgroup::'))
    assert.match(inGroup, /\nlazy-install: still running, 1\.\d s\n(?:[\s\S]*\n)?lazy-install: still running, 2\.\d s\n/)
    // Any phase that took over a second said so too, each inside its own group.
    let open = ''
    for (const line of run.main.stdout.split('\n')) {
      open = line.match(/^::group::([\w-]+): /)?.[1] ?? (line === '::endgroup::' ? '' : open)
      const named = line.match(/^([\w-]+): still running, /)?.[1]
      if (named) assert.equal(named, open, line)
    }
    assertCleanedUp(run)
  })

  it('main killed outright (SIGKILL) while uv hangs: the post step kills the orphaned tree and removes the sandbox', async () => {
    // Killed once uv runs: the fixture says so after uv's exec.
    const kill = killMainWhen('SIGKILL', /waiting for uv/)
    const run = await smoke({ faults: ['hang-install'] }, {}, kill.options)
    assert.ok(kill.sent())
    assert.equal(run.main.code, null, explain(run))
    assert.ok(
      run.leftoversAfterMain.some(p => p.includes('uv python install')),
      `the orphaned uv should still run: ${run.leftoversAfterMain.join('\n')}`
    )
    assert.match(run.post!.stdout, /killed \d+ leftover process\(es\) of the run: [^\n]*uv python install 3\.13/)
    assertCleanedUp(run)
  })

  it('main killed outright during daemon-reuse: the post step kills a daemon that ignores SIGTERM', async () => {
    const kill = killMainWhen('SIGKILL', /::group::daemon-reuse/)
    const run = await smoke({ faults: ['stop-leaves-daemon'] }, {}, kill.options)
    assert.ok(kill.sent())
    assert.match(run.post!.stdout, /killed daemon pid \d+ \(it ignored SIGTERM\)/)
    assertCleanedUp(run)
  })
})

describe('the post step on its own', () => {
  it('main never ran: nothing to clean up, exit 0', async () => {
    const run = await runAction({ inputs: {}, postOnly: () => ({}) })
    assert.equal(run.post?.code, 0)
    assert.match(run.post!.stdout, /Nothing to clean up: the main step created no sandbox\./)
    assert.doesNotMatch(run.post!.stdout, /::(warning|error)::/)
  })

  it("a saved path outside the temp dir: the user's directory and processes are left alone", async () => {
    const users = scratch('users-project-')
    writeFileSync(path.join(users, 'precious.txt'), 'keep me\n')
    writeFileSync(path.join(users, MARKER_FILE), JSON.stringify({ tag: 'ktx-smoke-action sandbox', runId: 'r1' }))
    const theirs = bystander(users)
    const run = await runAction({ inputs: {}, postOnly: () => ({ 'run-id': 'r1', sandbox: users, 'keep-sandbox': 'false' }) })
    assert.equal(run.post?.code, 0)
    assert.match(
      run.post!.stdout,
      /::warning::Nothing was stopped or removed: the saved sandbox path is not this run's sandbox \(\S+users-project-\w+ is not inside \S+\)/
    )
    assert.ok(existsSync(path.join(users, 'precious.txt')))
    assert.equal(isProcessGone(theirs.pid!), false, "the user's process was killed")
    theirs.kill('SIGKILL')
    rmSync(users, { recursive: true, force: true })
  })

  for (const [what, marker, reason] of [
    ['without the marker', undefined, /has no \.ktx-smoke-sandbox marker/],
    ["with another run's marker", { tag: 'ktx-smoke-action sandbox', runId: 'someone-else' }, /carries another run's marker/]
  ] as const) {
    it(`a directory in RUNNER_TEMP ${what} is not removed`, async () => {
      let dir = ''
      const run = await runAction({
        inputs: {},
        postOnly: temp => {
          dir = path.join(temp, 'ktx-smoke-other')
          mkdirSync(dir)
          if (marker) writeFileSync(path.join(dir, MARKER_FILE), JSON.stringify(marker))
          return { 'run-id': 'r1', sandbox: dir }
        }
      })
      assert.equal(run.post?.code, 0)
      assert.match(run.post!.stdout, reason)
      assert.ok(existsSync(dir))
    })
  }

  it("a saved daemon pid that now belongs to another process is left alone; the run's sandbox goes", async () => {
    let sandbox = ''
    let other: ChildProcess | undefined
    const run = await runAction({
      inputs: {},
      postOnly: temp => {
        sandbox = path.join(temp, 'ktx-smoke-mine')
        mkdirSync(sandbox)
        writeFileSync(path.join(sandbox, MARKER_FILE), JSON.stringify({ tag: 'ktx-smoke-action sandbox', runId: 'r1' }))
        other = bystander(path.join(CACHE, 'elsewhere'))
        return { 'run-id': 'r1', sandbox, 'daemon-pid': String(other.pid) }
      }
    })
    assert.equal(run.post?.code, 0)
    assert.match(run.post!.stdout, new RegExp(`pid ${other!.pid} no longer runs the sandbox's daemon .*; left alone`))
    assert.equal(isProcessGone(other!.pid!), false)
    assert.ok(!existsSync(sandbox))
    other!.kill('SIGKILL')
  })

  it('garbage state: exit 0 with at most a warning', async () => {
    const run = await runAction({ inputs: {}, postOnly: () => ({ 'run-id': 'r1', sandbox: '/', 'daemon-pid': 'not-a-pid' }) })
    assert.equal(run.post?.code, 0)
    assert.match(run.post!.stdout, /::warning::Nothing was stopped or removed/)
    assert.ok(existsSync('/'))
  })
})

describe('the sandbox and the runner', () => {
  it('keep-sandbox keeps the sandbox and says where', async () => {
    const run = await smoke({}, { 'keep-sandbox': 'true', daemon: 'false' })
    assert.equal(run.outputs.result, 'passed', explain(run))
    const [kept] = sandboxesIn(run.runnerTemp)
    assert.ok(kept, 'the sandbox should be kept')
    const root = path.join(run.runnerTemp, kept)
    assert.match(run.post!.stdout, new RegExp(`keep-sandbox is true: the sandbox stays at ${root}`))
    assert.ok(existsSync(path.join(root, 'project', 'warehouse.db')))
    assert.deepEqual(run.leftovers, [])
    rmSync(root, { recursive: true, force: true })
  })

  for (const manager of ['npm', 'pnpm']) {
    it(`spaces and non-ASCII letters in the tarball path and RUNNER_TEMP (${manager})`, async () => {
      const parent = path.join(scratch('spaces-'), 'runs with spaces ü')
      const dir = path.join(parent, 'my artifacts é')
      mkdirSync(dir, { recursive: true })
      const tarball = path.join(dir, 'kaelio ktx ø.tgz')
      copyFileSync(packFixture(), tarball)
      const run = await runAction({ inputs: { tarball, 'package-manager': manager }, tempParent: parent })
      assertPassed(run, 'admin')
      assert.match(run.main.stdout, /tarball: \S+runs with spaces ü\/my artifacts é\/kaelio ktx ø\.tgz/)
    })
  }

  it('huge CLI output: a readable log, a summary under 1 MiB, trimmed outputs and report, no crash', async () => {
    const run = await smoke({ faults: ['huge-output', 'check-fail'] })
    assertFailed(run, 'runtime-checks', /::error::Phase runtime-checks failed: runtime check\(s\) failed: FAIL uv: uv 0\.11\.21 is not executable/)
    assert.ok(run.main.stdout.length < 2 * 1024 * 1024, `the log holds ${run.main.stdout.length} characters`)
    assert.match(run.main.stdout, /\[… further output of this command is not shown in the log …\]/)
    assert.ok(Buffer.byteLength(run.summary) < 1024 * 1024, `the summary holds ${Buffer.byteLength(run.summary)} bytes`)
    const status = JSON.parse(run.outputs['runtime-status'])
    assert.ok(run.outputs['runtime-status'].length <= 64 * 1024)
    assert.equal(status.kind, 'ready')
    assert.match(status.installLog, /…\[trimmed \d+ characters\]$/)
    const reportText = readFileSync(run.outputs.report, 'utf8')
    assert.ok(reportText.length < 2 * 1024 * 1024, `the report holds ${reportText.length} characters`)
    const checks = JSON.parse(reportText).phases.find((p: { name: string }) => p.name === 'runtime-checks')
    assert.match(checks.commands[0].stdout, /^\[… \d+ characters trimmed …\]\n[\s\S]*FAIL uv/)
  })
})

describe('GITHUB_* files that cannot be written', () => {
  function brokenFiles(): RunOptions['files'] {
    const dir = scratch('unwritable-')
    mkdirSync(path.join(dir, 'summary-is-a-directory'))
    return { GITHUB_STEP_SUMMARY: path.join(dir, 'summary-is-a-directory'), GITHUB_OUTPUT: path.join(dir, 'missing', 'output') }
  }

  it('a passing smoke still passes, with warnings', async () => {
    const run = await smoke({}, { daemon: 'false' }, { files: brokenFiles() })
    assert.equal(run.main.code, 0, explain(run))
    assert.match(run.main.stdout, new RegExp(`ktx smoke passed: ${PHASE_NAMES.length - 3} phases`))
    assert.match(run.main.stdout, /::warning::Could not write the step outputs: /)
    assert.match(run.main.stdout, /::warning::Could not write the job summary: /)
    assertCleanedUp(run)
  })

  it('a failing smoke still fails at its phase', async () => {
    const run = await smoke({ faults: ['check-fail'] }, {}, { files: brokenFiles() })
    assert.equal(run.main.code, 1, explain(run))
    assert.match(run.main.stdout, /::error::Phase runtime-checks failed: runtime check\(s\) failed: FAIL uv/)
    assert.match(run.main.stdout, /::warning::Could not write the job summary: /)
    assertCleanedUp(run)
  })

  it('an unwritable GITHUB_STATE: main stops and removes everything itself', async () => {
    const dir = scratch('unwritable-')
    const run = await smoke({}, {}, { files: { GITHUB_STATE: path.join(dir, 'missing', 'state') } })
    assert.equal(run.outputs.result, 'passed', explain(run))
    assert.match(run.main.stdout, /::warning::Could not save state for the post step .*; the main step cleans up itself\./)
    assert.match(run.main.stdout, /removed the sandbox /)
    assert.match(run.post!.stdout, /Nothing to clean up/)
    assertCleanedUp(run)
  })
})

describe('the bundle', () => {
  it('dist/ holds what the two action.yml files run, main, post and summarize, and no native binary', () => {
    assert.deepEqual(readdirSync(path.join(REPO, 'dist')).sort(), ['main', 'post', 'summarize'])
    const files = readdirSync(path.join(REPO, 'dist'), { recursive: true, encoding: 'utf8' })
    assert.deepEqual(
      files.filter(f => f.endsWith('.node')),
      []
    )
  })
})
