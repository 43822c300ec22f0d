import * as core from '@actions/core'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { stopDaemon } from './daemon.js'
import { killTree } from './process.js'
import { removeSandbox, rootForms, sandboxAt } from './sandbox.js'

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

/** Processes whose command line runs something from inside the sandbox (POSIX). */
function processesUnder(root: string): number[] {
  if (process.platform === 'win32') return []
  const forms = rootForms(root)
  let listing = ''
  try {
    listing = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 })
  } catch {
    return []
  }
  return listing
    .split('\n')
    .map(line => line.trim().match(/^(\d+)\s+(.*)$/))
    .filter((m): m is RegExpMatchArray => m !== null && forms.some(form => m[2].includes(form)) && Number(m[1]) !== process.pid)
    .map(m => Number(m[1]))
}

/**
 * The post step: stop every daemon the run started, kill anything still running from the sandbox,
 * then remove the sandbox unless keep-sandbox. Problems are warnings; the job never fails here.
 */
export async function cleanup(): Promise<void> {
  const root = core.getState('sandbox')
  const runId = core.getState('run-id')
  if (!root || !runId) {
    core.info('Nothing to clean up: the main step created no sandbox.')
    return
  }
  const sandbox = sandboxAt(root)
  const pids = new Set(
    [pidOf(core.getState('daemon-pid')), pidOf(core.getState('daemon-pid-2')), statePid(sandbox.projectDir)].filter(
      (pid): pid is number => pid !== undefined
    )
  )
  for (const pid of pids) {
    try {
      core.info(await stopDaemon(pid, root))
    } catch (error) {
      core.warning(`Could not stop daemon pid ${pid}: ${(error as Error).message}`)
    }
  }
  const strays = processesUnder(root)
  for (const pid of strays) killTree(pid, 'SIGKILL')
  if (strays.length > 0) core.info(`killed ${strays.length} leftover process(es) running from the sandbox: ${strays.join(', ')}`)

  if (core.getState('keep-sandbox') === 'true') {
    core.info(`keep-sandbox is true: the sandbox stays at ${root}`)
    return
  }
  const refusal = removeSandbox(root, runId)
  if (refusal) core.warning(`Left the sandbox in place: ${refusal}.`)
  else core.info(`removed the sandbox ${root}`)
}
