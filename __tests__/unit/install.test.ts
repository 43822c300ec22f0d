import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { ktxInvocation } from '../../src/ktx/install.js'
import { nodeVersion, packageManagerVersion } from '../../src/ktx/tools.js'
import { nodeBinary } from '../../scripts/lib/node.js'

describe('package manager version', () => {
  it("reads an npm-installed package manager's version from its package.json, without starting it", async () => {
    const bin = path.resolve('node_modules', '.bin', 'pnpm')
    const { version } = JSON.parse(readFileSync(path.resolve('node_modules', 'pnpm', 'package.json'), 'utf8'))
    assert.equal(await packageManagerVersion('pnpm', bin), version)
  })

  it('asks a standalone binary for its version', async () => {
    const bin = path.join(mkdtempSync(path.join(os.tmpdir(), 'pm-')), 'pnpm')
    writeFileSync(bin, '#!/bin/sh\necho 10.99.1\n')
    chmodSync(bin, 0o755)
    assert.equal(await packageManagerVersion('pnpm', bin), '10.99.1')
    rmSync(path.dirname(bin), { recursive: true, force: true })
  })
})

describe('the Node on PATH', () => {
  it('has the NODE_MODULE_VERSION its binary reports, for each Node at hand (20, 22, 24)', async () => {
    for (const node of [process.execPath, nodeBinary(22), nodeBinary(24)]) {
      const reported = spawnSync(node, ['-p', 'process.version + " " + process.versions.modules'], { encoding: 'utf8' }).stdout.trim()
      const { version, abi } = await nodeVersion(node)
      assert.equal(`${version} ${abi}`, reported, node)
    }
  })

  it('asks a Node whose release line it does not know (a pre-release, a new major)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'node-'))
    const node = path.join(dir, 'node')
    writeFileSync(node, `#!/bin/sh\n[ "$1" = --version ] && echo v99.0.0-nightly && exit 0\necho v99.0.0-nightly 999\n`)
    chmodSync(node, 0o755)
    assert.deepEqual(await nodeVersion(node), { version: 'v99.0.0-nightly', abi: '999' })
    rmSync(dir, { recursive: true, force: true })
  })
})

describe('how ktx is started', () => {
  it('on Windows: node and the bin script from package.json, so that cmd.exe parses no argument', () => {
    const pkg = mkdtempSync(path.join(os.tmpdir(), 'pm-'))
    writeFileSync(path.join(pkg, 'cli.js'), '')
    assert.deepEqual(ktxInvocation('C:/p/node_modules/.bin', pkg, { bin: { ktx: 'cli.js' } }, 'C:/node/node.exe', true), {
      file: 'C:/node/node.exe',
      args: [path.join(pkg, 'cli.js')]
    })
    // Without the script on disk: the shim, whose arguments cross-spawn quotes for cmd.exe.
    assert.deepEqual(ktxInvocation('C:/p/node_modules/.bin', pkg, { bin: { ktx: 'missing.js' } }, 'C:/node/node.exe', true), {
      file: path.join('C:/p/node_modules/.bin', 'ktx.cmd'),
      args: []
    })
    rmSync(pkg, { recursive: true, force: true })
  })

  it('elsewhere: the linked bin, as users run it', () => {
    assert.deepEqual(ktxInvocation('/p/node_modules/.bin', '/p/node_modules/@kaelio/ktx', { bin: { ktx: 'bin/ktx.js' } }, '/usr/bin/node', false), {
      file: '/p/node_modules/.bin/ktx',
      args: []
    })
  })
})
