import { chmodSync, copyFileSync, existsSync, mkdirSync, realpathSync, statSync, writeFileSync } from 'node:fs'
import semver from 'semver'
import { cachedPaths, cacheDirs, cacheKey, createCacheDirs, decideCache, managerCacheDir } from './cache.js'
import path from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import {
  completes,
  exitsWith,
  expect,
  ExpectationError,
  firstMatch,
  jsonStdout,
  lineMatches,
  parseCheckLines,
  parseJsonStdout,
  SetupError,
  stderrEmpty,
  stderrOnly,
  verify,
  type Check
} from './checks.js'
import { describeProcess, runProcesses } from './containment.js'
import { fetchHealth, parseDaemonLines, portRefuses, reachableOutside, requestJson } from './daemon.js'
import { passedThrough } from './env.js'
import { HomeWatch } from './home.js'
import { CHECK_LABELS, GENERATIONS, MANAGED_UV, ORDERS_YAML, PROBE_ORDER, slQuery, type Generation, type RuntimeStatus } from './generations.js'
import { checkNode, findPackageManager, installTarball } from './install.js'
import { isProcessGone, type CommandResult, waitFor } from './process.js'
import { createSandbox, isInside } from './sandbox.js'
import { installEnv, shortenPaths, type Phase, type PhaseScope, type SmokeContext } from './smoke.js'
import type { Inputs } from './inputs.js'
import { STATE } from './state.js'
import { inspectTarball, resolveTarball } from './tarball.js'
import { countOrders, writeWarehouse } from './warehouse.js'

/** The daemon must be gone this long after `stop` at the latest. */
export const STOP_GRACE_MS = 10_000

function generation(ctx: SmokeContext): Generation {
  const g = ctx.facts.generation
  if (!g) throw new Error('the CLI generation is not known yet')
  return g
}

function samePath(a: string | undefined, b: string): boolean {
  if (!a) return false
  const real = (p: string): string => {
    try {
      return realpathSync(p)
    } catch {
      return path.resolve(p)
    }
  }
  return path.resolve(a) === path.resolve(b) || real(a) === real(b)
}

/** status --json: parsed, of the expected kind, in the sandbox's runtime root, with the generation's exit code. */
async function readStatus(ctx: SmokeContext, scope: PhaseScope, kind: string): Promise<RuntimeStatus> {
  const g = generation(ctx)
  const root = ctx.sandbox!.runtimeRoot
  const r = await scope.ktx(g.status, [completes])
  const status = parseJsonStdout<RuntimeStatus>(r)
  expect(typeof status.kind === 'string', 'status --json has no "kind"', r)
  expect(status.kind === kind, `expected runtime status "${kind}", got "${status.kind}"${status.detail ? `: ${status.detail}` : ''}`, r)
  expect(
    samePath(status.layout?.runtimeRoot, root),
    `status reports runtime root ${status.layout?.runtimeRoot ?? '(none)'}, but KTX_RUNTIME_ROOT is ${root}`,
    r
  )
  const code = g.statusExitCode(kind)
  const check = exitsWith(code)(r)
  if (check) throw new ExpectationError(`${check} (the ${g.id} generation's status exits ${code} for "${kind}")`, r)
  verify(r, [stderrEmpty()])
  return status
}

interface QueryJson {
  connectionId?: string
  dialect?: string
  sql?: string
  rows?: unknown
  totalRows?: number
  plan?: { execution?: { mode?: string; driver?: string; maxRows?: number; rowCount?: number } }
}

function daemonLines(message: RegExp, what: string): Check[] {
  return [
    exitsWith(0),
    stderrEmpty(),
    lineMatches('stdout', message, `the "${what}" line`),
    lineMatches('stdout', /^url: http:\/\/127\.0\.0\.1:\d+\/?$/, 'a "url: http://127.0.0.1:<port>" line'),
    lineMatches('stdout', /^pid: \d+$/, 'a "pid: <pid>" line')
  ]
}

/** The `uv-binary` input as an existing file, resolved against the workspace. */
function resolveUvBinary(given: string, workspace: string): string {
  const file = path.resolve(workspace, given)
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new SetupError(`Input uv-binary: no file at "${given}" (looked for ${file}). Give the path of a uv executable, or leave uv-binary empty.`)
  }
  return file
}

/**
 * Puts the given uv where the release looks for it: its managed uv path under the runtime root
 * (0.12+, contract §5), or a directory first on ktx's PATH (older releases).
 */
function placeUv(ctx: SmokeContext, s: PhaseScope, file: string, cliVersion: string): void {
  const exe = process.platform === 'win32' ? 'uv.exe' : 'uv'
  const managed = MANAGED_UV.find(m => semver.gte(cliVersion, m.since))
  const dir = managed ? path.join(ctx.sandbox!.runtimeRoot, 'uv', managed.uvVersion) : path.join(ctx.sandbox!.root, 'bin')
  mkdirSync(dir, { recursive: true })
  const target = path.join(dir, exe)
  copyFileSync(file, target)
  chmodSync(target, 0o755)
  if (!managed) ctx.pathDir = dir
  s.note(
    `uv-binary: ${file} placed at ${target}${managed ? ` (the managed uv ${managed.uvVersion} of ktx ${managed.since}+)` : ' (first on PATH, where releases before 0.12 look)'}`
  )
}

/** Decides on the cache, points the package manager and uv at the owned caches, and restores them. */
export async function restoreDownloads(ctx: SmokeContext, s: PhaseScope, nodeAbi: string, managerVersion: string): Promise<void> {
  const { inputs, services } = ctx
  if (inputs.cache === 'false') {
    ctx.facts.cache = { used: false, key: '', hit: false, reason: 'cache is false' }
    return
  }
  const dirs = cacheDirs()
  createCacheDirs(dirs)
  ctx.cacheDirs = dirs
  const service = services.cache
  if (!service) {
    ctx.facts.cache = { used: false, key: '', hit: false, reason: `a local run: downloads stay in ${dirs.root} between runs` }
    s.note(`cache: ${ctx.facts.cache.reason}`)
    return
  }
  const decision = await decideCache(inputs.cache, services.event, () => service.isFeatureAvailable())
  if (!decision.use) {
    ctx.facts.cache = { used: false, key: '', hit: false, reason: decision.reason }
    if (decision.warn) s.warn(`cache: ${decision.reason}`)
    else s.note(`cache: not used: ${decision.reason}`)
    return
  }
  const tarball = ctx.facts.tarball!
  const { key, restorePrefix } = cacheKey({
    platform: process.platform,
    arch: process.arch,
    nodeAbi,
    manager: inputs.packageManager,
    managerVersion,
    dependencies: tarball.dependencies,
    wheelSha256: tarball.assetManifest?.wheel?.sha256,
    features: inputs.features
  })
  const paths = cachedPaths(dirs, inputs.packageManager)
  let restoredKey: string | undefined
  try {
    restoredKey = await service.restoreCache(paths, key, [restorePrefix])
  } catch (error) {
    s.warn(`cache: restore failed, continuing without it: ${(error as Error).message}`)
  }
  ctx.facts.cache = { used: true, key, hit: restoredKey === key, restoredKey }
  s.note(`cache: ${restoredKey === key ? 'hit' : restoredKey ? `partial hit (${restoredKey})` : 'miss'} for ${key}`)
}

/** `start`, with the local-embeddings feature when it is asked for. */
function startArgs(ctx: SmokeContext): string[] {
  const g = generation(ctx)
  return ctx.inputs.features.includes('local-embeddings') && g.startFeature ? [...g.start, ...g.startFeature('local-embeddings')] : g.start
}

/** The daemon phases run only with `daemon: true`. */
const DAEMON_PHASE = { enabled: (ctx: SmokeContext) => ctx.inputs.daemon, skipReason: 'skipped: daemon is false' }

/** The smoke, phase by phase: what each runs and what must hold (KTX_CONTRACT.md). */
export const PHASES: Phase[] = [
  {
    name: 'install',
    title: 'Clean install of the tarball',
    async run(ctx, s) {
      const file = await resolveTarball(ctx.inputs.tarball, ctx.workspace)
      const tarball = await inspectTarball(file)
      ctx.facts.tarball = tarball
      s.note(`tarball: ${file} (${tarball.name}@${tarball.version})`)
      const uvBinary = ctx.inputs.uvBinary ? resolveUvBinary(ctx.inputs.uvBinary, ctx.workspace) : undefined
      const node = await checkNode(tarball, s)
      const manager = await findPackageManager(ctx.inputs.packageManager, s)
      const sandbox = createSandbox(ctx.runId)
      ctx.sandbox = sandbox
      ctx.saveState(STATE.sandbox, sandbox.root)
      s.note(`sandbox: ${sandbox.root}`)
      ctx.facts.runtimeRoot = sandbox.runtimeRoot
      ctx.homeWatch = new HomeWatch(sandbox.home)
      announcePassthrough(ctx, s)
      if (uvBinary) placeUv(ctx, s, uvBinary, tarball.version)
      await restoreDownloads(ctx, s, node.abi, manager.version)
      const cacheDir = ctx.cacheDirs && managerCacheDir(ctx.cacheDirs, ctx.inputs.packageManager)
      ctx.ktx = await installTarball(
        ctx.inputs.packageManager,
        manager.path,
        tarball,
        sandbox,
        ctx.inputs.installTimeoutSec,
        s,
        installEnv(ctx),
        node.path,
        cacheDir
      )
    }
  },
  {
    name: 'version',
    title: '`ktx --version` reports the tarball',
    async run(ctx, s) {
      const { name, version } = ctx.facts.tarball!
      const want = `${name} ${version}`
      const r = await s.ktx(
        ['--version'],
        [
          exitsWith(0),
          stderrEmpty(),
          r => (r.stdout.trim() === want ? undefined : `expected stdout "${want}" (from the tarball's package.json), got ${JSON.stringify(r.stdout.trim())}`)
        ]
      )
      ctx.facts.ktxVersion = r.stdout.trim().split(/\s+/).pop()
      const expected = ctx.inputs.expectedVersion
      expect(!expected || version === expected, `ktx reports version ${version}, but expected-version is ${expected}`, r)

      const choice = ctx.inputs.cliGeneration
      if (choice !== 'auto') {
        ctx.facts.generation = GENERATIONS[choice]
        s.note(`cli-generation: ${choice} (as configured)`)
        return
      }
      for (const g of PROBE_ORDER) {
        const probe = await s.ktx(g.probe, [completes])
        // The group's own help lists its `status` command; a CLI that answers an unknown group with
        // its top-level help (exit 0) does not.
        if (probe.exitCode === 0 && /^\s*status\b/m.test(probe.stdout)) {
          ctx.facts.generation = g
          s.note(`cli-generation: ${g.label} (detected)`)
          return
        }
      }
      throw new ExpectationError(
        `cannot tell the CLI generation: neither \`ktx ${PROBE_ORDER.map(g => g.probe.join(' ')).join('` nor `ktx ')}\` exits 0 with help listing a status command; set cli-generation to admin or runtime`
      )
    }
  },
  {
    name: 'runtime-missing',
    title: 'Runtime status is "missing" in a fresh runtime root',
    async run(ctx, s) {
      const status = await readStatus(ctx, s, 'missing')
      ctx.facts.statusBefore = status.kind
    }
  },
  {
    name: 'project',
    title: 'Fixture project and sqlite warehouse',
    async run(ctx, s) {
      const g = generation(ctx)
      const dir = ctx.sandbox!.projectDir
      const checks = [exitsWith(0), stderrEmpty()]
      if (g.setupStdout) checks.push(lineMatches('stdout', g.setupStdout, 'the project line'))
      await s.ktx(g.setup(dir), checks)
      writeFileSync(path.join(dir, 'ktx.yaml'), g.projectYaml)
      const rows = await writeWarehouse(path.join(dir, 'warehouse.db'))
      expect(rows === 3, `the warehouse was written with 3 orders but reads back ${rows}`)
      ctx.facts.warehouseRows = rows
      const layer = path.join(dir, 'semantic-layer', 'warehouse')
      mkdirSync(layer, { recursive: true })
      writeFileSync(path.join(layer, 'orders.yaml'), ORDERS_YAML)
      s.note(`project: ${dir} (ktx.yaml, warehouse.db with ${rows} orders, semantic-layer/warehouse/orders.yaml)`)
    }
  },
  {
    name: 'lazy-install',
    title: 'First `sl query --yes` installs the runtime from the bundled wheel',
    async run(ctx, s) {
      const g = generation(ctx)
      const r = await s.ktx(
        slQuery(ctx.sandbox!.projectDir, ['--yes']),
        [
          exitsWith(0),
          lineMatches('stderr', g.messages.installing, 'the "Installing … Python runtime (core) with uv..." line'),
          lineMatches('stderr', g.messages.ready, 'the "… Python runtime ready: <dir>" line'),
          stderrOnly(g.messages.installing, g.messages.ready),
          jsonStdout<QueryJson>(q =>
            q.connectionId !== 'warehouse'
              ? `expected "connectionId": "warehouse", got ${JSON.stringify(q.connectionId)}`
              : q.plan?.execution?.mode !== 'compile_only'
                ? `expected plan.execution.mode "compile_only", got ${JSON.stringify(q.plan?.execution?.mode)}`
                : typeof q.sql !== 'string' || q.sql === ''
                  ? 'expected the compiled "sql"'
                  : undefined
          )
        ],
        ctx.inputs.installTimeoutSec
      )
      const readyDir = firstMatch(r.stderr, g.messages.ready)?.[1]?.trim() ?? ''
      expect(
        isInside(readyDir, ctx.sandbox!.runtimeRoot),
        `the runtime was installed at ${readyDir}, outside KTX_RUNTIME_ROOT (${ctx.sandbox!.runtimeRoot})`,
        r
      )
    }
  },
  {
    name: 'runtime-ready',
    title: 'Runtime status is "ready" with the requested features',
    async run(ctx, s) {
      const status = await readStatus(ctx, s, 'ready')
      const features = status.manifest?.features ?? []
      ctx.facts.statusAfter = status.kind
      ctx.facts.statusJson = JSON.stringify(status)
      ctx.facts.features = features
      // The lazy install brings core; local-embeddings comes from its own install phase.
      const missing = ctx.inputs.features.filter(f => f !== 'local-embeddings' && !features.includes(f))
      expect(missing.length === 0, `the ready runtime lacks feature(s) ${missing.join(', ')} (it has: ${features.join(', ') || 'none'})`, s.last)
      const version = ctx.facts.tarball!.version
      const manifest = path.join(ctx.sandbox!.runtimeRoot, version, 'manifest.json')
      expect(existsSync(manifest), `status says ready, but there is no ${manifest}`, s.last)
    }
  },
  {
    name: 'query-execute',
    title: 'An executed sqlite query returns the warehouse rows',
    async run(ctx, s) {
      const count = await countOrders(path.join(ctx.sandbox!.projectDir, 'warehouse.db'))
      await s.ktx(slQuery(ctx.sandbox!.projectDir, ['--execute', '--max-rows', '100']), [
        exitsWith(0),
        stderrEmpty(),
        jsonStdout<QueryJson>(q => {
          const exec = q.plan?.execution
          if (exec?.mode !== 'executed') return `expected plan.execution.mode "executed", got ${JSON.stringify(exec?.mode)}`
          if (exec.driver !== 'sqlite') return `expected plan.execution.driver "sqlite", got ${JSON.stringify(exec.driver)}`
          if (!isDeepStrictEqual(q.rows, [[count]])) {
            return `expected rows [[${count}]] (count(*) of orders, read from the warehouse), got ${JSON.stringify(q.rows)}`
          }
          return undefined
        })
      ])
    }
  },
  {
    name: 'runtime-checks',
    title: 'Runtime checks all PASS',
    async run(ctx, s) {
      const g = generation(ctx)
      const r = await s.ktx(g.checks, [exitsWith(0), stderrEmpty()])
      const lines = parseCheckLines(r.stdout)
      const failing = lines.filter(l => l.status === 'FAIL')
      expect(
        failing.length === 0,
        `runtime check(s) failed: ${failing.map(l => `FAIL ${l.label}: ${l.detail}${l.fix ? ` (Fix: ${l.fix})` : ''}`).join('; ')}`,
        r
      )
      const absent = CHECK_LABELS.filter(label => !lines.some(l => l.label === label))
      expect(absent.length === 0, `the report lacks the check line(s): ${absent.join(', ')}`, r)
    }
  },
  {
    name: 'daemon-start',
    title: 'The daemon starts and answers /health',
    ...DAEMON_PHASE,
    async run(ctx, s) {
      const g = generation(ctx)
      const r = await s.ktx(startArgs(ctx), [])
      const info = parseDaemonLines(r.stdout)
      // Recorded before anything is checked: the post step must stop it whatever happens next.
      if (info.pid) ctx.saveState(STATE.daemonPid, String(info.pid))
      verify(r, daemonLines(g.messages.started, 'Started … daemon'))
      const { url, pid } = info as { url: string; pid: number }
      ctx.facts.daemon = { url, pid, statePath: info.state }
      const missing = ctx.inputs.features.filter(f => !(info.features ?? []).includes(f))
      expect(
        missing.length === 0,
        `the daemon's "features:" line lacks ${missing.join(', ')} (got: ${(info.features ?? []).join(', ') || 'no features line'})`,
        r
      )
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
  },
  {
    name: 'daemon-reuse',
    title: 'A second start reuses the running daemon',
    ...DAEMON_PHASE,
    async run(ctx, s) {
      const g = generation(ctx)
      const first = ctx.facts.daemon!
      const r = await s.ktx(startArgs(ctx), [])
      const info = parseDaemonLines(r.stdout)
      if (info.pid && info.pid !== first.pid) ctx.saveState(STATE.secondDaemonPid, String(info.pid))
      verify(r, daemonLines(g.messages.reused, 'Using existing … daemon'))
      expect(info.pid === first.pid, `the second start reports pid ${info.pid}, the first ${first.pid}: a new daemon was launched`, r)
      expect(info.url === first.url, `the second start reports ${info.url}, the first ${first.url}`, r)
    }
  },
  {
    name: 'daemon-stop',
    title: 'Stop ends the daemon and frees its port',
    ...DAEMON_PHASE,
    async run(ctx, s) {
      const g = generation(ctx)
      const { pid, url, statePath } = ctx.facts.daemon!
      const r: CommandResult = await s.ktx(g.stop, [exitsWith(0), stderrEmpty(), lineMatches('stdout', g.messages.stopped, 'the "Stopped … daemon" line')])
      const run = { runId: ctx.runId, root: ctx.sandbox!.root }
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
]

/** One phase per `extra-commands` line: run in the fixture project, exit 0, nothing on stderr. */
export function extraPhase(argv: string[], index: number): Phase {
  return {
    name: `extra-${index + 1}`,
    title: `\`ktx ${argv.join(' ')}\``,
    async run(_ctx, s) {
      await s.ktx(argv, [exitsWith(0), stderrEmpty()])
    }
  }
}

/** The phases of a run: the fixed ones, with the extra commands after the runtime checks. */
export function phasesFor(inputs: Inputs): Phase[] {
  const embeddings = inputs.features.includes('local-embeddings')
  const phases: Phase[] = []
  for (const phase of PHASES) {
    if (phase.name === 'daemon-stop' && embeddings) phases.push(EMBEDDINGS_COMPUTE)
    phases.push(phase)
    if (phase.name === 'runtime-checks') phases.push(...(embeddings ? [EMBEDDINGS_INSTALL] : []), ...inputs.extraCommands.map(extraPhase))
  }
  return phases
}

/** Dimensions of the local embedding model ktx ships (all-MiniLM-L6-v2). */
export const EMBEDDING_DIMENSIONS = 384

/** Problem with one embedding vector, or undefined when it is EMBEDDING_DIMENSIONS finite numbers. */
export function embeddingProblem(vector: unknown): string | undefined {
  if (!Array.isArray(vector)) return `expected an array of ${EMBEDDING_DIMENSIONS} numbers, got ${JSON.stringify(vector)?.slice(0, 100)}`
  if (vector.length !== EMBEDDING_DIMENSIONS) return `expected ${EMBEDDING_DIMENSIONS} numbers, got ${vector.length}`
  if (!vector.every(n => typeof n === 'number' && Number.isFinite(n))) return 'it holds values that are not finite numbers'
  return undefined
}

/** Opt-in with `features: local-embeddings`: its explicit install, after the runtime checks. */
export const EMBEDDINGS_INSTALL: Phase = {
  name: 'embeddings-install',
  title: 'Explicit runtime install of local-embeddings',
  async run(ctx, s) {
    const g = generation(ctx)
    if (!g.install)
      throw new SetupError(`local-embeddings needs an explicit runtime install, which the ${g.id} generation (${g.label}) does not have; drop it from features`)
    await s.ktx(g.install('local-embeddings'), [exitsWith(0), stderrOnly(g.messages.installing, g.messages.ready)], ctx.inputs.installTimeoutSec)
    const status = await readStatus(ctx, s, 'ready')
    const features = status.manifest?.features ?? []
    expect(
      features.includes('local-embeddings'),
      `after the install the runtime lists features ${features.join(', ') || 'none'}, without local-embeddings`,
      s.last
    )
    ctx.facts.features = features
    ctx.facts.statusJson = JSON.stringify(status)
  }
}

/**
 * Opt-in with `features: local-embeddings`: the daemon's embeddings API (contract §6). One text to
 * `/embeddings/compute` as `{"text"}` gives `embedding`; two to `/embeddings/compute-bulk` as
 * `{"texts"}` give `embeddings`, each EMBEDDING_DIMENSIONS finite numbers.
 */
export const EMBEDDINGS_COMPUTE: Phase = {
  name: 'embeddings-compute',
  title: 'The daemon computes embeddings',
  ...DAEMON_PHASE,
  async run(ctx, s) {
    const base = ctx.facts.daemon!.url.replace(/\/+$/, '')
    const timeoutMs = ctx.inputs.phaseTimeoutSec * 1000
    const one = `${base}/embeddings/compute`
    const single = (await requestJson('POST', one, timeoutMs, { text: 'ktx smoke: orders by status' })) as { embedding?: unknown }
    const problem = embeddingProblem(single?.embedding)
    expect(!problem, `POST ${one} with {"text"}: "embedding": ${problem}`)
    const bulk = `${base}/embeddings/compute-bulk`
    const texts = ['ktx smoke: paid orders', 'ktx smoke: open orders']
    const many = (await requestJson('POST', bulk, timeoutMs, { texts })) as { embeddings?: unknown }
    const vectors = many?.embeddings
    expect(
      Array.isArray(vectors) && vectors.length === texts.length,
      `POST ${bulk} with {"texts": [2 texts]}: expected "embeddings" with ${texts.length} vectors, got ${JSON.stringify(vectors)?.slice(0, 100)}`
    )
    for (const [i, vector] of vectors.entries()) {
      const bad = embeddingProblem(vector)
      expect(!bad, `POST ${bulk}: "embeddings"[${i}]: ${bad}`)
    }
    s.note(`embeddings: 1 + ${vectors.length} vectors of ${EMBEDDING_DIMENSIONS} numbers`)
  }
}

/** Logs which variables env-passthrough lets through to the code under test; secret-looking ones as a warning. */
function announcePassthrough(ctx: SmokeContext, s: PhaseScope): void {
  if (ctx.inputs.envPassthrough.length === 0) return
  const { names, secrets } = passedThrough(process.env, ctx.inputs.envPassthrough)
  ctx.facts.passedThrough = names
  s.note(`env-passthrough (${ctx.inputs.envPassthrough.join(', ')}) passes: ${names.join(', ') || 'no variable that is set'}`)
  if (secrets.length > 0) s.warn(`env-passthrough gives the release under test these secret-looking variables, as asked: ${secrets.join(', ')}`)
}
