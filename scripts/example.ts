// `npm run example`: `ktx-smoke` (the action's engine as a command, built into build/cli) on the built-in
// example tarball, the fixture CLI of __tests__/fixtures/ktx-cli packed with `npm pack` and ktx
// 0.12's dependency set. Node 24 goes first on PATH, as setup-node would put it. Arguments are
// passed on: `npm run example -- --package-manager npm --verbose`, or a tarball of your own first.
//   `npm run example -- --runner` instead runs dist/main and dist/post as a GitHub runner does.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { EXAMPLE, packFixture } from './lib/fixture.js'
import { buildCli, nativeBuildEnv, nodeBinary } from './lib/node.js'
import { REPO } from './lib/paths.js'
import { runAction, stepPath } from './lib/runner.js'

const args = process.argv.slice(2)
const manager = args.includes('--package-manager') ? args[args.indexOf('--package-manager') + 1] : 'pnpm'
const own = args[0] && !args[0].startsWith('-') ? path.resolve(args.shift()!) : undefined
const tarball = own ?? packFixture(EXAMPLE)
// better-sqlite3 12 compiles where no prebuilt binary can be fetched: against Node 24's headers.
const env = { ...process.env, ...nativeBuildEnv(24), PATH: stepPath(24, true) }

if (args.includes('--runner')) {
  console.log(`ktx-smoke-action (dist/main + dist/post, on Node 24) on ${tarball}\n`)
  const run = await runAction({
    inputs: { tarball, 'package-manager': manager },
    env: nativeBuildEnv(24),
    onMainOutput: text => process.stdout.write(text),
    tempParent: path.join(REPO, '.test-cache', 'example')
  })
  console.log('\n--- post step ---')
  process.stdout.write(run.post?.stdout ?? '')
  console.log('\n--- step outputs ---')
  for (const [name, value] of Object.entries(run.outputs)) console.log(`${name}: ${value.length > 160 ? `${value.slice(0, 160)}…` : value}`)
  console.log('\n--- job summary (GITHUB_STEP_SUMMARY) ---')
  process.stdout.write(run.summary)
  console.log(`\nleftover processes: ${run.leftovers.length}`)
  process.exit(run.outputs.result === 'passed' && run.leftovers.length === 0 ? 0 : 1)
}

const cli = [buildCli(), tarball, ...(args.includes('--package-manager') ? [] : ['--package-manager', manager]), ...args]
const r = spawnSync(nodeBinary(24), cli, { stdio: 'inherit', env })
process.exit(r.status ?? 1)
