import { describeProcess, killProcesses, pidOf, recordedDaemonPid, runProcesses, stopDaemon } from './containment.js'
import { STATE } from '../engine/state.js'
import { tagFrom } from './run-tag.js'
import { removeSandbox, sandboxAt } from './sandbox.js'

/**
 * Stops every daemon the run started (the pids it saw, and the one ktx's state file names) and
 * kills everything else of the run still running: found by the run's marker variable, by the
 * sandbox path, (Windows) by descent, or (Linux) as an escapee new since the run began. Returns what it did, one line per action; nothing when
 * everything had already ended. `graceMs`: how long a daemon gets after SIGTERM.
 */
export async function stopWhatTheRunStarted(root: string, runId: string, state: (name: string) => string | undefined, graceMs = 5000): Promise<string[]> {
  const since = pidOf(state(STATE.since))
  const lines: string[] = []
  const pids = new Set(
    [pidOf(state(STATE.daemonPid)), pidOf(state(STATE.secondDaemonPid)), recordedDaemonPid(sandboxAt(root).projectDir)].filter(
      (pid): pid is number => pid !== undefined
    )
  )
  const run = { runId, root, since, tag: tagFrom(state(STATE.tag)) }
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

/** Removes the sandbox unless keep-sandbox; says what it did. Never deletes what the run did not create. */
export function disposeSandbox(root: string, runId: string, keep: boolean, say: Say): void {
  if (keep) {
    say.info(`keep-sandbox is true: the sandbox stays at ${root}`)
    return
  }
  const refusal = removeSandbox(root, runId)
  if (refusal) say.warning(`Left the sandbox in place: ${refusal}.`)
  else say.info(`removed the sandbox ${root}`)
}
