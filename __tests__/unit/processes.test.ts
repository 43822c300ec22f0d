import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import net from 'node:net'
import { describe, it } from 'node:test'
import { decodeProcAddress, listenAddresses, outsideAddresses, reachableOutside } from '../../src/ktx/daemon.js'
import { RUN_MARKER } from '../../src/host/env.js'
import { carriesTag, parseLimits, tagFrom, tagText } from '../../src/host/run-tag.js'
import { bootTicksNow, descendants, listProcesses, markerIn, parseCimListing, parseProcStat, parsePsListing, processesOfRun } from '../../src/host/processes.js'

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
    const tail = (ppid: number, start: number): string => `${ppid} 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 ${start} 1000 10`
    assert.deepEqual(parseProcStat(`4242 (ktx (daemon) x) S ${tail(17, 98765)}`), { state: 'S', ppid: 17, startTicks: 98765 })
    assert.deepEqual(parseProcStat(`9 (node) Z ${tail(1, 5)}`), { state: 'Z', ppid: 1, startTicks: 5 })
    assert.equal(parseProcStat('9 (node) Z 1 9 9'), undefined, 'a line cut short is no process')
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
      processesOfRun(listing, { runId: 'run-1', forms: ['/tmp/ktx-smoke-abc'], roots: [500] }).map(p => p.pid),
      [10, 11, 12, 13]
    )
    assert.deepEqual([...descendants([12], listing)].sort(), [12, 13])
  })

  it('an escapee is new, of this user, and has no older ancestor; another run or an older parent is not the run', () => {
    const uid = process.getuid?.()
    const since = 1000
    const listing = [
      { pid: 40, ppid: 1, command: 'job-of-another-runner', startTicks: 500, uid },
      { pid: 41, ppid: 40, command: 'its-child', startTicks: 1500, uid },
      { pid: 42, ppid: 1, command: 'older-daemon', startTicks: 900, uid },
      { pid: 43, ppid: 1, command: 'other-run-daemon', marker: 'run-2', startTicks: 1500, uid },
      { pid: 44, ppid: 1, command: 'root-process', startTicks: 1500, uid: (uid ?? 0) + 1 }
    ]
    assert.deepEqual(processesOfRun(listing, { runId: 'run-1', forms: ['/tmp/ktx-smoke-abc'], since }), [])
  })

  it('finds a live escapee on Linux: setsid, no marker, no sandbox path, orphaned', async () => {
    if (process.platform !== 'linux') return
    const since = bootTicksNow()!
    // A child that starts a detached grandchild with an empty environment and exits: the grandchild goes to init.
    const code = "const c = require('child_process').spawn('sleep', ['30'], { detached: true, stdio: 'ignore', env: {} }); console.log(c.pid); c.unref()"
    const helper = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env: { ...process.env, [RUN_MARKER]: 'unit-escape' } })
    const pid = Number(helper.stdout.trim())
    try {
      const listing = (await listProcesses())!
      const escapee = listing.find(p => p.pid === pid)
      assert.ok(escapee, 'the escapee runs')
      assert.equal(escapee.marker, undefined)
      assert.equal(escapee.ppid, 1)
      const found = processesOfRun(listing, { runId: 'unit-escape', forms: [], since }).map(p => p.pid)
      assert.ok(found.includes(pid), 'found by start time, user, cgroup and ancestry')
      assert.ok(!processesOfRun(listing, { runId: 'unit-escape', forms: [] }).some(p => p.pid === pid), 'not without the start of the run')
      assert.ok(
        !processesOfRun(listing, { runId: 'unit-escape', forms: [], since: escapee.startTicks! + 100 }).some(p => p.pid === pid),
        'not when it is older than the run'
      )
    } finally {
      process.kill(pid, 'SIGKILL')
    }
  })

  it("a run's tag tells its escapee from another run's, alike in all else; lowering its limits does not take one out of its run", async () => {
    if (process.platform !== 'linux' || spawnSync('prlimit', ['--version']).status !== 0) return
    const since = bootTicksNow()!
    // Two runs' tags, and an orphan with each, as the runs' processes inherit them.
    const ours = { locks: String(2 ** 40 + 1000), rss: String(2 ** 41 - 1 - 1000) }
    const theirs = { locks: String(2 ** 40 + 5000), rss: String(2 ** 41 - 1 - 5000) }
    const orphan = (tag: { locks: string; rss: string }, extra: string[] = []): number => {
      const code = `const c = require('child_process').spawn('prlimit', ['--locks=${tag.locks}:${tag.locks}', '--rss=${tag.rss}:${tag.rss}', ${extra.map(e => `'${e}'`).join(', ')}${extra.length ? ', ' : ''}'sleep', '30'], { detached: true, stdio: 'ignore', env: {} }); console.log(c.pid); c.unref()`
      return Number(spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' }).stdout.trim())
    }
    const mine = orphan(ours)
    const other = orphan(theirs)
    // One of ours that lowered both its limits further: still ours, it cannot get out of the run.
    const lowering = orphan({ locks: String(BigInt(ours.locks) - 1n), rss: String(BigInt(ours.rss) - 1n) })
    try {
      await new Promise(resolve => setTimeout(resolve, 200))
      assert.ok(carriesTag(mine, ours) && !carriesTag(other, ours), "each carries its own run's tag")
      assert.ok(carriesTag(lowering, ours) && !carriesTag(lowering, theirs), 'lowering its limits does not take a process out of its run')
      assert.ok(carriesTag(other, theirs) && !carriesTag(mine, theirs))
      const listing = (await listProcesses())!
      const found = processesOfRun(listing, { runId: 'unit-tag', forms: [], since, tag: ours }).map(p => p.pid)
      assert.ok(found.includes(mine), "its own escapee is the run's")
      assert.ok(!found.includes(other), "the other run's is not")
      // Without a tag both are taken: what the tag is for.
      const untagged = processesOfRun(listing, { runId: 'unit-tag', forms: [], since }).map(p => p.pid)
      assert.ok(untagged.includes(mine) && untagged.includes(other))
    } finally {
      for (const pid of [mine, other, lowering]) process.kill(pid, 'SIGKILL')
    }
    assert.equal(
      parseLimits(`Max file locks            ${ours.locks}        ${ours.locks}        locks\nMax resident set          ${ours.rss}     ${ours.rss}   bytes\n`)
        ?.locks,
      BigInt(ours.locks)
    )
    assert.equal(
      parseLimits(
        'Max file locks            unlimited            unlimited            locks\nMax resident set          unlimited            unlimited            bytes\n'
      )?.rss,
      2n ** 64n - 1n
    )
    assert.deepEqual(tagFrom(tagText(ours)), ours)
    assert.equal(tagFrom('x:1'), undefined)
  })

  it('tags a process with limits of its own that its children inherit', () => {
    if (process.platform !== 'linux' || spawnSync('prlimit', ['--version']).status !== 0) return
    const code = `import('${new URL('../../src/host/run-tag.ts', import.meta.url).href}').then(m => { const t = m.tagThisProcess(); const c = require('child_process').spawnSync('sh', ['-c', 'cat /proc/$$/limits'], { encoding: 'utf8' }); console.log(JSON.stringify({ t, child: m.parseLimits(c.stdout) && String(m.parseLimits(c.stdout).locks) })) })`
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8' })
    const { t, child } = JSON.parse(r.stdout.trim()) as { t: { locks: string; rss: string }; child: string }
    assert.equal(BigInt(t.locks) + BigInt(t.rss), 2n ** 41n + 2n ** 40n - 1n)
    assert.equal(child, t.locks, "the child inherits the run's limits")
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
      if (process.platform === 'linux') {
        // Given a run's start, what started before it is listed by parent and start time only; what started since, whole.
        const since = found[0].startTicks!
        const partial = (await listProcesses(since))!
        const self = partial.find(p => p.pid === process.pid)!
        assert.ok(self.startTicks! < since, 'this process started before its child')
        assert.deepEqual([self.command, self.marker, self.uid], ['', undefined, undefined])
        assert.equal(self.ppid, process.ppid)
        const again = partial.find(p => p.pid === child.pid)!
        assert.equal(again.marker, `unit-${process.pid}`)
        assert.match(again.command, /setInterval/)
      }
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
