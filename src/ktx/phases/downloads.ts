// Downloads: the cache of the package manager's and uv's downloads, and where the release looks for uv.
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { cachedPaths, cacheDirs, cacheKey, createCacheDirs, decideCache } from '../../engine/cache.js'
import { managedUvPath, type RuntimeStatus } from '../generations.js'
import type { PhaseScope } from '../../engine/scope.js'
import type { SmokeContext } from '../../engine/context.js'
import { unwritableTemp } from '../../host/sandbox.js'
import { findTool, userCacheDir } from '../tools.js'

/** The managed uv directory of releases that download their own uv (0.12+, contract §5); undefined before. */
export function managedUvDir(ctx: SmokeContext): { dir: string; why: string } | undefined {
  const file = managedUvPath(ctx.facts.tarball!.version, ctx.sandbox!.runtimeRoot)
  return file === undefined ? undefined : { dir: path.dirname(file), why: `where ktx ${ctx.facts.tarball!.version} keeps the uv it would download` }
}

function copyUv(file: string, target: string): void {
  mkdirSync(path.dirname(target), { recursive: true })
  copyFileSync(file, target)
  chmodSync(target, 0o755)
}

/**
 * Puts the given uv where the release looks for it, before ktx first runs: its managed uv path as
 * the known releases pin it (0.12+, contract §5), or a directory first on ktx's PATH (older ones).
 * `followStatusUv` corrects the place once ktx itself has named it.
 */
export function placeUv(ctx: SmokeContext, s: PhaseScope, file: string): void {
  const managed = managedUvDir(ctx)
  const dir = managed?.dir ?? path.join(ctx.sandbox!.root, 'bin')
  const target = path.join(dir, process.platform === 'win32' ? 'uv.exe' : 'uv')
  copyUv(file, target)
  if (!managed) ctx.pathDir = dir
  s.note(`uv-binary: ${file} placed at ${target}${managed ? ` (${managed.why})` : ' (first on PATH, where releases before 0.12 look)'}`)
}

/** The managed uv path a status document names: `(managed: <path>)` when uv is there, `place the uv binary at <path>` when not. */
export function uvPathNamedBy(status: RuntimeStatus): string | undefined {
  const uv = status.checks?.find(c => c.id === 'uv')
  const text = `${uv?.detail ?? ''} ${uv?.fix ?? ''}`
  return text.match(/\(managed: ([^)]+)\)/)?.[1]?.trim() ?? text.match(/place the uv binary at (\S+?)\.?(?:\s|$)/)?.[1]
}

/** With uv-binary: when ktx names its managed uv path and the uv is not there yet, it goes there. */
export function followStatusUv(ctx: SmokeContext, s: PhaseScope, status: RuntimeStatus): void {
  if (!ctx.uvBinary) return
  const named = uvPathNamedBy(status)
  if (!named || existsSync(named)) return
  copyUv(ctx.uvBinary, named)
  s.note(`uv-binary: ${ctx.uvBinary} placed at ${named}, where ktx's status says it looks`)
}

/**
 * Where the run's downloads go, decided before any code of the release runs (and before the
 * watches outside the sandbox start, since it asks the package manager): the dirs the action owns,
 * restored from the cache service when it is used; or, where no cache service is used and the run
 * need not distrust caches, the runner user's own npm cache or pnpm store, which the installs
 * share with the user's other work (a second run on the same host builds nothing again).
 */
export async function restoreDownloads(ctx: SmokeContext, s: PhaseScope, nodeAbi: string, managerVersion: string): Promise<void> {
  const { inputs, services } = ctx
  const decision =
    inputs.cache === 'false'
      ? await decideCache('false', services.event, () => false)
      : services.cache
        ? await decideCache(inputs.cache, services.event, () => services.cache!.isFeatureAvailable())
        : undefined
  if (decision?.userCache) {
    ctx.facts.cache = { used: false, key: '', hit: false, reason: decision.reason }
    const where = await useUsersOwnCaches(ctx)
    const line = `cache: ${inputs.cache === 'false' ? '' : 'not used: '}${decision.reason}; ${where}`
    if (decision.warn) s.warn(line)
    else s.note(line)
    return
  }
  const dirs = cacheDirs()
  try {
    createCacheDirs(dirs)
  } catch (error) {
    throw unwritableTemp('the download caches', dirs.root, error)
  }
  ctx.cacheDirs = dirs
  if (!decision) {
    ctx.facts.cache = { used: false, key: '', hit: false, reason: `a local run: downloads stay in ${dirs.root} between runs` }
    s.note(`cache: ${ctx.facts.cache.reason}`)
    return
  }
  if (!decision.use) {
    ctx.facts.cache = { used: false, key: '', hit: false, reason: decision.reason }
    s.note(`cache: not used: ${decision.reason}; the installs download into empty dirs of the run's own (${dirs.root})`)
    return
  }
  const tarball = ctx.facts.tarball!
  const { key, restorePrefix } = cacheKey({
    platform: process.platform,
    arch: process.arch,
    nodeAbi,
    manager: inputs.packageManager,
    managerVersion,
    dependencies: tarball.dependencies,
    wheelSha256: tarball.assetManifest?.wheel?.sha256,
    features: inputs.features
  })
  const paths = cachedPaths(dirs, inputs.packageManager)
  let restoredKey: string | undefined
  try {
    restoredKey = await services.cache!.restoreCache(paths, key, [restorePrefix])
  } catch (error) {
    s.warn(`cache: restore failed, continuing without it: ${(error as Error).message}`)
  }
  ctx.facts.cache = { used: true, key, hit: restoredKey === key, restoredKey }
  s.note(`cache: ${restoredKey === key ? 'hit' : restoredKey ? `partial hit (${restoredKey})` : 'miss'} for ${key}`)
}

/**
 * The runner user's own npm cache or pnpm store for the installs (and npm's cache for npx, when
 * pnpm installs), as the package managers name them with the user's HOME and config. Says where.
 */
async function useUsersOwnCaches(ctx: SmokeContext): Promise<string> {
  const manager = ctx.inputs.packageManager
  const dir = await userCacheDir(manager, ctx.host!.manager)
  const npm =
    manager === 'npm'
      ? dir
      : ctx.inputs.installs.includes('npx')
        ? await userCacheDir('npm', await findTool('npm', 'Use actions/setup-node before this step.'))
        : undefined
  ctx.userCaches = { manager: dir, npm }
  const own = manager === 'pnpm' ? "the runner user's pnpm store" : "the runner user's npm cache"
  return dir ? `the installs use ${own}, ${dir}` : `${manager} names no cache of the runner user: the installs download into the sandbox`
}
