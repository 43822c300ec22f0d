// Downloads: the cache of the package manager's and uv's downloads, and where the release looks for uv.
import path from 'node:path'
import { cachedPaths, cacheDirs, cacheKey, createCacheDirs, decideCache } from '../cache.js'
import { managedUvPath } from '../generations.js'
import type { PhaseScope, SmokeContext } from '../smoke.js'

/** The managed uv directory of releases that download their own uv (0.12+, contract §5); undefined before. */
export function managedUvDir(ctx: SmokeContext): { dir: string; why: string } | undefined {
  const file = managedUvPath(ctx.facts.tarball!.version, ctx.sandbox!.runtimeRoot)
  return file === undefined ? undefined : { dir: path.dirname(file), why: `where ktx ${ctx.facts.tarball!.version} keeps the uv it would download` }
}

/** Decides on the cache, points the package manager and uv at the owned caches, and restores them. */
export async function restoreDownloads(ctx: SmokeContext, s: PhaseScope, nodeAbi: string, managerVersion: string): Promise<void> {
  const { inputs, services } = ctx
  if (inputs.cache === 'false') {
    ctx.facts.cache = { used: false, key: '', hit: false, reason: 'cache is false' }
    return
  }
  const dirs = cacheDirs()
  createCacheDirs(dirs)
  ctx.cacheDirs = dirs
  const service = services.cache
  if (!service) {
    ctx.facts.cache = { used: false, key: '', hit: false, reason: `a local run: downloads stay in ${dirs.root} between runs` }
    s.note(`cache: ${ctx.facts.cache.reason}`)
    return
  }
  const decision = await decideCache(inputs.cache, services.event, () => service.isFeatureAvailable())
  if (!decision.use) {
    ctx.facts.cache = { used: false, key: '', hit: false, reason: decision.reason }
    if (decision.warn) s.warn(`cache: ${decision.reason}`)
    else s.note(`cache: not used: ${decision.reason}`)
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
    restoredKey = await service.restoreCache(paths, key, [restorePrefix])
  } catch (error) {
    s.warn(`cache: restore failed, continuing without it: ${(error as Error).message}`)
  }
  ctx.facts.cache = { used: true, key, hit: restoredKey === key, restoredKey }
  s.note(`cache: ${restoredKey === key ? 'hit' : restoredKey ? `partial hit (${restoredKey})` : 'miss'} for ${key}`)
}
