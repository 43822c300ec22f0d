import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { cachedPaths, cacheDirs, cacheKey, decideCache, type CacheClient } from '../../src/engine/cache.js'
import { cleanup } from '../../src/action/post.js'
import { workflowCommands } from '../../src/action/commands.js'
import { parseInputs } from '../../src/engine/parse-inputs.js'
import { restoreDownloads } from '../../src/ktx/phases/downloads.js'
import { newContext, type SmokeLog } from '../../src/engine/context.js'
import { PhaseScope } from '../../src/engine/scope.js'

const PARTS = {
  platform: 'linux',
  arch: 'x64',
  nodeAbi: '137',
  manager: 'npm' as const,
  managerVersion: '11.6.2',
  dependencies: { yaml: '^2.8.0', commander: '^14.0.0', 'better-sqlite3': '^12.9.0' },
  wheelSha256: 'a4c6b2e1d0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3',
  features: ['core' as const]
}

/** A cache service that remembers what was asked of it. */
function fakeCache(available: boolean, stored: Record<string, true> = {}): CacheClient & { calls: string[] } {
  const calls: string[] = []
  return {
    calls,
    isFeatureAvailable: () => available,
    async restoreCache(paths, key, restoreKeys = []) {
      calls.push(`restore ${key} [${restoreKeys.join(',')}] ${paths.join(',')}`)
      if (stored[key]) return key
      return Object.keys(stored).find(k => restoreKeys.some(prefix => k.startsWith(prefix)))
    },
    async saveCache(paths, key) {
      calls.push(`save ${key} ${paths.join(',')}`)
      return 1
    }
  }
}

describe('cache keys', () => {
  it('name OS, arch, Node ABI, package manager and version, dependencies and the wheel', () => {
    const { key, restorePrefix } = cacheKey(PARTS)
    assert.equal(key, 'ktx-smoke-v1-linux-x64-node-abi137-npm-11.6.2-deps-dc613af4f40cf6ee-wheel-a4c6b2e1d0f9e8d7-core')
    assert.equal(restorePrefix, 'ktx-smoke-v1-linux-x64-node-abi137-npm-11.6.2-deps-dc613af4f40cf6ee-')
    assert.ok(key.startsWith(restorePrefix))
  })

  it('change exactly when a part changes; dependency order does not matter', () => {
    const base = cacheKey(PARTS).key
    assert.equal(cacheKey({ ...PARTS, dependencies: { 'better-sqlite3': '^12.9.0', yaml: '^2.8.0', commander: '^14.0.0' } }).key, base)
    for (const change of [
      { nodeAbi: '127' },
      { arch: 'arm64' },
      { manager: 'pnpm' as const },
      { managerVersion: '11.7.0' },
      { dependencies: { ...PARTS.dependencies, yaml: '^2.9.0' } },
      { wheelSha256: `ff${PARTS.wheelSha256.slice(2)}` },
      { features: ['core' as const, 'local-embeddings' as const] }
    ]) {
      assert.notEqual(cacheKey({ ...PARTS, ...change }).key, base, JSON.stringify(change))
    }
    assert.match(cacheKey({ ...PARTS, wheelSha256: undefined }).key, /-wheel-none-core$/)
  })

  it('cache the package manager store and uv, never node_modules or the runtime', () => {
    const dirs = cacheDirs('/runner/_temp')
    assert.deepEqual(cachedPaths(dirs, 'npm'), [
      '/runner/_temp/ktx-smoke-cache/npm',
      '/runner/_temp/ktx-smoke-cache/uv-cache',
      '/runner/_temp/ktx-smoke-cache/uv-python'
    ])
    assert.deepEqual(cachedPaths(dirs, 'pnpm'), [
      '/runner/_temp/ktx-smoke-cache/pnpm-store',
      '/runner/_temp/ktx-smoke-cache/uv-cache',
      '/runner/_temp/ktx-smoke-cache/uv-python'
    ])
  })
})

describe('cache: auto, true, false', () => {
  const yes = (): boolean => true
  // [what, mode, event, service available, use the service, else the runner user's own cache, reason]
  const cases: [string, 'auto' | 'true' | 'false', { name?: string; ref?: string; runnerEnvironment?: string }, boolean, boolean, boolean, RegExp?][] = [
    [
      'auto on a self-hosted runner',
      'auto',
      { name: 'push', ref: 'refs/heads/main', runnerEnvironment: 'self-hosted' },
      true,
      false,
      true,
      /self-hosted runner/
    ],
    ['auto on a GitHub-hosted runner', 'auto', { name: 'push', ref: 'refs/heads/main', runnerEnvironment: 'github-hosted' }, true, true, false],
    ['true on a self-hosted runner', 'true', { name: 'push', runnerEnvironment: 'self-hosted' }, true, true, false],
    ['auto on a push to a branch', 'auto', { name: 'push', ref: 'refs/heads/main' }, true, true, false],
    ['auto on a pull request', 'auto', { name: 'pull_request', ref: 'refs/pull/7/merge' }, true, true, false],
    ['auto on a release', 'auto', { name: 'release', ref: 'refs/tags/v0.12.0' }, true, false, false, /release event/],
    ['auto on a tag push', 'auto', { name: 'push', ref: 'refs/tags/v0.12.0' }, true, false, false, /tag push \(refs\/tags\/v0\.12\.0/],
    ['auto on pull_request_target', 'auto', { name: 'pull_request_target' }, true, false, false, /pull_request_target event/],
    ['auto on workflow_run', 'auto', { name: 'workflow_run' }, true, false, false, /workflow_run event/],
    ['auto without the cache service', 'auto', { name: 'push', ref: 'refs/heads/main' }, false, false, true, /not available here/],
    ['true without the cache service', 'true', { name: 'push', ref: 'refs/heads/main' }, false, false, true, /not available here/],
    ['true on a release', 'true', { name: 'release', ref: 'refs/tags/v0.12.0' }, true, true, false],
    ['false', 'false', { name: 'push' }, true, false, true, /cache is false/]
  ]
  for (const [what, mode, event, available, use, userCache, reason] of cases) {
    it(what, async () => {
      const d = await decideCache(mode, event, () => available)
      assert.equal(d.use, use)
      assert.equal(d.userCache, userCache)
      if (reason) assert.match(d.reason, reason)
      // Only a cache asked for with true warns when there is no service.
      assert.equal(d.warn, !available && mode === 'true')
    })
  }
  it('does not ask the cache service when the event already rules the cache out', async () => {
    let asked = false
    await decideCache('auto', { name: 'release' }, () => (asked = true))
    assert.equal(asked, false)
    assert.equal((await decideCache('true', {}, yes)).use, true)
  })
})

describe('restore in main, save in post', () => {
  let temp = ''
  const saved = { ...process.env }
  beforeEach(() => {
    temp = mkdtempSync(path.join(os.tmpdir(), 'ktx-smoke-cache-test-'))
    process.env.RUNNER_TEMP = temp
  })
  afterEach(() => {
    process.env = { ...saved }
    rmSync(temp, { recursive: true, force: true })
  })

  const silent: SmokeLog = {
    startPhase() {},
    info() {},
    warning() {},
    commandStarted() {},
    output() {},
    commandFinished() {},
    heartbeat() {},
    progress() {},
    endPhase() {}
  }

  async function restore(cache: CacheClient, inputs: Record<string, string> = {}) {
    const ctx = newContext(
      parseInputs(n => ({ tarball: 't.tgz', ...inputs })[n] ?? ''),
      silent,
      () => {},
      temp,
      { cache, event: { name: 'push', ref: 'refs/heads/main' } }
    )
    ctx.facts.tarball = {
      path: 't.tgz',
      name: '@kaelio/ktx',
      version: '0.12.0',
      integrity: 'sha512-x',
      wheels: {},
      sha256: 'x',
      packedBytes: 1,
      files: {},
      manifest: {},
      dependencies: PARTS.dependencies,
      assetManifest: { wheel: { sha256: PARTS.wheelSha256 } }
    }
    // npm as the package manager asks it: a stand-in that names the runner user's cache.
    const npm = path.join(temp, 'npm')
    writeFileSync(npm, `#!/bin/sh\n[ "$*" = "config get cache" ] && echo ${path.join(temp, 'users-npm-cache')}\n`, { mode: 0o755 })
    ctx.host = { node: process.execPath, nodeAbi: '137', manager: npm, managerVersion: '11.6.2' }
    const scope = new PhaseScope(ctx)
    await restoreDownloads(ctx, scope, '137', '11.6.2')
    return { ctx, scope }
  }

  it('a miss restores by key and prefix from the owned dirs', async () => {
    const cache = fakeCache(true)
    const { ctx, scope } = await restore(cache)
    const key = cacheKey({ ...PARTS, platform: process.platform, arch: process.arch }).key
    const dirs = cacheDirs(temp)
    assert.deepEqual(cache.calls, [`restore ${key} [${key.replace(/wheel-.*$/, '')}] ${cachedPaths(dirs, 'npm').join(',')}`])
    assert.deepEqual(ctx.facts.cache, { used: true, key, hit: false, restoredKey: undefined })
    assert.ok(existsSync(dirs.uvCache) && existsSync(dirs.uvPython) && existsSync(dirs.npm))
    assert.equal(ctx.cacheDirs?.root, dirs.root)
    assert.match(scope.notes.join('\n'), /cache: miss for ktx-smoke-v1-/)
  })

  it('an exact hit and a prefix hit are told apart', async () => {
    const key = cacheKey({ ...PARTS, platform: process.platform, arch: process.arch }).key
    assert.equal((await restore(fakeCache(true, { [key]: true }))).ctx.facts.cache?.hit, true)
    const older = `${key.replace(/wheel-.*$/, '')}wheel-0000000000000000-core`
    const partial = (await restore(fakeCache(true, { [older]: true }))).ctx.facts.cache
    assert.equal(partial?.hit, false)
    assert.equal(partial?.restoredKey, older)
  })

  const users = "the installs use the runner user's npm cache"
  it("no service with cache: true: one warning, the runner user's own cache is used, nothing restored", async () => {
    const cache = fakeCache(false)
    const { ctx, scope } = await restore(cache, { cache: 'true' })
    assert.deepEqual(cache.calls, [])
    assert.equal(ctx.facts.cache?.used, false)
    assert.equal(ctx.cacheDirs, undefined)
    assert.deepEqual(ctx.userCaches, { manager: path.join(temp, 'users-npm-cache'), npm: path.join(temp, 'users-npm-cache') })
    assert.deepEqual(
      scope.notes.filter(n => n.startsWith('warning:')),
      [`warning: cache: not used: the cache service is not available here (outside GitHub, or not configured); ${users}, ${path.join(temp, 'users-npm-cache')}`]
    )
  })

  it("no service with cache: auto: a note, no warning, the runner user's own cache (a second run builds nothing again)", async () => {
    const cache = fakeCache(false)
    const { ctx, scope } = await restore(cache)
    assert.deepEqual(cache.calls, [])
    assert.equal(ctx.facts.cache?.used, false)
    assert.equal(ctx.cacheDirs, undefined)
    assert.equal(ctx.userCaches?.manager, path.join(temp, 'users-npm-cache'))
    assert.deepEqual(
      scope.notes.filter(n => n.startsWith('warning:')),
      []
    )
    assert.ok(
      scope.notes.includes(
        `cache: not used: the cache service is not available here (outside GitHub, or not configured); ${users}, ${path.join(temp, 'users-npm-cache')}`
      )
    )
    // The probe ran in a folder of its own, removed after.
    assert.deepEqual(
      readdirSync(temp).filter(f => f.startsWith('ktx-smoke-probe-')),
      []
    )
  })

  it("cache: false leaves the package manager and uv on their own caches, the runner user's", async () => {
    const { ctx, scope } = await restore(fakeCache(true), { cache: 'false' })
    assert.equal(ctx.cacheDirs, undefined)
    assert.deepEqual(ctx.facts.cache, { used: false, key: '', hit: false, reason: 'cache is false' })
    assert.ok(scope.notes.includes(`cache: cache is false; ${users}, ${path.join(temp, 'users-npm-cache')}`))
  })

  it("a publishing run with cache: auto starts from empty dirs of its own, neither the cache nor the user's store", async () => {
    const ctx = newContext(
      parseInputs(n => ({ tarball: 't.tgz' })[n] ?? ''),
      silent,
      () => {},
      temp,
      { cache: fakeCache(true), event: { name: 'release' } }
    )
    const scope = new PhaseScope(ctx)
    await restoreDownloads(ctx, scope, '137', '11.6.2')
    assert.equal(ctx.cacheDirs?.root, cacheDirs(temp).root)
    assert.equal(ctx.userCaches, undefined)
    assert.match(
      scope.notes.join('\n'),
      /cache: not used: cache is auto and this is a release event .*; the installs download into empty dirs of the run's own/
    )
  })

  it('the post step saves what main asked for, and nothing otherwise', async () => {
    const cache = fakeCache(true)
    process.env['STATE_cache-save'] = JSON.stringify({ key: 'k1', paths: ['/a', '/b'] })
    await cleanup(workflowCommands, cache)
    assert.deepEqual(cache.calls, ['save k1 /a,/b'])
    delete process.env['STATE_cache-save']
    const idle = fakeCache(true)
    await cleanup(workflowCommands, idle)
    assert.deepEqual(idle.calls, [])
  })
})
