import { copyFileSync, existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'

/**
 * The one environment policy for code under test: the package manager's install (with the
 * tarball's lifecycle scripts), every ktx command and whatever they start. They get an allowlist
 * of the runner's variables, never its secrets, plus what the smoke sets itself.
 */

/** Every process of a run carries this variable, valued with the run id: how cleanup finds them. */
export const RUN_MARKER = 'KTX_SMOKE_RUN'

/** Every ktx command runs with these (contract §2): no telemetry, no colour, no update check. */
export const KTX_ENV = {
  KTX_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
  NO_COLOR: '1',
  KTX_NO_UPDATE_CHECK: '1',
  NO_UPDATE_NOTIFIER: '1'
} as const

/** Variables passed on by name (compared upper-case: Windows names are case-insensitive). */
const ALLOWED_NAMES = new Set(
  [
    // The system and the user.
    'PATH',
    'PATHEXT',
    'SYSTEMROOT',
    'SYSTEMDRIVE',
    'WINDIR',
    'COMSPEC',
    'PROGRAMFILES',
    'PROGRAMFILES(X86)',
    'PROGRAMW6432',
    'PROGRAMDATA',
    'COMMONPROGRAMFILES',
    'COMMONPROGRAMFILES(X86)',
    'NUMBER_OF_PROCESSORS',
    'PROCESSOR_ARCHITECTURE',
    'OS',
    'HOME',
    'USER',
    'USERNAME',
    'LOGNAME',
    'SHELL',
    'USERPROFILE',
    'APPDATA',
    'LOCALAPPDATA',
    'HOMEDRIVE',
    'HOMEPATH',
    'TERM',
    'CI',
    // Temp dirs.
    'TMPDIR',
    'TMP',
    'TEMP',
    // Locale.
    'LANG',
    'LANGUAGE',
    'TZ',
    // Proxies and CAs.
    'HTTP_PROXY',
    'HTTPS_PROXY',
    'NO_PROXY',
    'ALL_PROXY',
    'NODE_EXTRA_CA_CERTS',
    'SSL_CERT_FILE',
    'SSL_CERT_DIR',
    'REQUESTS_CA_BUNDLE',
    'CURL_CA_BUNDLE',
    'NODE_USE_SYSTEM_CA',
    // The package managers' own config.
    'NPM_CONFIG_USERCONFIG',
    'NPM_CONFIG_GLOBALCONFIG',
    'PNPM_HOME',
    'COREPACK_HOME',
    // ktx's own switches (contract §2, §3).
    'KTX_TELEMETRY_DISABLED',
    'KTX_NO_UPDATE_CHECK',
    'DO_NOT_TRACK',
    'NO_UPDATE_NOTIFIER',
    'NO_COLOR'
  ].map(n => n.toUpperCase())
)

/** Variables passed on by prefix: locale, the package managers' and uv's config, XDG dirs. */
const ALLOWED_PREFIXES = ['LC_', 'NPM_CONFIG_', 'PNPM_CONFIG_', 'COREPACK_', 'UV_', 'XDG_']

/** What an enclosing npm script injects about itself; not config, and it names the caller's project. */
const INJECTED = /^(npm_(lifecycle|package|command|execpath|node_execpath)|INIT_CWD$)/i

/**
 * Never passed unless named in env-passthrough: the runner's tokens and the step's inputs and state,
 * and anything named like a credential.
 */
const SECRET = /^(ACTIONS_|INPUT_|STATE_|GITHUB_TOKEN$)|(TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?|_KEY|_AUTH)$/i

export function isSecretName(name: string): boolean {
  return SECRET.test(name)
}

function allowedByPolicy(name: string): boolean {
  const upper = name.toUpperCase()
  if (INJECTED.test(name) || isSecretName(name)) return false
  return ALLOWED_NAMES.has(upper) || ALLOWED_PREFIXES.some(p => upper.startsWith(p))
}

/** One entry of env-passthrough: a variable name, or a `PREFIX_*` pattern. */
export const PASSTHROUGH_ENTRY = /^[A-Za-z_][A-Za-z0-9_]*\*?$/

function passthroughMatches(name: string, entries: readonly string[]): boolean {
  const upper = name.toUpperCase()
  return entries.some(entry => {
    const e = entry.toUpperCase()
    return e.endsWith('*') ? upper.startsWith(e.slice(0, -1)) : upper === e
  })
}

/** Where a sealed ktx command lives: HOME, the XDG dirs and the temp dir, all inside the sandbox. */
export interface SealedHome {
  home: string
  tmp: string
}

/** HOME, USERPROFILE, APPDATA, the XDG dirs and the temp dirs of a sandbox HOME. */
export function homeVariables({ home, tmp }: SealedHome): Record<string, string> {
  return {
    HOME: home,
    USERPROFILE: home,
    APPDATA: path.join(home, 'AppData', 'Roaming'),
    LOCALAPPDATA: path.join(home, 'AppData', 'Local'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_STATE_HOME: path.join(home, '.local', 'state'),
    TMPDIR: tmp,
    TMP: tmp,
    TEMP: tmp
  }
}

export interface SealOptions {
  /** The run id, the value of RUN_MARKER. */
  runId: string
  /** env-passthrough: names and `PREFIX_*` patterns passed on whatever they are called. */
  passthrough: readonly string[]
  /** A sandbox HOME replaces the user's HOME, XDG dirs and temp dirs (ktx commands). */
  home?: SealedHome
  /** Set last, over everything else. */
  set?: Record<string, string | undefined>
}

/** The sealed environment, built from `source` (the runner's environment). */
export function sealedEnv(source: NodeJS.ProcessEnv, options: SealOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  // HOMEDRIVE/HOMEPATH would point Windows tools back at the user's profile.
  const replacedByHome = options.home ? /^(HOMEDRIVE|HOMEPATH|XDG_.*)$/i : undefined
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined || name === RUN_MARKER) continue
    if (replacedByHome?.test(name)) continue
    if (allowedByPolicy(name) || passthroughMatches(name, options.passthrough)) env[name] = value
  }
  Object.assign(env, options.home ? homeVariables(options.home) : {}, { [RUN_MARKER]: options.runId }, options.set)
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name]
  return env
}

/** The names env-passthrough lets through from `source` that the policy alone would not, secret-looking ones marked. */
export function passedThrough(source: NodeJS.ProcessEnv, passthrough: readonly string[]): { names: string[]; secrets: string[] } {
  const names = Object.keys(source)
    .filter(name => !allowedByPolicy(name) && passthroughMatches(name, passthrough) && name !== RUN_MARKER)
    .sort()
  return { names, secrets: names.filter(isSecretName) }
}

/** Puts `dir` first on the PATH of `env` (whatever its spelling on Windows). */
export function prependPath(env: NodeJS.ProcessEnv, dir: string): void {
  const key = Object.keys(env).find(k => k.toUpperCase() === 'PATH') ?? 'PATH'
  env[key] = [dir, env[key]].filter(Boolean).join(path.delimiter)
}

/** The runner user's npmrc for a command whose HOME is the sandbox's: NPM_CONFIG_USERCONFIG, unless one is set. */
export function userNpmConfig(source: NodeJS.ProcessEnv, userHome: string): Record<string, string> {
  if (Object.keys(source).some(name => name.toLowerCase() === 'npm_config_userconfig')) return {}
  const npmrc = path.join(userHome, '.npmrc')
  return existsSync(npmrc) ? { NPM_CONFIG_USERCONFIG: npmrc } : {}
}

/** Where pnpm reads its global rc, for a HOME and the XDG_CONFIG_HOME / LOCALAPPDATA of an environment. */
export function pnpmRcPath(env: NodeJS.ProcessEnv, home: string, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), 'pnpm', 'config', 'rc')
  if (platform === 'darwin') return path.join(home, 'Library', 'Preferences', 'pnpm', 'rc')
  return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'pnpm', 'rc')
}

/**
 * The runner user's package manager config, carried into an install whose HOME is the sandbox's
 * (so that the release's install scripts cannot write the user's dotfiles): their npmrc by
 * NPM_CONFIG_USERCONFIG, pnpm's global rc copied to where pnpm looks under the sandbox HOME, and
 * an XDG_CACHE_HOME they set themselves (node-gyp keeps Node's headers there). Returns what to set.
 */
export function carryPackageConfig(source: NodeJS.ProcessEnv, userHome: string, sandbox: SealedHome): Record<string, string> {
  const rc = pnpmRcPath(source, userHome)
  if (existsSync(rc)) {
    const target = pnpmRcPath(homeVariables(sandbox), sandbox.home)
    mkdirSync(path.dirname(target), { recursive: true })
    copyFileSync(rc, target)
  }
  return { ...userNpmConfig(source, userHome), ...(source.XDG_CACHE_HOME ? { XDG_CACHE_HOME: source.XDG_CACHE_HOME } : {}) }
}

/**
 * The environment of a front end that replaced its own process image to drop the runner's (or the
 * shell's) secrets: the sealed policy of the code under test (with env-passthrough, which the
 * release is given anyway), without the run marker, plus `keep` (e.g. RUNNER_TEMP).
 */
export function engineEnv(source: NodeJS.ProcessEnv, passthrough: readonly string[], keep: readonly string[] = []): NodeJS.ProcessEnv {
  const set = Object.fromEntries(keep.map(name => [name, source[name]]))
  const env = sealedEnv(source, { runId: 'none', passthrough, set })
  delete env[RUN_MARKER]
  return env
}

/** What the engine itself reads from its environment, kept when a front end drops the rest. */
export const ENGINE_VARIABLES = ['RUNNER_TEMP', 'KTX_SMOKE_HEARTBEAT_SECONDS'] as const

/** Whether this process can replace its own image (POSIX, Node 22.15+ / 23.11+: process.execve). */
export function canReexec(): boolean {
  return process.platform !== 'win32' && typeof (process as { execve?: unknown }).execve === 'function'
}
