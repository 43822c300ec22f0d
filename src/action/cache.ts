// The runner's cache service, through @actions/cache (loaded only where a service URL is set).
import type { CacheClient } from '../engine/cache.js'

// @actions/cache (and the storage SDK under it) is loaded only when a run gets as far as the cache.
const actionsCache = (): Promise<typeof import('@actions/cache')> => import('@actions/cache')

export const actionsCacheClient: CacheClient = {
  // Without either service URL the library would say no: skip loading it just to hear that.
  isFeatureAvailable: async () => Boolean(process.env.ACTIONS_CACHE_URL || process.env.ACTIONS_RESULTS_URL) && (await actionsCache()).isFeatureAvailable(),
  restoreCache: async (paths, key, restoreKeys) => (await actionsCache()).restoreCache(paths, key, restoreKeys),
  saveCache: async (paths, key) => (await actionsCache()).saveCache(paths, key)
}
