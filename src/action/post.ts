// The post step: save the download caches of a passing run, stop whatever of the run still runs
// (after a cancelled or crashed main), remove the sandbox. It never fails the job.
import type { CacheClient } from '../engine/cache.js'
import { STATE } from '../engine/state.js'
import { disposeSandbox, stopWhatTheRunStarted } from '../host/cleanup.js'
import { refuseRemoval } from '../host/sandbox.js'
import { actionsCacheClient } from './cache.js'
import { coreCommands, type PostIO, workflowCommands } from './commands.js'

/** Saves the download caches when main asked for it (all phases passed, no exact hit). */
async function saveDownloads(core: PostIO, cache: CacheClient): Promise<void> {
  const saved = core.getState(STATE.cacheSave)
  if (!saved) return
  try {
    const { key, paths } = JSON.parse(saved) as { key: string; paths: string[] }
    const id = await cache.saveCache(paths, key)
    core.info(id === -1 ? `cache: not saved for ${key} (see the warning above)` : `cache: saved ${key}`)
  } catch (error) {
    core.warning(`cache: could not save the download caches: ${(error as Error).message}`)
  }
}

/**
 * The post step: stop whatever of the run still runs (after a cancellation or a crash of main),
 * then remove the sandbox unless keep-sandbox. Problems are warnings; the job never fails here.
 */
export async function cleanup(core: PostIO = workflowCommands, cache: CacheClient = actionsCacheClient): Promise<void> {
  await saveDownloads(core, cache)
  const root = core.getState(STATE.sandbox)
  const runId = core.getState(STATE.runId)
  if (!root || !runId) {
    core.info('Nothing to clean up: the main step created no sandbox.')
    return
  }
  // Stop and remove only by a sandbox that provably is this run's: never by a path it merely names.
  const refusal = refuseRemoval(root, runId)
  if (refusal) {
    core.warning(`Nothing was stopped or removed: the saved sandbox path is not this run's sandbox (${refusal}).`)
    return
  }
  const lines = await stopWhatTheRunStarted(root, runId, name => core.getState(name))
  for (const line of lines) core.info(line)
  if (lines.length === 0) core.info('no process of the run was left running')
  disposeSandbox(root, runId, core.getState(STATE.keepSandbox) === 'true', core)
}

/**
 * The post step under the name local runners call (`@github/local-action … --post src/action/post.ts`),
 * through @actions/core, which they stand in for.
 */
export async function run(): Promise<void> {
  // Never called in dist/ (whose entry is src/post.ts).
  await cleanup(await coreCommands())
}
