// The further install modes, after the core phases: a project or a global install of their own
// (install, version, status, an executed query through it), and npx.
import os from 'node:os'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { exitsWith, stderrEmpty, stderrOnly, verify, type Check } from '../../engine/checks.js'
import type { Installed, SmokeContext } from '../../engine/context.js'
import type { InstallMode } from '../../engine/inputs.js'
import { ktxEnv, type Phase } from '../../engine/scope.js'
import { userNpmConfig } from '../../host/env.js'
import { slQuery } from '../generations.js'
import { npmAllowScripts } from '../install.js'
import { findTool, packageManagerVersion } from '../tools.js'
import { untilServed } from '../served.js'
import { countOrders } from '../warehouse.js'
import { executedCount, readStatus, versionChecks, versionText } from './common.js'
import { HELP_CHECKS, STATUS_HELP } from './installed.js'
import { installAs, registryWaitOf } from './release.js'

/** The phases of a further install mode: its install, then version, status and an executed query through it. */
export function modePhases(mode: 'project' | 'global'): Phase[] {
  const where = mode === 'global' ? 'the global install' : 'the project install'
  const via = (ctx: SmokeContext): Installed => {
    const found = ctx.moreInstalls?.[mode]
    if (!found) throw new Error(`${where} is not there`)
    return found
  }
  return [
    {
      name: `${mode}-install`,
      title: mode === 'global' ? 'Global install, as ktx tells its users' : 'Clean project install',
      async run(ctx, s) {
        const installed = await installAs(ctx, s, mode, ctx.sandbox!)
        ctx.moreInstalls = { ...ctx.moreInstalls, [mode]: installed }
      }
    },
    {
      name: `${mode}-version`,
      title: `\`ktx --version\` and \`status --help\` through ${where}`,
      async run(ctx, s) {
        const { name, version } = ctx.facts.tarball!
        await s.ktx(['--version'], versionChecks(name, version), undefined, via(ctx))
        const [args, checks] = STATUS_HELP
        if (ctx.facts.generation?.id === 'admin') await s.ktx(args, [exitsWith(0), stderrEmpty(), ...checks], undefined, via(ctx))
      }
    },
    {
      name: `${mode}-status`,
      title: `Runtime status "ready" through ${where}, in the same runtime root`,
      async run(ctx, s) {
        await readStatus(ctx, s, 'ready', via(ctx))
      }
    },
    {
      name: `${mode}-query`,
      title: `An executed sqlite query through ${where} (its native module loads)`,
      async run(ctx, s) {
        const count = await countOrders(ctx, s, path.join(ctx.sandbox!.projectDir, 'warehouse.db'))
        await s.ktx(
          slQuery(ctx.sandbox!.projectDir, ['--execute', '--max-rows', '100']),
          [exitsWith(0), stderrEmpty(), executedCount(count)],
          undefined,
          via(ctx)
        )
      }
    }
  ]
}

/**
 * What npx writes on stderr besides ktx: npm's own lines (`npm warn deprecated …` while it installs
 * ktx's dependencies; 0.12.0 has four deprecated ones). ktx's own stderr must still be empty.
 */
const NPM_OWN_LINE = /^npm (warn|WARN|notice) /

/**
 * `npx --yes <the release> --version`, `setup --help` and `status --help` in an empty directory,
 * the way users try a release and ktx checks a published one; retried while the registry does not
 * serve it yet.
 */
export const NPX_VERSION: Phase = {
  name: 'npx-version',
  title: '`npx` runs the release',
  async run(ctx, s) {
    ctx.facts.installs = [...(ctx.facts.installs ?? []), 'npx']
    const npx = await findTool('npx', 'It comes with npm: use actions/setup-node before this step.')
    const release = ctx.release!
    const { name, version } = ctx.facts.tarball!
    const dir = path.join(ctx.sandbox!.root, 'npx')
    mkdirSync(dir, { recursive: true })
    const spec = release.kind === 'file' ? `file:${release.file}` : `${release.name}@${release.version}`
    // The npm cache the installs use, so that npx takes their downloads and native builds.
    const shared = ctx.cacheDirs?.npm ?? ctx.userCaches?.npm
    const cache = shared ?? path.join(ctx.sandbox!.root, 'npm-cache')
    const npmVersion = await packageManagerVersion('npm', npx)
    const env = { ...ktxEnv(ctx), ...userNpmConfig(process.env, os.homedir()) }
    const commands: [string[], Check[]][] = [[['--version'], [versionText(name, version)]]]
    if (ctx.facts.generation?.id === 'admin') commands.push(HELP_CHECKS[1], STATUS_HELP)
    for (const [ktxArgs, checks] of commands) {
      const args = ['--yes', '--cache', cache, ...npmAllowScripts(npmVersion, name), '--package', spec, '--', 'ktx', ...ktxArgs]
      const options = { cwd: dir, env, timeoutSec: ctx.inputs.installTimeoutSec, display: `npx ${args.join(' ')}` }
      const { result } = await untilServed(s, registryWaitOf(ctx), () => s.exec(npx, args, options))
      verify(result, [exitsWith(0), stderrOnly(NPM_OWN_LINE), ...checks])
    }
  }
}

/** The phases of the further install modes, in the order given. */
export function furtherModes(modes: InstallMode[]): Phase[] {
  return modes.flatMap(mode => (mode === 'npx' ? [NPX_VERSION] : modePhases(mode)))
}
