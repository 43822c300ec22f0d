import * as core from '@actions/core'
import { actionsCacheClient, type CacheClient } from './cache.js'
import { describeProcess, killProcesses, pidOf, recordedDaemonPid, runProcesses } from './containment.js'
import { stopDaemon } from './daemon.js'
import { STATE } from './state.js'
import { refuseRemoval, removeSandbox, sandboxAt } from './sandbox.js'

/**
 * Stops every daemon the run started (the pids it saw, and the one ktx's state file names) and
 * kills everything else of the run still running: found by the run's marker variable, by the
 * sandbox path, or (Windows) by descent. Returns what it did, one line per action; nothing when
 * everything had already ended. `graceMs`: how long a daemon gets after SIGTERM.
 */
export async function stopWhatTheRunStarted(root: string, runId: string, state: (name: string) => string | undefined, graceMs = 5000): Promise<string[]> {
  const lines: string[] = []
  const pids = new Set(
    [pidOf(state(STATE.daemonPid)), pidOf(state(STATE.secondDaemonPid)), recordedDaemonPid(sandboxAt(root).projectDir)].filter(
      (pid): pid is number => pid !== undefined
    )
  )
  const run = { runId, root }
  const before = await runProcesses(run)
  const ours = before && new Set(before.map(p => p.pid))
  await Promise.all(
    [...pids].map(async pid => {
      try {
        const done = await stopDaemon(pid, ours, graceMs)
        if (!done.endsWith('already gone')) lines.push(done)
      } catch (error) {
        lines.push(`could not stop daemon pid ${pid}: ${(error as Error).message}`)
      }
    })
  )
  const strays = ((await runProcesses(run)) ?? []).filter(p => !pids.has(p.pid))
  if (strays.length > 0) {
    const survivors = await killProcesses(strays)
    lines.push(`killed ${strays.length} leftover process(es) of the run: ${strays.map(describeProcess).join('; ')}`)
    for (const p of survivors) lines.push(`${describeProcess(p)} survived SIGKILL`)
  }
  if (!before) lines.push('processes cannot be listed on this host: only the recorded daemon pids were stopped')
  return lines
}

/** Where cleanup messages go: the action's log, or a terminal. */
export interface Say {
  info(line: string): void
  warning(line: string): void
}

const actionSay: Say = { info: line => core.info(line), warning: line => core.warning(line) }

/** Removes the sandbox unless keep-sandbox; says what it did. Never deletes what the run did not create. */
export function disposeSandbox(root: string, runId: string, keep: boolean, say: Say = actionSay): void {
  if (keep) {
    say.info(`keep-sandbox is true: the sandbox stays at ${root}`)
    return
  }
  const refusal = removeSandbox(root, runId)
  if (refusal) say.warning(`Left the sandbox in place: ${refusal}.`)
  else say.info(`removed the sandbox ${root}`)
}

/** Saves the download caches when main asked for it (all phases passed, no exact hit). */
async function saveDownloads(cache: CacheClient): Promise<void> {
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
export async function cleanup(cache: CacheClient = actionsCacheClient): Promise<void> {
  await saveDownloads(cache)
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
  disposeSandbox(root, runId, core.getState(STATE.keepSandbox) === 'true')
}
