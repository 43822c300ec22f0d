import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import net from 'node:net'
import { describe, it } from 'node:test'
import { decodeProcAddress, listenAddresses, outsideAddresses, reachableOutside } from '../../src/ktx/daemon.js'
import { RUN_MARKER } from '../../src/host/env.js'
import { descendants, listProcesses, markerIn, parseCimListing, parseProcStat, parsePsListing, processesOfRun } from '../../src/host/processes.js'

describe('process listings', () => {
  it('parses macOS ps -E output: parent pid, command line with spaces, the run marker among the environment', () => {
    const text = `    1     0 /sbin/launchd\n 4242  4000 node /tmp/ktx smoke/ktx sl query --yes PATH=/usr/bin ${RUN_MARKER}=run-1 HOME=/h\n\n`
    const list = parsePsListing(text)
    assert.deepEqual(list, [
      { pid: 1, ppid: 0, command: '/sbin/launchd', marker: undefined },
      { pid: 4242, ppid: 4000, command: `node /tmp/ktx smoke/ktx sl query --yes PATH=/usr/bin ${RUN_MARKER}=run-1 HOME=/h`, marker: 'run-1' }
    ])
  })

  it('parses /proc/<pid>/stat even when the process name holds spaces and parentheses', () => {
    assert.deepEqual(parseProcStat('4242 (ktx (daemon) x) S 17 4242 4242 0 -1'), { state: 'S', ppid: 17 })
    assert.deepEqual(parseProcStat('9 (node) Z 1 9 9'), { state: 'Z', ppid: 1 })
    assert.equal(markerIn(`A=1\0${RUN_MARKER}=abc\0B=2\0`, '\0'), 'abc')
    assert.equal(markerIn(`A=1\0X${RUN_MARKER}=abc\0`, '\0'), undefined)
  })

  it('parses the Windows CIM listing with parent pids, one object or many', () => {
    const many = JSON.stringify([
      { ProcessId: 0, ParentProcessId: 0, CommandLine: null },
      { ProcessId: 812, ParentProcessId: 700, CommandLine: 'C:\\node.exe D:\\a\\_temp\\ktx-smoke-x\\daemon.js serve-http' }
    ])
    assert.deepEqual(parseCimListing(many), [
      { pid: 0, ppid: 0, command: '' },
      { pid: 812, ppid: 700, command: 'C:\\node.exe D:\\a\\_temp\\ktx-smoke-x\\daemon.js serve-http' }
    ])
    assert.deepEqual(parseCimListing(JSON.stringify({ ProcessId: 7, CommandLine: 'cmd.exe' })), [{ pid: 7, ppid: undefined, command: 'cmd.exe' }])
    assert.deepEqual(parseCimListing(''), [])
  })

  it('finds the run by marker, by sandbox path, and by descent from the pids it started; never this process', () => {
    const listing = [
      { pid: process.pid, command: 'node main', marker: 'run-1' },
      { pid: 10, ppid: 1, command: 'python daemon', marker: 'run-1' },
      { pid: 11, ppid: 1, command: 'node /tmp/ktx-smoke-abc/helper' },
      { pid: 12, ppid: 500, command: 'ktx-daemon.exe' },
      { pid: 13, ppid: 12, command: 'worker.exe' },
      { pid: 14, ppid: 1, command: 'other', marker: 'run-2' },
      { pid: 15, ppid: 1, command: 'bystander /tmp/unrelated' }
    ]
    assert.deepEqual(
      processesOfRun(listing, 'run-1', ['/tmp/ktx-smoke-abc'], [500]).map(p => p.pid),
      [10, 11, 12, 13]
    )
    assert.deepEqual([...descendants([12], listing)].sort(), [12, 13])
  })

  it('lists live processes with their markers from /proc, without ps', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      stdio: 'ignore',
      env: { ...process.env, [RUN_MARKER]: `unit-${process.pid}` }
    })
    try {
      const listing = await listProcesses()
      assert.ok(listing, 'a listing')
      const found = listing.filter(p => p.marker === `unit-${process.pid}`)
      assert.deepEqual(
        found.map(p => p.pid),
        [child.pid]
      )
      assert.equal(found[0].ppid, process.pid)
    } finally {
      child.kill('SIGKILL')
    }
  })
})

describe('a daemon reachable from outside', () => {
  it('decodes the kernel socket tables', () => {
    assert.equal(decodeProcAddress('0100007F'), '127.0.0.1')
    assert.equal(decodeProcAddress('00000000'), '0.0.0.0')
    assert.equal(decodeProcAddress('00000000000000000000000001000000'), '::1')
    assert.equal(decodeProcAddress('00000000000000000000000000000000'), '::')
    assert.equal(decodeProcAddress('0000000000000000FFFF00000100007F'), '::ffff:127.0.0.1')
  })

  it('a listener on 127.0.0.1 is reachable from nowhere else; one on 0.0.0.0 from every outside address (read, not probed)', async () => {
    const listen = (host: string): Promise<net.Server> =>
      new Promise(resolve => {
        const server = net.createServer().listen(0, host, () => resolve(server))
      })
    const local = await listen('127.0.0.1')
    const all = await listen('0.0.0.0')
    try {
      const port = (s: net.Server): number => (s.address() as net.AddressInfo).port
      assert.deepEqual(listenAddresses(port(local)), ['127.0.0.1'])
      assert.deepEqual(await reachableOutside(`http://127.0.0.1:${port(local)}`), [])
      const exposed = await reachableOutside(`http://127.0.0.1:${port(all)}`)
      assert.ok(exposed.length > 0)
      for (const line of exposed) assert.match(line, new RegExp(`:${port(all)} \\(it listens on 0\\.0\\.0\\.0\\)$`))
      const v4 = outsideAddresses().filter(a => a.family === 'IPv4')
      if (v4.length > 0)
        assert.deepEqual(
          exposed,
          v4.map(a => `${a.address}:${port(all)} (it listens on 0.0.0.0)`)
        )
    } finally {
      local.close()
      all.close()
    }
  })
})
