// A release under test that tries to abuse or escape the gate, through the bundled main and post
// entries: the runner's secrets, processes left behind in sessions of their own, a host without
// ps, a daemon on every address, writes under HOME.
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { pathWithout, stepPath, scratch, withHome, type ActionRun } from '../../scripts/lib/runner.js'
import { isProcessGone } from '../../src/host/command.js'
import { assertCleanedUp, assertFailed, assertOwnFileCommands, assertPassed, housekeeping, killMainWhen, runnerHome, smoke } from './helpers.js'

housekeeping()

/** The runner's secrets and the step's inputs, as a release workflow with `id-token: write` has them. */
const SECRETS = {
  ACTIONS_RUNTIME_TOKEN: 'sekrit-runtime',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'sekrit-oidc',
  ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.invalid/sekrit-oidc-url',
  ACTIONS_CACHE_URL: 'https://cache.invalid/sekrit',
  ACTIONS_RESULTS_URL: 'https://results.invalid/sekrit',
  GITHUB_TOKEN: 'sekrit-github',
  DEPLOY_SECRET: 'sekrit-deploy',
  SIGNING_KEY: 'sekrit-key'
}

interface Dump {
  label: string
  env: Record<string, string>
  /** Its ancestors, parent first, with their environments as /proc shows them (Linux). */
  ancestors: { pid: number; command: string; environ: string[] }[]
}

/** The ancestors of a dump up to and including the main step: every process between the runner and the release. */
function upToMain(dump: Dump, mainPid: number): Dump['ancestors'] {
  const at = dump.ancestors.findIndex(a => a.pid === mainPid)
  assert.ok(process.platform !== 'linux' || at >= 0, `${dump.label}: the main step is among its ancestors`)
  return dump.ancestors.slice(0, at + 1)
}

describe('the sealed environment of the code under test', () => {
  for (const manager of ['npm', 'pnpm']) {
    it(`no secret and no input reaches the install scripts, ktx or the daemon; env-passthrough does, and is logged (${manager})`, async () => {
      const dumps = scratch('env-dumps-')
      const scripts = { preinstall: 'node lib/lifecycle.js preinstall', postinstall: 'node lib/lifecycle.js postinstall' }
      let mainPid = 0
      const run = await smoke(
        { manifest: { scripts } },
        // cache: false, as the fake ACTIONS_CACHE_URL leads nowhere.
        { 'package-manager': manager, cache: 'false', 'env-passthrough': 'KTX_FIXTURE_DUMP_DIR, EXTRA_FLAG_*\nNODE_AUTH_TOKEN' },
        { env: { ...SECRETS, KTX_FIXTURE_DUMP_DIR: dumps, EXTRA_FLAG_A: 'on', NODE_AUTH_TOKEN: 'passed-on-purpose' }, onMainStarted: pid => (mainPid = pid) }
      )
      assertPassed(run, 'admin')
      const all = readdirSync(dumps).map(f => JSON.parse(readFileSync(path.join(dumps, f), 'utf8')) as Dump)
      assert.deepEqual([...new Set(all.map(d => d.label))].sort(), ['daemon', 'ktx', 'postinstall', 'preinstall'])
      for (const dump of all) {
        const names = Object.keys(dump.env)
        assert.deepEqual(
          names.filter(n => /^(ACTIONS_|INPUT_|STATE_|GITHUB_)|SECRET|_KEY$/.test(n)),
          [],
          `${dump.label} saw the runner's secrets or the step's inputs`
        )
        assert.deepEqual(
          Object.entries(dump.env).filter(([, v]) => v.includes('sekrit')),
          [],
          `${dump.label} saw a secret's value`
        )
        assert.equal(dump.env.NODE_AUTH_TOKEN, 'passed-on-purpose', `${dump.label}: env-passthrough`)
        assert.equal(dump.env.EXTRA_FLAG_A, 'on', `${dump.label}: a PREFIX_* pattern`)
        assert.match(dump.env.KTX_SMOKE_RUN, /^[0-9a-f-]{36}$/, `${dump.label} carries the run's marker`)
        if (process.env.NODE_EXTRA_CA_CERTS) assert.equal(dump.env.NODE_EXTRA_CA_CERTS, process.env.NODE_EXTRA_CA_CERTS, 'CA settings stay')
        if (dump.label === 'ktx' || dump.label === 'daemon') {
          assert.match(dump.env.HOME, /\/ktx-smoke-\w+\/home$/, `${dump.label} runs with the sandbox HOME`)
          assert.ok(dump.env.HOME.startsWith(run.runnerTemp))
          assert.equal(dump.env.XDG_CACHE_HOME, `${dump.env.HOME}/.cache`)
          assert.equal(dump.env.KTX_TELEMETRY_DISABLED, '1')
          assert.equal(dump.env.DO_NOT_TRACK, '1')
        } else {
          // The install has a HOME of its own in the sandbox; the user's npm config is carried in.
          assert.match(dump.env.HOME, /\/ktx-smoke-\w+\/install-home$/, `${dump.label} runs with the install's sandbox HOME`)
          assert.ok(dump.env.HOME.startsWith(run.runnerTemp))
        }
        // Nor can it read a secret in the environment of any process between the runner and itself, main included.
        for (const ancestor of upToMain(dump, mainPid)) {
          assert.deepEqual(
            ancestor.environ.filter(e => /^(ACTIONS_|INPUT_|STATE_|GITHUB_TOKEN=)/.test(e) || e.includes('sekrit')),
            [],
            `${dump.label} read secrets or inputs in the environment of its ancestor ${ancestor.pid} (${ancestor.command})`
          )
        }
      }
      // The main step re-executed itself without them: same pid, and its environment read by the release holds only the sealed set.
      const main = all.find(d => d.label === 'ktx')!.ancestors.find(a => a.pid === mainPid)
      if (process.platform === 'linux') {
        assert.ok(main, "the main step is the ktx command's parent")
        assert.match(main.command, /dist\/main\/index\.js --continue-from \S+ktx-smoke-handoff-/)
        assert.ok(main.environ.some(e => e.startsWith('PATH=')))
        assert.deepEqual(
          main.environ.filter(e => /^(GITHUB_|INPUT_|ACTIONS_|STATE_)/.test(e)),
          [],
          "not even the file commands' paths"
        )
      }
      assert.equal(readdirSync(run.runnerTemp).filter(f => f.startsWith('ktx-smoke-handoff-')).length, 0, 'the handoff file is gone')
      assert.match(
        run.main.stdout,
        /env-passthrough \(KTX_FIXTURE_DUMP_DIR, EXTRA_FLAG_\*, NODE_AUTH_TOKEN\) passes: EXTRA_FLAG_A, KTX_FIXTURE_DUMP_DIR, NODE_AUTH_TOKEN/
      )
      assert.match(run.main.stdout, /::warning::env-passthrough gives the release under test these secret-looking variables, as asked: NODE_AUTH_TOKEN/)
      rmSync(dumps, { recursive: true, force: true })
    })
  }
})

describe("nothing the release does reaches past its sandbox (a runner's layout)", () => {
  const REACH = ['hostile-file-commands', 'hostile-checkout', 'hostile-actions', 'hostile-bashrc', 'escape-setsid']
  const scripts = { postinstall: 'node lib/lifecycle.js postinstall' }
  const cases: [string, string, string[]][] = [
    ['ktx commands', 'npm', REACH],
    ['ktx commands', 'pnpm', REACH],
    ['its install script', 'npm', ['at-install', ...REACH]],
    ['its install script', 'pnpm', ['at-install', ...REACH]]
  ]
  for (const [from, manager, faults] of cases) {
    it(`from ${from} (${manager}): the file commands restored, the checkout, other actions, ~/.bashrc and a setsid helper named; the run failed`, async () => {
      const home = runnerHome()
      const run = await smoke({ faults, manifest: { scripts } }, { 'package-manager': manager }, { env: withHome(home) })
      const phase = from === 'ktx commands' ? 'version' : 'install'
      const { workspace, work } = run.layout
      const breach = new RegExp(
        [
          `Phase ${phase} failed: the release wrote to GITHUB_ENV: NODE_OPTIONS=--require=/tmp/ktx-smoke-evil\\.js; `,
          "the release wrote to GITHUB_PATH: /tmp/ktx-smoke-evil-bin \\(restored to what the action wrote: nothing of it reaches the job's next steps\\); ",
          `the release changed files outside its sandbox, in the checkout \\(${workspace}\\): README\\.md \\(modified\\); `,
          `in the job's actions \\(${work}/_actions\\): actions/upload-artifact/v4/dist/index\\.js \\(modified\\); `,
          `in the runner user's dotfiles \\(${home}\\): ~/\\.bashrc \\(modified\\)`
        ].join('')
      )
      assertFailed(run, phase, breach)
      assert.ok(work.length > 0)
      // The helper that dropped the marker, left the sandbox and called setsid was found anyway, and killed.
      assert.match(
        run.main.stdout,
        new RegExp(`Phase ${phase} failed: it left 1 process\\(es\\) running after it exited: pid \\d+ \\(sleep 600\\)\\. They were killed\\.`)
      )
      assert.match(run.summary, new RegExp(`^## ktx smoke: ❌ failed in \`${phase}\``))
      assertOwnFileCommands(run)
    })
  }
})

describe('what the release writes outside its sandbox is named file by file', () => {
  for (const [layout, what] of [
    ['checkout', 'the checkout'],
    ['plain', 'the workspace']
  ] as const) {
    it(`a workflow written into ${what} without a .github folder: the file itself, relative to it, in the headline`, async () => {
      const run = await smoke({ faults: ['hostile-workflow'] }, {}, { workspace: layout })
      const { workspace } = run.layout
      assertFailed(
        run,
        'version',
        new RegExp(
          `::error::Phase version failed: the release changed files outside its sandbox, in ${what} \\(${workspace}\\): \\.github/workflows/ktx-pwned\\.yml \\(added\\)\n`
        )
      )
      assert.ok(existsSync(path.join(workspace, '.github', 'workflows', 'ktx-pwned.yml')), 'named, not undone: the gate stops here')
    })
  }
})

describe('processes that try to outlive the run', () => {
  it('a daemon helper in a session of its own, left after stop, fails daemon-stop naming it, and is killed', async () => {
    const run = await smoke({ faults: ['daemon-setsid-helper'] })
    // While the daemon runs its helper is spared as its child. Once stop has ended the daemon it is
    // not: caught right after `stop`, or (when the daemon takes its time to die) by daemon-stop's
    // own wait for nothing of the run to remain.
    assertFailed(
      run,
      'daemon-stop',
      /Phase daemon-stop failed: (it left 1 process\(es\) running after it exited: pid \d+ \(ktx-daemon-helper\)\. They were killed\.|stop reported success, but 10 s later process\(es\) of the run still running: pid \d+ \(ktx-daemon-helper\))/
    )
  })

  it('a detached process of the lazy install, its command line naming no sandbox path, fails lazy-install and is killed', async () => {
    const run = await smoke({ faults: ['install-detached-child'] })
    assertFailed(
      run,
      'lazy-install',
      /Phase lazy-install failed: it left 1 process\(es\) running after it exited: pid \d+ \(ktx-install-indexer\)\. They were killed\. Only the project's daemon may outlive the command that started it\./
    )
  })

  it('on a host without ps, the post step still finds and stops the daemon of a main that was killed', async () => {
    const path_ = pathWithout(['ps'], stepPath(24, true))
    const kill = killMainWhen('SIGKILL', /::group::daemon-reuse/)
    const run = await smoke({}, {}, { ...kill.options, env: { PATH: path_ } })
    assert.ok(kill.sent(), 'daemon-reuse was never reached')
    const daemonPid = Number(run.state['daemon-pid'])
    assert.ok(daemonPid > 0, 'main recorded the daemon')
    assert.match(run.post!.stdout, new RegExp(`stopped daemon pid ${daemonPid}`))
    assert.ok(isProcessGone(daemonPid))
    assertCleanedUp(run)
  })
})

describe('two smoke runs of one user on one host, side by side', () => {
  /** A run whose release leaves a setsid helper (its pid in a dump dir of its own), or a correct release. */
  async function sideBySide(hostile: boolean): Promise<{ run: ActionRun; escapees: number[] }> {
    const dumps = scratch('escapees-')
    const run = await smoke(
      hostile ? { faults: ['escape-setsid'] } : {},
      { 'env-passthrough': 'KTX_FIXTURE_DUMP_DIR' },
      { env: { KTX_FIXTURE_DUMP_DIR: dumps } }
    )
    const escapees = existsSync(dumps)
      ? readdirSync(dumps)
          .filter(f => f.startsWith('escapee-'))
          .map(f => Number(f.slice('escapee-'.length)))
      : []
    return { run, escapees }
  }

  /** The run failed at version for exactly its own helper, named by its pid, and stopped it. */
  function assertOwnEscapee({ run, escapees }: { run: ActionRun; escapees: number[] }): void {
    assert.equal(escapees.length, 1, 'its release left one helper')
    assertFailed(
      run,
      'version',
      new RegExp(`Phase version failed: it left 1 process\\(es\\) running after it exited: pid ${escapees[0]} \\(sleep 600\\)\\. They were killed\\.`)
    )
    assert.ok(isProcessGone(escapees[0]))
    assert.match(run.state.tag ?? '', /^\d+:\d+$/, 'the run tagged its processes')
  }

  it('each run reports and stops only the helper its own release left', async () => {
    const [a, b] = await Promise.all([sideBySide(true), sideBySide(true)])
    assert.notEqual(a.escapees[0], b.escapees[0])
    assertOwnEscapee(a)
    assertOwnEscapee(b)
    for (const { run } of [a, b]) assert.doesNotMatch(run.post?.stdout ?? '', /killed \d+ leftover process/)
  })

  it("a correct release beside one that leaves a helper passes: the other run's helper is not taken for its own", async () => {
    const [hostile, correct] = await Promise.all([sideBySide(true), sideBySide(false)])
    assertOwnEscapee(hostile)
    assertPassed(correct.run, 'admin')
  })
})

describe('the daemon and HOME', () => {
  it('a daemon listening on 0.0.0.0 fails daemon-start, naming the address that answers', async () => {
    const run = await smoke({ faults: ['listen-all'] })
    assertFailed(
      run,
      'daemon-start',
      /Phase daemon-start failed: the daemon accepts connections from outside the machine, on \S+:\d+ \(it listens on 0\.0\.0\.0\)[^\n]*; it must listen on 127\.0\.0\.1 only \(its url: http:\/\/127\.0\.0\.1:\d+\)/
    )
  })

  it('files written under HOME are warnings in the log and the summary', async () => {
    const run = await smoke({ faults: ['home-writes'] })
    assertPassed(run, 'admin')
    assert.match(
      run.main.stdout,
      /::warning::ktx wrote under HOME \(the sandbox's \$SANDBOX\/home\): ~\/\.cache\/ktx\/models\.json, ~\/\.ktx\/logs\/ktx\.log\./
    )
    assert.match(run.summary, /Written under the sandbox HOME[\s\S]*- `version`: `~\/\.cache\/ktx\/models\.json`, `~\/\.ktx\/logs\/ktx\.log`/)
  })

  it('home-writes: fail makes them a failure of the phase that wrote them', async () => {
    const run = await smoke({ faults: ['home-writes'] }, { 'home-writes': 'fail' })
    assertFailed(
      run,
      'version',
      /Phase version failed: ktx wrote under HOME \(the sandbox's \$SANDBOX\/home\): ~\/\.cache\/ktx\/models\.json, ~\/\.ktx\/logs\/ktx\.log; home-writes is fail/
    )
  })
})
