import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { isProcessGone, killTree, startedPids, waitFor } from './command.js'
import { descendants, listProcesses, processesOfRun, type ProcessInfo, type RunIdentity } from './processes.js'
import type { RunTag } from './run-tag.js'
import { rootForms } from './sandbox.js'

/**
 * Finds the processes of one run however they were started: by the marker variable every sealed
 * environment carries (Linux /proc, macOS ps -E), by the sandbox path on their command line, and on
 * Windows by descent from the pids the run started. Nothing is ever found by a pid alone.
 */
export interface RunProcesses {
  runId: string
  /** The sandbox root. */
  root: string
  /** Linux: the boot tick when the run began, to find escapees that dropped the marker (processes.ts). */
  since?: number
  /** Linux: the limits every process of the run inherits, which another run's do not (run-tag.ts). */
  tag?: RunTag
}

function identity(run: RunProcesses): RunIdentity {
  return { runId: run.runId, forms: rootForms(run.root), roots: process.platform === 'win32' ? startedPids : [], since: run.since, tag: run.tag }
}

/** The daemon pid ktx recorded in the fixture project's state file, if any (contract §6). */
export function recordedDaemonPid(projectDir: string): number | undefined {
  const file = path.join(projectDir, '.ktx', 'runtime', 'daemon.json')
  if (!existsSync(file)) return undefined
  try {
    return pidOf(String((JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown }).pid))
  } catch {
    return undefined
  }
}

export function pidOf(value: string | undefined): number | undefined {
  return value && /^\d+$/.test(value.trim()) ? Number(value) : undefined
}

/** The run's processes now, or undefined when this host cannot list processes. */
export async function runProcesses(run: RunProcesses): Promise<ProcessInfo[] | undefined> {
  const listing = await listProcesses(run.since)
  if (!listing) return undefined
  return processesOfRun(listing, identity(run))
}

/** How a process is named in a failure: its pid and (clipped) command line. */
export function describeProcess(p: ProcessInfo): string {
  const command = p.command.length > 200 ? `${p.command.slice(0, 200)}…` : p.command
  return `pid ${p.pid} (${command || 'no command line'})`
}

/**
 * The run's processes still running after a command ended, other than `allowed` pids and their
 * descendants (the project's daemon). A process gets `graceMs` to finish on its own. Undefined when
 * processes cannot be listed here.
 */
export async function leftRunning(run: RunProcesses, allowed: number[], graceMs: number): Promise<ProcessInfo[] | undefined> {
  let left: ProcessInfo[] | undefined = []
  await waitFor(async () => {
    const listing = await listProcesses(run.since)
    if (!listing) {
      left = undefined
      return true
    }
    const ours = processesOfRun(listing, identity(run))
    const spared = descendants(
      allowed.filter(pid => !isProcessGone(pid)),
      listing
    )
    left = ours.filter(p => !spared.has(p.pid))
    return left.length === 0
  }, graceMs)
  return left
}

/** SIGKILLs each process's tree and waits (briefly) until they are gone; returns those that survived. */
export async function killProcesses(list: ProcessInfo[], waitMs = 2000): Promise<ProcessInfo[]> {
  for (const p of list) killTree(p.pid, 'SIGKILL')
  await waitFor(() => list.every(p => isProcessGone(p.pid)), waitMs)
  return list.filter(p => !isProcessGone(p.pid))
}

/**
 * Stops a daemon this run started: its process tree, SIGTERM then SIGKILL after `graceMs`. When
 * `ours` (the run's processes, listed just before) is known, a pid outside it was reused by an
 * unrelated process and is left alone; when the host cannot list processes, the recorded pid is
 * stopped all the same (unknown is never "gone"). Returns what it did, for the log.
 */
export async function stopDaemon(pid: number, ours: ReadonlySet<number> | undefined, graceMs = 5000): Promise<string> {
  if (isProcessGone(pid)) return `daemon pid ${pid} is already gone`
  if (ours && !ours.has(pid)) return `pid ${pid} no longer runs the sandbox's daemon (it is no process of this run); left alone`
  const how = ours ? '' : ' (processes cannot be listed here, so by its recorded pid)'
  killTree(pid, 'SIGTERM')
  if (await waitFor(() => isProcessGone(pid), graceMs)) return `stopped daemon pid ${pid}${how}`
  killTree(pid, 'SIGKILL')
  if (await waitFor(() => isProcessGone(pid), 5000)) return `killed daemon pid ${pid} (it ignored SIGTERM)${how}`
  return `daemon pid ${pid} survived SIGKILL`
}
