import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { ktxInvocation, packageManagerVersion } from '../../src/ktx/install.js'

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
