import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { createSandbox, MARKER_FILE, removeSandbox } from '../../src/host/sandbox.js'

describe('sandbox', () => {
  let temp: string
  const saved = process.env.RUNNER_TEMP
  beforeEach(() => {
    temp = mkdtempSync(path.join(os.tmpdir(), 'sandbox-test-'))
    process.env.RUNNER_TEMP = temp
  })
  afterEach(() => {
    if (saved === undefined) delete process.env.RUNNER_TEMP
    else process.env.RUNNER_TEMP = saved
    rmSync(temp, { recursive: true, force: true })
  })

  it('lays out install, runtime root and project under a marked root in RUNNER_TEMP', () => {
    const s = createSandbox('run-1')
    assert.equal(path.dirname(s.root), temp)
    for (const dir of [s.installDir, s.runtimeRoot, s.projectDir]) assert.ok(existsSync(dir))
    assert.ok(existsSync(path.join(s.root, MARKER_FILE)))
    assert.equal(removeSandbox(s.root, 'run-1'), undefined)
    assert.ok(!existsSync(s.root))
  })

  it("never removes another run's sandbox, an unmarked dir or a dir outside the temp parent", () => {
    const s = createSandbox('run-1')
    assert.match(removeSandbox(s.root, 'run-2')!, /another run's marker/)
    assert.ok(existsSync(s.root))

    const unmarked = path.join(temp, 'ktx-smoke-user')
    mkdirSync(unmarked)
    writeFileSync(path.join(unmarked, 'precious.txt'), 'keep me')
    assert.match(removeSandbox(unmarked, 'run-1')!, /no \.ktx-smoke-sandbox marker/)
    assert.ok(existsSync(path.join(unmarked, 'precious.txt')))

    const outside = mkdtempSync(path.join(os.tmpdir(), 'outside-'))
    writeFileSync(path.join(outside, MARKER_FILE), JSON.stringify({ tag: 'ktx-smoke-action sandbox', runId: 'run-1' }))
    assert.match(removeSandbox(outside, 'run-1')!, /is not inside/)
    assert.ok(existsSync(outside))
    assert.match(removeSandbox(temp, 'run-1')!, /is not inside/)
    rmSync(outside, { recursive: true, force: true })
  })
})
