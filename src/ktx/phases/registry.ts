// A published release, fetched from the registry the runner's npm config names, retried while the
// registry does not serve it yet (E404 / ETARGET right after `npm publish`).
import path from 'node:path'
import { mkdirSync, readdirSync } from 'node:fs'
import { ExpectationError } from '../../engine/checks.js'
import { findTool } from '../install.js'
import { sleep } from '../../host/command.js'
import { installEnv, type PhaseScope } from '../../engine/scope.js'
import type { SmokeContext } from '../../engine/context.js'

/** The npm error code of a release the registry does not serve (yet), if that is what npm said. */
export function notServedYet(stderr: string): string | undefined {
  return stderr.match(/npm (?:error|ERR!) code (E404|ETARGET)\b/)?.[1]
}

/** Waits between tries: 1 s, then doubling up to 30 s. */
export function nextWait(previousMs: number): number {
  return previousMs === 0 ? 1000 : Math.min(previousMs * 2, 30_000)
}

/**
 * `npm pack <spec>` into the sandbox: the exact file the registry serves. While npm answers E404 or
 * ETARGET it tries again, logging each wait, for up to registry-wait seconds. Returns the file.
 */
export async function downloadRelease(ctx: SmokeContext, s: PhaseScope, spec: string): Promise<string> {
  const npm = await findTool('npm', 'Use actions/setup-node before this step.')
  const dir = path.join(ctx.sandbox!.root, 'download')
  mkdirSync(dir, { recursive: true })
  const cache = path.join(ctx.sandbox!.root, 'npm-cache')
  const args = ['pack', spec, '--prefer-online', '--cache', cache, '--pack-destination', dir]
  const waitMs = ctx.inputs.registryWaitSec * 1000
  const started = Date.now()
  for (let wait = 0; ; ) {
    const r = await s.exec(npm, args, { cwd: dir, env: installEnv(ctx), timeoutSec: ctx.inputs.installTimeoutSec, display: `npm ${args.join(' ')}` })
    const files = readdirSync(dir).filter(f => f.endsWith('.tgz'))
    if (r.exitCode === 0 && files.length === 1) return path.join(dir, files[0])
    const code = notServedYet(r.stderr)
    const waited = Date.now() - started
    wait = nextWait(wait)
    if (!code || waited + wait > waitMs) {
      const why = code
        ? `the registry did not serve ${spec} within registry-wait (${ctx.inputs.registryWaitSec} s): npm answered ${code}`
        : `npm pack ${spec} failed (exit ${r.exitCode ?? r.signal})`
      throw new ExpectationError(why, r)
    }
    s.note(
      `registry: ${spec} is not served yet (${code}); trying again in ${wait / 1000} s (${Math.round(waited / 1000)} s of registry-wait ${ctx.inputs.registryWaitSec} s used)`
    )
    await sleep(wait)
  }
}
