import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { packageManagerVersion } from '../../src/install.js'

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
  })
})
