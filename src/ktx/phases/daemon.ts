// The daemon phases: start (healthy, loopback only), reuse (same pid), stop (nothing of the run remains).
import { existsSync } from 'node:fs'
import { exitsWith, expect, ExpectationError, lineMatches, stderrEmpty, verify, type Check } from '../../engine/checks.js'
import { describeProcess, runProcesses } from '../../host/containment.js'
import { fetchHealth, parseDaemonLines, portRefuses, reachableOutside, type DaemonInfo } from '../daemon.js'
import { isProcessGone, waitFor, type CommandResult } from '../../host/command.js'
import { runOf, shortenPaths, type Phase, type PhaseScope } from '../../engine/scope.js'
import type { SmokeContext } from '../../engine/context.js'
import { STATE } from '../../engine/state.js'
import { DAEMON_PHASE, generation } from './common.js'

/** The daemon must be gone this long after `stop` at the latest. */
export const STOP_GRACE_MS = 10_000

function daemonLines(message: RegExp, what: string): Check[] {
  return [
    exitsWith(0),
    stderrEmpty(),
    lineMatches('stdout', message, `the "${what}" line`),
    lineMatches('stdout', /^url: http:\/\/127\.0\.0\.1:\d+\/?$/, 'a "url: http://127.0.0.1:<port>" line'),
    lineMatches('stdout', /^pid: \d+$/, 'a "pid: <pid>" line')
  ]
}

/** `start`, with the local-embeddings feature when it is asked for. */
export function startArgs(ctx: SmokeContext): string[] {
  const g = generation(ctx)
  return ctx.inputs.features.includes('local-embeddings') && g.startFeature ? [...g.start, ...g.startFeature('local-embeddings')] : g.start
}

/**
 * Runs `start` and checks its lines: "Started …" for a first start, "Using existing …" for a
 * second. The pid it reports goes to `record` before anything is checked, so that whatever
 * happens next the daemon is stopped at the end.
 */
async function start(ctx: SmokeContext, s: PhaseScope, expected: 'started' | 'reused', record: (pid: number) => unknown) {
  const r = await s.ktx(startArgs(ctx), [])
  const info = parseDaemonLines(r.stdout)
  if (info.pid) record(info.pid)
  const g = generation(ctx)
  verify(r, daemonLines(g.messages[expected], expected === 'started' ? 'Started … daemon' : 'Using existing … daemon'))
  return { r, info }
}

/** The daemon's "features:" line names every requested feature. */
function expectFeatures(ctx: SmokeContext, info: DaemonInfo, r: CommandResult): void {
  const missing = ctx.inputs.features.filter(f => !(info.features ?? []).includes(f))
  expect(missing.length === 0, `the daemon's "features:" line lacks ${missing.join(', ')} (got: ${(info.features ?? []).join(', ') || 'no features line'})`, r)
}

export const DAEMON_START: Phase = {
  name: 'daemon-start',
  title: 'The daemon starts and answers /health',
  ...DAEMON_PHASE,
  async run(ctx, s) {
    const { r, info } = await start(ctx, s, 'started', pid => ctx.saveState(STATE.daemonPid, String(pid)))
    const { url, pid } = info as { url: string; pid: number }
    ctx.facts.daemon = { url, pid, statePath: info.state }
    expectFeatures(ctx, info, r)
    let health: { status?: string; version?: string }
    try {
      health = await fetchHealth(url)
    } catch (error) {
      throw new ExpectationError(`start reported success, but ${(error as Error).message}`, r)
    }
    expect(health.status === 'healthy', `GET ${url}/health answered ${JSON.stringify(health)}, expected {"status":"healthy"}`, r)
    s.note(`daemon pid ${pid} at ${url}: ${JSON.stringify(health)}`)
    const outside = await reachableOutside(url)
    expect(
      outside.length === 0,
      `the daemon accepts connections from outside the machine, on ${outside.join(', ')}; it must listen on 127.0.0.1 only (its url: ${url})`,
      r
    )
    s.note('the daemon refuses connections on every non-loopback address')
  }
}

export const DAEMON_REUSE: Phase = {
  name: 'daemon-reuse',
  title: 'A second start reuses the running daemon',
  ...DAEMON_PHASE,
  async run(ctx, s) {
    const first = ctx.facts.daemon!
    const { r, info } = await start(ctx, s, 'reused', pid => pid !== first.pid && ctx.saveState(STATE.secondDaemonPid, String(pid)))
    expect(info.pid === first.pid, `the second start reports pid ${info.pid}, the first ${first.pid}: a new daemon was launched`, r)
    expectFeatures(ctx, info, r)
    expect(info.url === first.url, `the second start reports ${info.url}, the first ${first.url}`, r)
  }
}

export const DAEMON_STOP: Phase = {
  name: 'daemon-stop',
  title: 'Stop ends the daemon and frees its port',
  ...DAEMON_PHASE,
  async run(ctx, s) {
    const g = generation(ctx)
    const { pid, url, statePath } = ctx.facts.daemon!
    const r: CommandResult = await s.ktx(g.stop, [exitsWith(0), stderrEmpty(), lineMatches('stdout', g.messages.stopped, 'the "Stopped … daemon" line')])
    const run = runOf(ctx)
    // After stop nothing of the run may remain: not the daemon, nor anything it started, in whatever session.
    const remains = async (): Promise<string[]> => {
      const others = ((await runProcesses(run)) ?? []).filter(p => p.pid !== pid)
      return [
        isProcessGone(pid) ? '' : `pid ${pid} is still running`,
        (await portRefuses(url)) ? '' : `${url} still accepts connections`,
        statePath && existsSync(statePath) ? `the state file ${statePath} is still there` : '',
        others.length > 0 ? `process(es) of the run still running: ${others.map(p => shortenPaths(describeProcess(p), ctx.sandbox)).join('; ')}` : ''
      ].filter(Boolean)
    }
    if (await waitFor(async () => (await remains()).length === 0, STOP_GRACE_MS)) return
    throw new ExpectationError(`stop reported success, but ${STOP_GRACE_MS / 1000} s later ${(await remains()).join(', ')}`, r)
  }
}
