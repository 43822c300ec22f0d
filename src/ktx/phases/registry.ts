// A published release, fetched from the registry the runner's npm config names, retried while the
// registry does not serve it yet (right after `npm publish`).
import path from 'node:path'
import { mkdirSync, readdirSync } from 'node:fs'
import { ExpectationError } from '../../engine/checks.js'
import { findTool } from '../tools.js'
import { untilServed } from '../served.js'
import { installEnv, type PhaseScope } from '../../engine/scope.js'
import type { SmokeContext } from '../../engine/context.js'

/**
 * `npm pack <spec>` into the sandbox: the exact file the registry serves. While the registry does
 * not serve it yet, it tries again for up to registry-wait seconds. Returns the file.
 */
export async function downloadRelease(ctx: SmokeContext, s: PhaseScope, spec: string): Promise<string> {
  const npm = await findTool('npm', 'Use actions/setup-node before this step.')
  const dir = path.join(ctx.sandbox!.root, 'download')
  mkdirSync(dir, { recursive: true })
  const cache = path.join(ctx.sandbox!.root, 'npm-cache')
  const args = ['pack', spec, '--prefer-online', '--cache', cache, '--pack-destination', dir]
  const { result, notServed } = await untilServed(s, { seconds: ctx.inputs.registryWaitSec, spec }, () =>
    s.exec(npm, args, { cwd: dir, env: installEnv(ctx), timeoutSec: ctx.inputs.installTimeoutSec, display: `npm ${args.join(' ')}` })
  )
  const files = readdirSync(dir).filter(f => f.endsWith('.tgz'))
  if (result.exitCode === 0 && files.length === 1) return path.join(dir, files[0])
  const why = notServed
    ? `the registry did not serve ${spec} within registry-wait (${ctx.inputs.registryWaitSec} s): npm answered ${notServed}`
    : `npm pack ${spec} failed (exit ${result.exitCode ?? result.signal})`
  throw new ExpectationError(why, result)
}
