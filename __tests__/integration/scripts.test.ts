// The repo's own scripts that the workflows and .ci/run rely on: the action/workflow validator, the
// example packer, and the no-daemon-left check the runner matrix uses.
import assert from 'node:assert/strict'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { describe, it } from 'node:test'
import { packFixture } from '../../scripts/lib/fixture.js'
import { buildCli } from '../../scripts/lib/node.js'
import { startRegistry } from '../../scripts/lib/registry.js'
import { CACHE, REPO } from '../../scripts/lib/paths.js'
import { baseEnv, processesUnder, stepPath, scratch } from '../../scripts/lib/runner.js'
import { PHASE_NAMES } from '../../src/engine/context.js'
import { housekeeping, explain, smoke } from './helpers.js'

/** A command's exit code and output, without blocking this process's event loop. */
function execAsync(
  file: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv }
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    const child = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', chunk => (stdout += chunk))
    child.stderr.on('data', chunk => (stderr += chunk))
    child.on('close', code => resolve({ code, stdout, stderr }))
  })
}

housekeeping()

function script(name: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'scripts', name), ...args], { cwd: REPO, encoding: 'utf8' })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('npm run local-action', () => {
  it('runs the source under @github/local-action: every phase passes, then the post step cleans up', () => {
    const r = script('local-action.ts', packFixture({}), '--package-manager', 'npm')
    assert.equal(r.code, 0, `${r.stdout.slice(-4000)}\n${r.stderr.slice(-2000)}`)
    // local-action's own banners around the main and post steps' run().
    assert.match(r.stdout, /Running Action[\s\S]*Running Post Step[\s\S]*Action Outputs/)
    for (const name of PHASE_NAMES) assert.match(r.stdout, new RegExp(`✓ ${name} passed`))
    assert.match(r.stdout, /::set-output name=result::passed/)
    assert.match(r.stdout, /Running Post Step[\s\S]*removed the sandbox /)
    assert.match(r.stdout, /\nresult: passed\n$/)
    const job = path.dirname(r.stdout.match(/dotenv file: (\S+)\)/)![1])
    assert.deepEqual(processesUnder(job), [])
    // The job summary went to the dotenv file's GITHUB_STEP_SUMMARY.
    assert.match(readFileSync(path.join(job, 'summary.md'), 'utf8'), /## ktx smoke: ✅ passed/)
  })
})

describe('validate-actions', () => {
  it("accepts the repo's action.yml and workflows", () => {
    const r = script('validate-actions.ts')
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /valid: action\.yml, summarize\/action\.yml and \d+ workflow\(s\): .*\.github\/workflows\/test\.yml.*examples\/matrix\.yml/)
  })

  it('rejects a misspelt key, an unknown runtime, an undeclared input or output, and a broken needs', () => {
    const dir = scratch('scripts-')
    const action = readFileSync(path.join(REPO, 'action.yml'), 'utf8').replace('post-if:', 'post_if:').replace('using: node24', 'using: node26')
    const workflow = readFileSync(path.join(REPO, '.github', 'workflows', 'test.yml'), 'utf8')
      .replace('expected-version: 0.12.0', 'expected_version: 0.12.0')
      .replace('steps.smoke.outputs.ktx-version', 'steps.smoke.outputs.ktx-versoin')
      .replace('needs: [ci, smoke, broken, summarize]', 'needs: [ci, smoke, brokn, summarize]')
    writeFileSync(path.join(dir, 'action.yml'), action)
    writeFileSync(path.join(dir, 'test.yml'), workflow)
    const r = script('validate-actions.ts', path.join(dir, 'action.yml'), path.join(dir, 'test.yml'))
    assert.equal(r.code, 1)
    assert.match(r.stderr, /Type '"node26"' is not assignable/)
    assert.match(r.stderr, /runs\.using is node26; GitHub runs JavaScript actions on node24/)
    assert.match(r.stderr, /input "expected_version" is not declared in \S*action\.yml \(valid: tarball, package,/)
    assert.match(r.stderr, /output "ktx-versoin" of step smoke is not declared in \S*action\.yml/)
    assert.match(r.stderr, /job "all-passed" needs job "brokn" which does not exist/)

    writeFileSync(path.join(dir, 'action.yml'), action.replace('using: node26', 'using: node24'))
    const misspelt = script('validate-actions.ts', path.join(dir, 'action.yml'), path.join(REPO, '.github', 'workflows', 'test.yml'))
    assert.match(misspelt.stderr, /'"post_if"' does not exist in type 'RunsJavascript'/)

    // The summarize action's steps are held to summarize/action.yml: its required reports, its outputs.
    const matrix = readFileSync(path.join(REPO, 'examples', 'release-gate.yml'), 'utf8')
      .replace('reports: reports', 'report: reports')
      .replace('steps.matrix.outputs.tarball-integrity', 'steps.matrix.outputs.integrity')
    writeFileSync(path.join(dir, 'release.yml'), matrix)
    const summarize = script('validate-actions.ts', path.join(REPO, 'action.yml'), path.join(REPO, 'summarize', 'action.yml'), path.join(dir, 'release.yml'))
    assert.equal(summarize.code, 1)
    assert.match(summarize.stderr, /job summarize: input "report" is not declared in \S*summarize\/action\.yml \(valid: reports, expected-cells\)/)
    assert.match(summarize.stderr, /job summarize: required input "reports" is missing/)
    assert.match(summarize.stderr, /job summarize: output "integrity" of step matrix is not declared in \S*summarize\/action\.yml/)
  })
})

describe('pack-example', () => {
  it('packs the example tarball, prints its path and sets the step output', () => {
    const output = path.join(scratch('scripts-'), 'github-output')
    writeFileSync(output, '')
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/pack-example.ts', '--generation', 'runtime'], {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, GITHUB_OUTPUT: output }
    })
    assert.equal(r.status, 0, r.stderr)
    const tarball = r.stdout.trim()
    assert.ok(existsSync(tarball))
    assert.equal(readFileSync(output, 'utf8'), `tarball=${tarball}\n`)
  })
})

describe('assert-stopped', () => {
  it('passes on the report of a run whose second start launched a new daemon', async () => {
    const run = await smoke({ faults: ['reuse-new-daemon'] }, { 'fail-on-error': 'false' }, { skipPost: true })
    assert.equal(run.outputs['failed-phase'], 'daemon-reuse', explain(run))
    const r = script('assert-stopped.ts', run.outputs.report)
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /daemons seen: \d+, \d+; urls: http:\/\/127\.0\.0\.1:\d+, http:\/\/127\.0\.0\.1:\d+/)
    rmSync(run.runnerTemp, { recursive: true, force: true })
  })

  it('fails when a daemon of the report still runs and listens', async () => {
    const server = http.createServer((_, res) => res.end('{}'))
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const daemon = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', CACHE], { stdio: 'ignore' })
    try {
      const report = path.join(scratch('scripts-'), 'report.json')
      writeFileSync(
        report,
        JSON.stringify({ phases: [{ name: 'daemon-start', commands: [{ stdout: `Started ktx daemon\nurl: ${url}\npid: ${daemon.pid}\n` }] }] })
      )
      const r = script('assert-stopped.ts', report)
      assert.equal(r.code, 1)
      assert.match(r.stderr, new RegExp(`daemon pid ${daemon.pid} is still running\\n${url} still accepts connections`))
    } finally {
      daemon.kill('SIGKILL')
      server.close()
    }
  })
})

describe('release', () => {
  const identity = {
    GIT_AUTHOR_NAME: 'Release Test',
    GIT_AUTHOR_EMAIL: 'release@example.invalid',
    GIT_COMMITTER_NAME: 'Release Test',
    GIT_COMMITTER_EMAIL: 'release@example.invalid'
  }

  function release(repo: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'scripts', 'release.ts'), ...args, '--no-build'], {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, ...identity, RELEASE_REPO: repo }
    })
    return { code: r.status, stdout: r.stdout, stderr: r.stderr }
  }

  it('moves Unreleased under the version, sets package.json and its lock, tags vX.Y.Z and moves vX', () => {
    const repo = path.join(scratch('scripts-'), 'clone')
    execFileSync('git', ['clone', '-q', REPO, repo])
    execFileSync('git', ['checkout', '-q', '-B', 'main'], { cwd: repo })
    const r = release(repo, '1.4.0')
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /git push origin main v1\.4\.0 && git push --force origin v1/)
    const git = (...a: string[]): string => execFileSync('git', a, { cwd: repo, encoding: 'utf8' }).trim()
    assert.equal(git('rev-parse', 'v1.4.0^{commit}'), git('rev-parse', 'HEAD'))
    assert.equal(git('rev-parse', 'v1^{commit}'), git('rev-parse', 'HEAD'))
    assert.equal(git('log', '-1', '--format=%s'), 'Release v1.4.0')
    assert.match(readFileSync(path.join(repo, 'CHANGELOG.md'), 'utf8'), /^## Unreleased\n\n## 1\.4\.0 \(\d{4}-\d\d-\d\d\)\n\n### \w+\n/m)
    assert.equal(JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).version, '1.4.0')
    const lock = JSON.parse(readFileSync(path.join(repo, 'package-lock.json'), 'utf8'))
    assert.deepEqual([lock.version, lock.packages[''].version], ['1.4.0', '1.4.0'])
    assert.equal(git('status', '--porcelain'), '')

    assert.match(release(repo, '1.4.0').stderr, /release: the "## Unreleased" section of CHANGELOG\.md is empty|release: v1\.4\.0 exists already/)
    assert.match(release(repo, '1.5').stderr, /release: give the version to release, like 1\.2\.0 \(got 1\.5\)/)
    writeFileSync(path.join(repo, 'stray.txt'), 'x')
    assert.match(release(repo, '1.5.0').stderr, /release: the work tree is not clean/)
  })
})

describe('ktx-smoke as a package', () => {
  it('its own package: no dependency, npm pack --json is JSON, npx from a registry runs it, a global install adds one package, npm link', async () => {
    const dir = scratch('scripts-')
    const env = { ...baseEnv(), PATH: stepPath(24, true), TMPDIR: dir, NO_COLOR: '1', FORCE_COLOR: undefined }
    const cliDir = path.dirname(buildCli())
    // build/cli is the package: npm pack there runs no build and prints npm's JSON only.
    const report = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: cliDir, encoding: 'utf8', env })) as {
      filename: string
      files: { path: string }[]
    }[]
    const packed = path.join(dir, report[0].filename)
    const manifest = JSON.parse(execFileSync('tar', ['-xOzf', packed, 'package/package.json'], { encoding: 'utf8' }))
    assert.equal(manifest.name, '@kaelio/ktx-smoke')
    assert.equal(manifest.version, JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version)
    assert.deepEqual(manifest.bin, { 'ktx-smoke': 'index.js' })
    assert.equal(manifest.dependencies, undefined, 'the bundle needs no package')
    assert.ok(report[0].files.some(f => f.path === 'README.md'))

    // Published (to the tests' registry), as users get it: npx, and a global install of one package.
    const registry = await startRegistry(packed, { notFoundFirst: 0, dir })
    try {
      const withRegistry = { ...env, NPM_CONFIG_USERCONFIG: registry.npmrc }
      const project = path.join(dir, 'project')
      mkdirSync(project)
      // Asynchronous: the registry answers from this process.
      const npx = (...args: string[]) => execAsync('npx', ['--yes', '@kaelio/ktx-smoke', ...args], { cwd: project, env: withRegistry })
      const version = await npx('--version')
      assert.equal(version.code, 0, version.stderr)
      assert.equal(version.stdout.trim(), manifest.version)
      const run = await npx(packFixture(), '--installs', 'project', '--no-daemon')
      assert.equal(run.code, 0, run.stdout + run.stderr)
      assert.match(run.stdout, /ktx smoke passed in /)
      const global = await execAsync('npm', ['install', '--global', '--no-audit', '--no-fund', '@kaelio/ktx-smoke'], {
        cwd: project,
        env: { ...withRegistry, npm_config_prefix: path.join(dir, 'global-install') }
      })
      assert.equal(global.code, 0, global.stderr)
      const added = global.stdout
      assert.match(added, /added 1 package/)
    } finally {
      await registry.close()
    }

    // npm link: a ktx-smoke command on PATH, from this checkout's build.
    const prefix = path.join(dir, 'global')
    execFileSync('npm', ['link', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: cliDir, env: { ...env, npm_config_prefix: prefix }, stdio: 'ignore' })
    const linked = spawnSync(path.join(prefix, 'bin', 'ktx-smoke'), ['--version'], { env, encoding: 'utf8' })
    assert.equal(linked.status, 0, linked.stderr)

    // On a Node older than 22 it says so to the person at the terminal, and does nothing else.
    const machine = execFileSync('bash', ['-c', 'command -v node'], { encoding: 'utf8', env: baseEnv() }).trim()
    const major = Number(execFileSync(machine, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }))
    if (major < 22) {
      const old = spawnSync(machine, [path.join(REPO, 'build', 'cli', 'index.js'), '--version'], { encoding: 'utf8' })
      assert.equal(old.status, 2)
      assert.match(old.stderr, /^ktx-smoke needs Node 22 or newer; this is Node \d+\.\d+\.\d+\. Switch Node \(e\.g\. nvm use 22\) and run it again\.\n$/)
    }
    rmSync(dir, { recursive: true, force: true })
  })
})
