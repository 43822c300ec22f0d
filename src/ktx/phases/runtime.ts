// The runtime phases of the first install: version and generation, the runtime before and after the
// lazy install, the fixture project, an executed query, the runtime checks.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
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
  stderrEmpty,
  stderrOnly
} from '../../engine/checks.js'
import { CHECK_LABELS, GENERATIONS, ORDERS_YAML, PROBE_ORDER, REVENUE_WIKI, slQuery } from '../generations.js'
import { isInside } from '../../host/sandbox.js'
import type { Phase } from '../../engine/scope.js'
import { countOrders, writeWarehouse } from '../warehouse.js'
import { executedCount, generation, readStatus, searchFinds, versionChecks, type QueryJson } from './common.js'
import { followStatusUv } from './downloads.js'
import { timeStartup } from './compare.js'

/** Writes `text` to `rel` (with `/`) under `dir`, making its folders. */
function writeInto(dir: string, rel: string, text: string): void {
  const file = path.join(dir, ...rel.split('/'))
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, text)
}

export const RUNTIME_PHASES: Phase[] = [
  {
    name: 'version',
    title: '`ktx --version` reports the tarball; its start-up time',
    async run(ctx, s) {
      const { name, version } = ctx.facts.tarball!
      const r = await s.ktx(['--version'], versionChecks(name, version))
      ctx.facts.ktxVersion = r.stdout.trim().split(/\s+/).pop()
      await timeStartup(ctx, s)

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
      followStatusUv(ctx, s, status)
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
      // ktx's own smoke sets up a second project in a new empty directory too.
      await s.ktx(g.setup(path.join(ctx.sandbox!.root, 'second-project')), checks)
      writeFileSync(path.join(dir, 'ktx.yaml'), g.projectYaml)
      const rows = await writeWarehouse(ctx, s, path.join(dir, 'warehouse.db'))
      writeInto(dir, 'wiki/global/revenue.md', REVENUE_WIKI)
      writeInto(dir, 'semantic-layer/warehouse/orders.yaml', ORDERS_YAML)
      s.note(`project: ${dir} (ktx.yaml, warehouse.db with ${rows} orders, wiki/global/revenue.md, semantic-layer/warehouse/orders.yaml)`)
    }
  },
  {
    name: 'search',
    title: 'Wiki and semantic-layer search, before any runtime',
    enabled: ctx => ctx.facts.generation?.id === 'admin',
    skipReason: 'skipped: the runtime generation is smoked without search, as its release smoke was',
    async run(ctx, s) {
      const dir = ctx.sandbox!.projectDir
      const wiki = { key: 'revenue', path: 'wiki/global/revenue.md' }
      await s.ktx(['wiki', 'revenue', '--json', '--limit', '5', '--project-dir', dir], [exitsWith(0), stderrEmpty(), searchFinds('wiki', wiki)])
      const index = path.join(dir, '.ktx', 'db.sqlite')
      expect(existsSync(index), `the wiki search left no search index at ${index}`, s.last)
      const source = { connectionId: 'warehouse', name: 'orders' }
      await s.ktx(['sl', 'orders', '--json', '--connection-id', 'warehouse', '--project-dir', dir], [exitsWith(0), stderrEmpty(), searchFinds('sl', source)])
      s.note('wiki search found wiki/global/revenue.md, sl search the orders source; the index is .ktx/db.sqlite')
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
          lineMatches('stdout', /orders/, 'the compiled query over orders'),
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
        ctx.inputs.runtimeInstallTimeoutSec
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
      ctx.facts.features = features
      // The lazy install brings core and nothing else (ktx's own smoke asks for exactly that);
      // local-embeddings comes from its own install phase.
      expect(
        isDeepStrictEqual(features, ['core']),
        `after the lazy install the runtime lists features ${JSON.stringify(features)}, expected exactly ["core"]`,
        s.last
      )
      const version = ctx.facts.tarball!.version
      const manifest = path.join(ctx.sandbox!.runtimeRoot, version, 'manifest.json')
      expect(existsSync(manifest), `status says ready, but there is no ${manifest}`, s.last)
    }
  },
  {
    name: 'query-execute',
    title: 'An executed sqlite query returns the warehouse rows',
    async run(ctx, s) {
      const count = await countOrders(ctx, s, path.join(ctx.sandbox!.projectDir, 'warehouse.db'))
      await s.ktx(slQuery(ctx.sandbox!.projectDir, ['--execute', '--max-rows', '100']), [exitsWith(0), stderrEmpty(), executedCount(count)])
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
  }
]
