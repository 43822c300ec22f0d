import * as core from '@actions/core'
import { actionsCacheClient, type CacheClient } from './cache.js'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { stopDaemon } from './daemon.js'
import { isProcessGone, killTree } from './process.js'
import { listProcesses, processesMentioning } from './processes.js'
import { STATE } from './state.js'
import { refuseRemoval, removeSandbox, rootForms, sandboxAt } from './sandbox.js'

function pidOf(value: string | undefined): number | undefined {
  return value && /^\d+$/.test(value.trim()) ? Number(value) : undefined
}

/** The daemon pid ktx recorded in the fixture project's state file, if any (contract §6). */
function statePid(projectDir: string): number | undefined {
  const file = path.join(projectDir, '.ktx', 'runtime', 'daemon.json')
  if (!existsSync(file)) return undefined
  try {
    return pidOf(String((JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown }).pid))
  } catch {
    return undefined
  }
}

/**
 * Stops every daemon the run started (the pids it saw, and the one ktx's state file names) and
 * kills anything else still running from the sandbox. Returns what it did, one line per action;
 * nothing when everything had already ended.
 */
export async function stopWhatTheRunStarted(root: string, state: (name: string) => string | undefined): Promise<string[]> {
  const lines: string[] = []
  const pids = new Set(
    [pidOf(state(STATE.daemonPid)), pidOf(state(STATE.secondDaemonPid)), statePid(sandboxAt(root).projectDir)].filter((pid): pid is number => pid !== undefined)
  )
  // One listing serves both: checking that each pid still is the sandbox's daemon, and finding strays.
  const listing = await listProcesses()
  for (const pid of pids) {
    try {
      const done = await stopDaemon(pid, root, listing)
      if (!done.endsWith('already gone')) lines.push(done)
    } catch (error) {
      lines.push(`could not stop daemon pid ${pid}: ${(error as Error).message}`)
    }
  }
  const strays = processesMentioning(rootForms(root), listing)
    .map(p => p.pid)
    .filter(pid => !pids.has(pid) && !isProcessGone(pid))
  for (const pid of strays) killTree(pid, 'SIGKILL')
  if (strays.length > 0) lines.push(`killed ${strays.length} leftover process(es) running from the sandbox: ${strays.join(', ')}`)
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
  const lines = await stopWhatTheRunStarted(root, name => core.getState(name))
  for (const line of lines) core.info(line)
  if (lines.length === 0) core.info('no process of the run was left running')
  disposeSandbox(root, runId, core.getState(STATE.keepSandbox) === 'true')
}
