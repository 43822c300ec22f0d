import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { countOrders, SQLITE_MIN_NODE_MAJOR, SQLITE_PLATFORMS, sqlitePlatform, writeWarehouse } from '../../src/warehouse.js'

describe('warehouse', () => {
  it('has a loader for every runner platform, including this one', () => {
    assert.deepEqual(SQLITE_PLATFORMS.sort(), [
      'darwin-arm64',
      'darwin-x64',
      'linux-arm64',
      'linux-x64',
      'linuxmusl-arm64',
      'linuxmusl-x64',
      'win32-arm64',
      'win32-x64'
    ])
    assert.ok(SQLITE_PLATFORMS.includes(sqlitePlatform()))
  })

  const major = Number(process.versions.node.split('.')[0])
  it(`writes the 3-order warehouse on Node >= ${SQLITE_MIN_NODE_MAJOR}, refuses clearly below (this is Node ${major})`, async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'warehouse-')), 'warehouse.db')
    if (major >= SQLITE_MIN_NODE_MAJOR) {
      assert.equal(await writeWarehouse(file), 3)
      assert.equal(await countOrders(file), 3)
    } else {
      await assert.rejects(writeWarehouse(file), /needs Node 22 or newer.*runs on Node v20/)
    }
  })
})
