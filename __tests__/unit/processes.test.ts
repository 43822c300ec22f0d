import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { describe, it } from 'node:test'
import { listProcesses, parseCimListing, parsePsListing, processesMentioning } from '../../src/processes.js'

describe('process listings', () => {
  it('parses ps output, command lines with spaces included', () => {
    const text = '    1 /sbin/init\n 4242 node /tmp/ktx smoke/install/node_modules/.bin/ktx sl query --yes\n\n'
    assert.deepEqual(parsePsListing(text), [
      { pid: 1, command: '/sbin/init' },
      { pid: 4242, command: 'node /tmp/ktx smoke/install/node_modules/.bin/ktx sl query --yes' }
    ])
  })

  it('parses the Windows CIM listing, one object or many, skipping processes without a command line', () => {
    const many = JSON.stringify([
      { ProcessId: 0, CommandLine: null },
      {
        ProcessId: 812,
        CommandLine: 'C:\\hostedtoolcache\\node.exe D:\\a\\_temp\\ktx-smoke-x\\runtime-root\\0.12.0\\.venv\\Scripts\\ktx-daemon.exe serve-http'
      }
    ])
    assert.deepEqual(parseCimListing(many), [
      { pid: 812, command: 'C:\\hostedtoolcache\\node.exe D:\\a\\_temp\\ktx-smoke-x\\runtime-root\\0.12.0\\.venv\\Scripts\\ktx-daemon.exe serve-http' }
    ])
    assert.deepEqual(parseCimListing(JSON.stringify({ ProcessId: 7, CommandLine: 'cmd.exe' })), [{ pid: 7, command: 'cmd.exe' }])
    assert.deepEqual(parseCimListing(''), [])
  })

  it('finds a live process by a directory on its command line, never this process', async () => {
    const marker = `/tmp/ktx-smoke-listing-${process.pid}`
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', marker], { stdio: 'ignore' })
    try {
      const found = processesMentioning([marker], await listProcesses())
      assert.deepEqual(
        found.map(p => p.pid),
        [child.pid]
      )
      assert.deepEqual(
        processesMentioning([process.argv[1]], await listProcesses()).filter(p => p.pid === process.pid),
        []
      )
    } finally {
      child.kill('SIGKILL')
    }
  })
})
