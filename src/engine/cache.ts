import { createHash } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { CacheMode, Feature, PackageManager } from './inputs.js'
import { tempParent } from '../host/sandbox.js'

/** The cache service as the action uses it; `@actions/cache` in the action, a fake in tests. */
export interface CacheClient {
  isFeatureAvailable(): boolean | Promise<boolean>
  restoreCache(paths: string[], primaryKey: string, restoreKeys?: string[]): Promise<string | undefined>
  saveCache(paths: string[], key: string): Promise<number>
}

/**
 * Download caches the action owns, at the same place on every run of a runner type (cache
 * entries are bound to their paths): the package manager's cache or store, and uv's caches.
 * Never the smoke project's node_modules, and never the runtime itself.
 */
export interface CacheDirs {
  root: string
  npm: string
  pnpmStore: string
  uvCache: string
  uvPython: string
}

export const CACHE_DIR_NAME = 'ktx-smoke-cache'

export function cacheDirs(parent = tempParent()): CacheDirs {
  const root = path.join(parent, CACHE_DIR_NAME)
  return {
    root,
    npm: path.join(root, 'npm'),
    pnpmStore: path.join(root, 'pnpm-store'),
    uvCache: path.join(root, 'uv-cache'),
    uvPython: path.join(root, 'uv-python')
  }
}

export function createCacheDirs(dirs: CacheDirs): void {
  for (const dir of [dirs.npm, dirs.pnpmStore, dirs.uvCache, dirs.uvPython]) mkdirSync(dir, { recursive: true })
}

/** The package manager's own download cache (npm) or store (pnpm). */
export function managerCacheDir(dirs: CacheDirs, manager: PackageManager): string {
  return manager === 'pnpm' ? dirs.pnpmStore : dirs.npm
}

/** The paths cached for a package manager. */
export function cachedPaths(dirs: CacheDirs, manager: PackageManager): string[] {
  return [managerCacheDir(dirs, manager), dirs.uvCache, dirs.uvPython]
}

/** Events whose runs publish: a poisoned cache must not reach them (`cache: auto`). */
const UNTRUSTED_FOR_CACHE = ['release', 'pull_request_target', 'workflow_run']

export interface CacheDecision {
  use: boolean
  /** Why not, for the log (empty when used). */
  reason: string
  /** Say it as a warning (the user asked for a cache that is not there). */
  warn: boolean
  /**
   * Not used, and the installs take the runner user's own npm cache or pnpm store instead, as the
   * package manager names it (cache: false, no cache service, a self-hosted runner's disk). False
   * when used, and on publishing runs, which start from empty download dirs of their own.
   */
  userCache: boolean
}

/** Whether to use the cache service: `cache` input, the triggering event and ref, and the service. */
export async function decideCache(
  mode: CacheMode,
  event: { name?: string; ref?: string; runnerEnvironment?: string },
  available: () => boolean | Promise<boolean>
): Promise<CacheDecision> {
  if (mode === 'false') return { use: false, reason: 'cache is false', warn: false, userCache: true }
  if (mode === 'auto') {
    // Nor the user's own store, which an earlier step may have restored from a cache (setup-node's cache: pnpm).
    if (event.name && UNTRUSTED_FOR_CACHE.includes(event.name)) {
      return { use: false, reason: `cache is auto and this is a ${event.name} event (a publishing run must not trust a cache)`, warn: false, userCache: false }
    }
    if (event.ref?.startsWith('refs/tags/')) {
      return {
        use: false,
        reason: `cache is auto and this is a tag push (${event.ref}; a publishing run must not trust a cache)`,
        warn: false,
        userCache: false
      }
    }
    // A self-hosted runner's disk persists between jobs: the user's own store stays there, uploads would only cost.
    if (event.runnerEnvironment && event.runnerEnvironment !== 'github-hosted') {
      return {
        use: false,
        reason: `cache is auto and this is a ${event.runnerEnvironment} runner, whose disk keeps the downloads between jobs`,
        warn: false,
        userCache: true
      }
    }
  }
  // Asked for with true, a missing service is worth a warning; auto means "where there is one".
  if (!(await available())) {
    return { use: false, reason: 'the cache service is not available here (outside GitHub, or not configured)', warn: mode === 'true', userCache: true }
  }
  return { use: true, reason: '', warn: false, userCache: false }
}

export interface CacheKeyParts {
  platform: string
  arch: string
  /** `process.versions.modules` of the Node on PATH: native builds depend on it. */
  nodeAbi: string
  manager: PackageManager
  managerVersion: string
  /** The tarball's dependencies (and optional ones), as declared. */
  dependencies: Record<string, string>
  /** sha256 of the bundled wheel from assets/python/manifest.json, if any. */
  wheelSha256?: string
  features: Feature[]
}

const short = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16)

/** Key and restore prefix: what the cached downloads depend on, and nothing that changes per run. */
export function cacheKey(p: CacheKeyParts): { key: string; restorePrefix: string } {
  const deps = Object.entries(p.dependencies)
    // Plain code-unit order: stable everywhere, and no ICU collator to start.
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, range]) => `${name}@${range}`)
    .join('\n')
  const prefix = `ktx-smoke-v1-${p.platform}-${p.arch}-node-abi${p.nodeAbi}-${p.manager}-${p.managerVersion}-deps-${short(deps)}-`
  const wheel = p.wheelSha256 ? p.wheelSha256.slice(0, 16) : 'none'
  return { key: `${prefix}wheel-${wheel}-${[...p.features].sort().join('+')}`, restorePrefix: prefix }
}
