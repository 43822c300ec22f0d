// The fixture CLI must behave like the real ktx (shared KTX_CONTRACT.md), or the action is proven
// against the wrong thing. These run it directly, installed from its packed tarball.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { writeFileSync, existsSync } from 'node:fs'
import path from 'node:path'
import { before, describe, it } from 'node:test'
import { packFixture } from '../../scripts/lib/fixture.js'
import { nodeBinary } from '../../scripts/lib/node.js'
import { isProcessGone, waitFor } from '../../src/host/command.js'
import { scratch } from '../../scripts/lib/runner.js'
import { housekeeping } from './helpers.js'

housekeeping()

const node24 = nodeBinary(24)

function install(generation: 'admin' | 'runtime'): string {
  const dir = scratch(`fixture-${generation}-`)
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'p', private: true }))
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', packFixture({ generation })], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${path.dirname(node24)}${path.delimiter}${process.env.PATH}` }
  })
  assert.equal(r.status, 0, r.stderr)
  return dir
}

function ktx(dir: string, args: string[], env: Record<string, string> = {}) {
  const root = path.join(dir, 'runtime-root')
  const r = spawnSync(node24, [path.join(dir, 'node_modules', '@kaelio', 'ktx', 'bin', 'ktx.js'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, KTX_RUNTIME_ROOT: root, HOME: dir, DO_NOT_TRACK: '1', KTX_TELEMETRY_DISABLED: '1', CI: '', NO_COLOR: '1', ...env }
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, root }
}

describe('fixture ktx CLI, admin generation (0.12)', () => {
  let dir: string
  before(() => {
    dir = install('admin')
  })

  it('prints its package name and version, nothing on stderr', () => {
    assert.deepEqual(ktx(dir, ['--version']), { code: 0, stdout: '@kaelio/ktx 0.12.0\n', stderr: '', root: path.join(dir, 'runtime-root') })
  })

  it("rejects the other generation's commands, with or without --help", () => {
    const r = ktx(dir, ['runtime', 'status'])
    assert.equal(r.code, 1)
    assert.equal(r.stderr, "error: unknown command 'runtime'\n")
    assert.equal(ktx(dir, ['runtime', '--help']).code, 1)
    assert.equal(ktx(dir, ['admin', 'runtime', '--help']).code, 0)
    assert.match(ktx(dir, ['setup', '--new']).stderr, /error: unknown option '--new'/)
  })

  it('status --json is "missing", exit 1, with the layout of the runtime root in force', () => {
    const r = ktx(dir, ['admin', 'runtime', 'status', '--json'])
    assert.equal(r.code, 1)
    assert.equal(r.stderr, '')
    const s = JSON.parse(r.stdout)
    assert.deepEqual(Object.keys(s), ['kind', 'detail', 'layout', 'checks'])
    assert.equal(s.kind, 'missing')
    assert.equal(s.detail, `No runtime manifest at ${path.join(r.root, '0.12.0', 'manifest.json')}`)
    assert.deepEqual(Object.keys(s.layout), [
      'cliVersion',
      'runtimeRoot',
      'versionDir',
      'venvDir',
      'manifestPath',
      'installLogPath',
      'assetDir',
      'assetManifestPath',
      'pythonPath',
      'daemonPath'
    ])
    assert.equal(s.layout.runtimeRoot, r.root)
    assert.ok(s.layout.assetDir.endsWith(`assets${path.sep}python${path.sep}`))
    assert.deepEqual(
      s.checks.map((c: { label: string }) => c.label),
      ['uv', 'Bundled Python wheel', 'Managed Python runtime']
    )
  })

  it('applies the install policy of sl query', () => {
    const q = ['sl', 'query', '--connection-id', 'warehouse', '--measure', 'orders.order_count']
    const noInput = ktx(dir, [...q, '--no-input'])
    assert.equal(noInput.code, 1)
    assert.equal(noInput.stderr, 'ktx Python runtime is required for this command. Run: ktx admin runtime install --yes\n')
    assert.equal(ktx(dir, q).stderr, 'ktx Python runtime installation was cancelled. Run: ktx admin runtime install --yes\n')
    assert.equal(ktx(dir, [...q, '--yes', '--no-input']).stderr, 'Choose only one runtime install mode: --yes or --no-input\n')
  })

  it('fails an offline install with the observed messages and creates no runtime root', () => {
    const r = ktx(dir, ['admin', 'runtime', 'install', '--yes'], { KTX_FIXTURE_FAULTS: 'install-offline' })
    assert.equal(r.code, 1)
    assert.equal(r.stdout, '')
    const message = `ktx could not download uv 0.11.21 (required to install the ktx Python runtime). Check network access to github.com and retry: ktx admin runtime install --yes. Air-gapped hosts: place the uv binary at ${path.join(r.root, 'uv', '0.11.21', 'uv')}.`
    assert.equal(r.stderr, `◐  Installing ktx Python runtime (core) with uv...\n■  ktx Python runtime install failed: ${message}\n${message}\n`)
    assert.ok(!existsSync(r.root))
  })

  it('prints a telemetry notice on stderr unless telemetry is off', () => {
    const r = ktx(dir, ['--version'], { DO_NOT_TRACK: '', KTX_TELEMETRY_DISABLED: '', CI: '' })
    assert.equal(r.code, 0)
    assert.match(r.stderr, /anonymous usage data/)
    assert.ok(existsSync(path.join(dir, '.ktx', 'telemetry.json')))
  })

  it('serves the embeddings API as strictly as the real daemon: 422 for a body of the wrong shape', async () => {
    const install = ktx(dir, ['admin', 'runtime', 'install', '--feature', 'local-embeddings', '--yes'])
    assert.equal(install.code, 0, install.stderr)
    const start = ktx(dir, ['admin', 'runtime', 'start', '--feature', 'local-embeddings'])
    assert.equal(start.code, 0, start.stderr)
    const url = start.stdout.match(/^url: (\S+)$/m)![1]
    const post = async (route: string, body: unknown) => {
      const res = await fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      return { status: res.status, json: (await res.json()) as Record<string, unknown> }
    }
    try {
      const wrong = await post('/embeddings/compute', { texts: ['a'] })
      assert.equal(wrong.status, 422)
      assert.deepEqual((wrong.json.detail as { loc: string[] }[])[0].loc, ['body', 'text'])
      assert.equal((await post('/embeddings/compute-bulk', { text: 'a' })).status, 422)
      assert.equal((await post('/embeddings/compute', { text: '' })).status, 422)
      const one = await post('/embeddings/compute', { text: 'orders' })
      assert.equal(one.status, 200)
      assert.equal((one.json.embedding as number[]).length, 384)
      const bulk = await post('/embeddings/compute-bulk', { texts: ['a', 'b'] })
      assert.equal((bulk.json.embeddings as number[][]).length, 2)
    } finally {
      assert.equal(ktx(dir, ['admin', 'runtime', 'stop']).code, 0)
      const pid = Number(start.stdout.match(/^pid: (\d+)$/m)![1])
      assert.ok(await waitFor(() => isProcessGone(pid), 10_000), 'the daemon outlived stop')
    }
  })
})

describe('fixture ktx CLI, runtime generation', () => {
  let dir: string
  before(() => {
    dir = install('runtime')
  })

  it('has `ktx runtime …` and exits 0 from status while missing', () => {
    assert.equal(ktx(dir, ['admin', 'runtime', '--help']).code, 1)
    const r = ktx(dir, ['runtime', 'status', '--json'])
    assert.equal(r.code, 0)
    assert.equal(JSON.parse(r.stdout).kind, 'missing')
    const doctor = ktx(dir, ['runtime', 'doctor'])
    assert.match(doctor.stdout, /^KTX Python runtime\nstatus: missing\n/)
    assert.match(doctor.stdout, /FAIL Managed Python runtime: No runtime manifest at .*\n {5}Fix: /)
  })

  it('needs --new for setup and prints the Project line', () => {
    const project = path.join(dir, 'proj')
    const r = ktx(dir, [
      'setup',
      '--project-dir',
      project,
      '--new',
      '--no-input',
      '--yes',
      '--skip-llm',
      '--skip-embeddings',
      '--skip-databases',
      '--skip-sources',
      '--skip-agents'
    ])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stderr, '')
    assert.match(r.stdout, /^Project: /m)
  })
})
