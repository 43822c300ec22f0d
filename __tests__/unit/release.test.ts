import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { failingSetupChecks, libraryEntry } from '../../src/ktx/phases/installed.js'
import { nextWait, notServedYet } from '../../src/ktx/served.js'
import type { CommandResult } from '../../src/host/command.js'
import { cliReason, REPEAT_WINDOW, remedyFor, withoutRepeats } from '../../src/ktx/remedies.js'
import { pythonVersion, sameRuntimeVersion, wheelProblem } from '../../src/ktx/tarball.js'
import { describeAbi, judgeWrongAbi, wrongAbi } from '../../src/ktx/native.js'

const MANIFEST = { version: '0.12.0', wheel: { file: 'kaelio_ktx-0.12.0-py3-none-any.whl', sha256: 'a'.repeat(64), bytes: 10 } }

describe('the bundled wheel against assets/python/manifest.json', () => {
  it('holds when file, sha256, bytes and version agree; a package without the manifest has nothing to check', () => {
    const wheels = { 'kaelio_ktx-0.12.0-py3-none-any.whl': { sha256: 'a'.repeat(64), bytes: 10 } }
    assert.equal(wheelProblem({ version: '0.12.0', assetManifest: MANIFEST, wheels }), undefined)
    assert.equal(wheelProblem({ version: '0.12.0', wheels: {} }), undefined)
  })

  it('names the wheel and both checksums, the byte counts, a missing file, or the version', () => {
    const file = 'kaelio_ktx-0.12.0-py3-none-any.whl'
    assert.equal(
      wheelProblem({ version: '0.12.0', assetManifest: MANIFEST, wheels: { [file]: { sha256: 'b'.repeat(64), bytes: 10 } } }),
      `the bundled wheel assets/python/${file} has sha256 ${'b'.repeat(64)}, but assets/python/manifest.json says ${'a'.repeat(64)}`
    )
    assert.equal(
      wheelProblem({ version: '0.12.0', assetManifest: MANIFEST, wheels: { [file]: { sha256: 'a'.repeat(64), bytes: 11 } } }),
      `the bundled wheel assets/python/${file} has 11 bytes, but assets/python/manifest.json says 10`
    )
    assert.equal(
      wheelProblem({ version: '0.12.0', assetManifest: MANIFEST, wheels: { 'other.whl': { sha256: 'a', bytes: 1 } } }),
      `the bundled wheel assets/python/${file} named by assets/python/manifest.json is not in the tarball (it has other.whl)`
    )
    assert.equal(
      wheelProblem({ version: '0.12.1', assetManifest: MANIFEST, wheels: { [file]: { sha256: 'a'.repeat(64), bytes: 10 } } }),
      'assets/python/manifest.json is for version 0.12.0, but the package is 0.12.1'
    )
  })
})

describe("the wheel's version in Python's spelling", () => {
  it('reads an npm prerelease as PEP 440 does, and nothing it cannot read', () => {
    assert.equal(pythonVersion('1.2.0'), '1.2.0')
    assert.equal(pythonVersion('1.2.0-rc.1'), '1.2.0rc1')
    assert.equal(pythonVersion('1.2.0-beta.2'), '1.2.0b2')
    assert.equal(pythonVersion('1.2.0-alpha.0'), '1.2.0a0')
    assert.equal(pythonVersion('1.2.0-dev.3'), '1.2.0.dev3')
    assert.equal(pythonVersion('1.2.0-nightly.20261130'), undefined)
    assert.equal(pythonVersion('1.2.0+build.5'), undefined)
  })

  it('takes the manifest version in either spelling, normalised as pip does, and nothing else', () => {
    for (const manifest of ['1.2.0-rc.1', '1.2.0rc1', '1.2.0.rc1', '1.2.0-rc1', '1.2.0RC1', '1.2.0c1']) {
      assert.ok(sameRuntimeVersion(manifest, '1.2.0-rc.1'), manifest)
    }
    for (const manifest of ['1.2.0', '1.2.0rc2', '1.2.0b1', undefined]) assert.ok(!sameRuntimeVersion(manifest, '1.2.0-rc.1'), String(manifest))
    assert.ok(sameRuntimeVersion('0.12.0', '0.12.0'))
    assert.ok(!sameRuntimeVersion('0.12.0', '0.12.1'))
  })
})

describe('status outside a project', () => {
  it('names the failing setup checks of its fix-this list, not the toolchain list', () => {
    const stdout = [
      'ktx status',
      '',
      '  No project here yet.',
      '',
      '  Before you can run ktx setup, fix this:',
      '      ✗ uv: spawn uv ENOENT',
      '        → Install uv, then rerun `pnpm run setup:dev`',
      '      ✗ TypeScript package build: Missing packages/cli/dist/bin.js',
      '',
      '  Toolchain:',
      '      ✓ Node 22+: v24.1.0 ABI 137',
      '      ✗ uv: spawn uv ENOENT',
      ''
    ].join('\n')
    assert.deepEqual(failingSetupChecks(stdout), ['uv: spawn uv ENOENT', 'TypeScript package build: Missing packages/cli/dist/bin.js'])
    assert.deepEqual(failingSetupChecks('ktx status\n\n  No project here yet.\n\n  Run  ktx setup  to get started.\n'), [])
  })
})

describe("the package's library entry", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'entry-test-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  const pkg = (name: string, manifest: object): string => {
    const at = path.join(dir, name)
    mkdirSync(at, { recursive: true })
    writeFileSync(path.join(at, 'package.json'), JSON.stringify({ name: '@kaelio/ktx', ...manifest }))
    return at
  }

  it('follows exports (import and node conditions), then main, then index.js', () => {
    assert.equal(
      libraryEntry(pkg('a', { exports: { '.': { import: './dist/index.mjs', require: './dist/index.cjs' } } })),
      path.join(dir, 'a', 'dist/index.mjs')
    )
    assert.equal(libraryEntry(pkg('b', { exports: './lib/index.js' })), path.join(dir, 'b', 'lib/index.js'))
    assert.equal(libraryEntry(pkg('c', { main: 'lib/main.js' })), path.join(dir, 'c', 'lib/main.js'))
    const d = pkg('d', {})
    assert.equal(libraryEntry(d), undefined)
    writeFileSync(path.join(d, 'index.js'), '')
    assert.equal(libraryEntry(d), path.join(d, 'index.js'))
  })
})

const failed = (stderr: string, exitCode: number | null = 1): CommandResult => ({
  display: 'ktx sl query',
  exitCode,
  signal: null,
  stdout: '',
  stderr,
  durationMs: 5,
  timedOut: false
})

describe('the cause, in the CLI’s own words', () => {
  const offline =
    'ktx could not download uv 0.11.21 (required to install the ktx Python runtime). Check network access to github.com and retry: ktx admin runtime install --yes. Air-gapped hosts: place the uv binary at /s/runtime-root/uv/0.11.21/uv.'

  it("leads with ktx's ■ or error: line, else the last stderr line; nothing for a command that exited 0", () => {
    const stderr = `◐  Installing ktx Python runtime (core) with uv...\n\u001b[31m■  ktx Python runtime install failed: ${offline}\u001b[0m\n${offline}\n`
    assert.equal(cliReason(failed(stderr)), `ktx Python runtime install failed: ${offline}`)
    assert.equal(cliReason(failed("error: unknown command 'runtime'\n")), "error: unknown command 'runtime'")
    assert.equal(cliReason(failed('first\nsomething went wrong\n')), 'something went wrong')
    assert.equal(cliReason(failed('a warning\n', 0)), undefined)
    assert.equal(cliReason(failed('')), undefined)
  })

  it('shows a message printed twice once', () => {
    assert.deepEqual(withoutRepeats(['◐  Installing…', `■  ktx Python runtime install failed: ${offline}`, offline]), [
      '◐  Installing…',
      `■  ktx Python runtime install failed: ${offline}`
    ])
    assert.deepEqual(withoutRepeats(['same short', 'same short']), ['same short', 'same short'])
  })

  it('compares only the last lines, so megabytes of output keep every line before them', () => {
    const earlier = Array.from({ length: 60_000 }, (_, i) => `uv: downloading cpython-3.13.0 part ${i % 3} of the python-build-standalone mirror`)
    const last = [`■  ktx Python runtime install failed: ${offline}`, offline]
    const kept = withoutRepeats([...earlier, ...last])
    // Before the window nothing is dropped, repeats included; in it the doubled failure is shown once.
    assert.equal(kept.length, earlier.length + 1 - (REPEAT_WINDOW - 2 - 3))
    assert.deepEqual(kept.slice(0, earlier.length - REPEAT_WINDOW + 2), earlier.slice(0, earlier.length - REPEAT_WINDOW + 2))
    assert.deepEqual(kept.slice(-4), [...earlier.slice(-REPEAT_WINDOW + 2, -REPEAT_WINDOW + 5), last[0]])
  })

  it('knows a remedy for a uv download, a native build and a registry that does not serve the release yet', () => {
    assert.match(remedyFor(offline, { managedUv: '/s/uv/0.11.21/uv' }) ?? '', /uv-binary input; it is placed where ktx looks \(\/s\/uv\/0\.11\.21\/uv\)/)
    assert.match(remedyFor('gyp ERR! build error\nnode-gyp failed', {}) ?? '', /C toolchain/)
    assert.match(remedyFor('npm error code E404', { registryWaitSec: 60 }) ?? '', /raise registry-wait \(now 60 s\)/)
    assert.equal(remedyFor('npm error code E404', {}), undefined, 'registry-wait only applies to a package from the registry')
    assert.equal(remedyFor('expected rows [[3]]', {}), undefined)
  })
})

describe('waiting for the registry', () => {
  it('retries on E404 and ETARGET only, waiting 1 s, then doubling up to 30 s', () => {
    assert.equal(notServedYet('npm error code E404\nnpm error 404 Not Found - GET http://r/@kaelio%2fktx'), 'E404')
    assert.equal(notServedYet('npm ERR! code ETARGET'), 'ETARGET')
    assert.equal(notServedYet('npm error code ECONNREFUSED'), undefined)
    // pnpm's words for a version the registry does not list yet.
    assert.equal(notServedYet(' ERR_PNPM_NO_MATCHING_VERSION  No matching version found for @kaelio/ktx@0.13.0'), 'no matching version')
    const waits: number[] = []
    for (let i = 0; i < 7; i++) waits.push(nextWait(waits.at(-1) ?? 0))
    assert.deepEqual(waits, [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000])
  })
})

describe('a native module built for another Node', () => {
  const stderr = `Error: The module '/s/install/node_modules/better-sqlite3/build/Release/better_sqlite3.node'
was compiled against a different Node.js version using
NODE_MODULE_VERSION 115. This version of Node.js requires
NODE_MODULE_VERSION 137. Please try re-compiling or re-installing
the module (for instance, using \`npm rebuild\` or \`npm install\`).`

  it("is read from Node's own words, wrapped as they are", () => {
    assert.deepEqual(wrongAbi(stderr), { module: '/s/install/node_modules/better-sqlite3/build/Release/better_sqlite3.node', builtFor: 115, requires: 137 })
    assert.equal(wrongAbi('Error: Could not locate the bindings file'), undefined)
  })

  it("names the module, both Nodes and whose fault: a binary the tarball ships is the release's, one this run built the runner's", () => {
    const found = wrongAbi(stderr)!
    const built = judgeWrongAbi(found, { version: 'v24.1.0', path: '/opt/node/bin/node' }, false)
    assert.equal(built.verdict, 'error')
    assert.equal(
      built.reason,
      'better_sqlite3.node was built for Node 20 (NODE_MODULE_VERSION 115), but the Node on PATH is Node 24 (NODE_MODULE_VERSION 137), v24.1.0 at /opt/node/bin/node: it cannot load (/s/install/node_modules/better-sqlite3/build/Release/better_sqlite3.node)'
    )
    assert.match(built.remedy, /a nodedir or target in the npm config \(npm_config_nodedir \/ npm_config_target, or nodedir=… in ~\/\.npmrc\)/)
    assert.match(built.remedy, /a build cached from another Node/)
    const shipped = judgeWrongAbi(found, {}, true)
    assert.equal(shipped.verdict, 'failed')
    assert.match(shipped.remedy, /^the tarball ships this prebuilt binary for Node 20 \(NODE_MODULE_VERSION 115\)/)
    assert.equal(describeAbi(999), 'NODE_MODULE_VERSION 999')
  })
})
