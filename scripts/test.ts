// `npm test`: unit tests under this Node and under Node 24 (the runner's), then the integration
// tests, which run the committed dist/ bundles on Node 24 as a GitHub runner does.
// `npm test -- <part of a path>` runs the test files whose path contains it.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { nodeBinary } from './lib/node.js'
import { REPO } from './lib/paths.js'

/** Test files of a folder; `only` (the first argument) keeps those whose path contains it. */
const files = (dir: string, only?: string): string[] =>
  readdirSync(path.join(REPO, '__tests__', dir))
    .filter(f => f.endsWith('.test.ts'))
    .sort()
    .map(f => path.join('__tests__', dir, f))
    .filter(f => !only || f.includes(only))

const only = process.argv[2]
const node24 = nodeBinary(24)
// Installed here, once, before test files that need them run side by side.
nodeBinary(22)
// Integration test files keep their runs in folders of their own and judge only the processes of
// their own runs, so they can run side by side (TEST_CONCURRENCY=2). One at a time is the default:
// timing-sensitive tests stay steady on a loaded machine. The files whose releases leave escapees
// (processes that carry no run's marker, in sessions of their own) run alone first: a run of
// another file would rightly take those for escapees of its own.
const ALONE = ['containment.test.ts']
const integration = files('integration', only)
const alone = integration.filter(f => ALONE.includes(path.basename(f)))
const runs: [string, string, string[], number][] = [
  [`unit tests on Node ${process.versions.node}`, process.execPath, files('unit', only), 1],
  ['unit tests on Node 24', node24, files('unit', only), 1],
  ['integration tests on Node 24 that leave escapees, alone', node24, alone, 1],
  ['integration tests on Node 24', node24, integration.filter(f => !alone.includes(f)), Number(process.env.TEST_CONCURRENCY ?? 1)]
]
let failed = false
for (const [label, node, list, concurrency] of runs) {
  if (list.length === 0) continue
  console.log(`\n# ${label}`)
  const r = spawnSync(node, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...list], {
    cwd: REPO,
    stdio: 'inherit'
  })
  failed ||= r.status !== 0
}
process.exit(failed ? 1 : 0)
