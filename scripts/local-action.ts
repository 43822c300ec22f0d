// `npm run local-action [-- <tarball>] [-- --package-manager npm]`: the action's own source
// (src/action/run.ts, then src/action/post.ts) under @github/local-action, the local runner of
// GitHub's typescript-action template. It stubs @actions/core (inputs from a dotenv file, outputs
// printed as a table), runs the TypeScript in src/ directly and then the post step's run().
// This writes the dotenv file (the example tarball unless one is given, a RUNNER_TEMP and a job
// summary file in .test-cache/local-action/), puts Node 24 first on PATH and exits 0 only when
// the action set result=passed (local-action itself exits 0 either way). local-action is fetched
// with npx on first use, pinned: it is not a dependency, as it brings some 300 MB.
import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { EXAMPLE, packFixture } from './lib/fixture.js'
import { nativeBuildEnv } from './lib/node.js'
import { CACHE, REPO } from './lib/paths.js'
import { stepPath } from './lib/runner.js'

const LOCAL_ACTION = '@github/local-action@7.0.1'

const args = process.argv.slice(2)
const manager = args.includes('--package-manager') ? args[args.indexOf('--package-manager') + 1] : 'pnpm'
const tarball = args[0] && !args[0].startsWith('-') ? path.resolve(args[0]) : packFixture(EXAMPLE)

// One RUNNER_TEMP for every run, as on a self-hosted runner: the action's download caches in it
// (the pnpm store with its better-sqlite3 build) make later runs warm. The sandbox is removed by
// the post step; the reports of the previous run are replaced.
const job = path.join(CACHE, 'local-action')
const runnerTemp = path.join(job, 'temp')
mkdirSync(runnerTemp, { recursive: true })
for (const name of readdirSync(runnerTemp)) if (/^ktx-smoke-(report|junit)-/.test(name)) rmSync(path.join(runnerTemp, name))
const dotenv = path.join(job, '.env')
const summary = path.join(job, 'summary.md')
rmSync(summary, { force: true })
// The same variables as .env.example: the inputs as INPUT_<NAME>, the runner's temp dir and summary file.
writeFileSync(
  dotenv,
  [`INPUT_TARBALL=${tarball}`, `INPUT_PACKAGE-MANAGER=${manager}`, `RUNNER_TEMP=${runnerTemp}`, `GITHUB_STEP_SUMMARY=${summary}`, ''].join('\n')
)
console.log(`${LOCAL_ACTION} on ${tarball} (dotenv file: ${dotenv})\n`)

const child = spawn('npx', ['--yes', LOCAL_ACTION, 'run', '.', 'src/action/run.ts', dotenv, '--post', 'src/action/post.ts'], {
  cwd: REPO,
  // better-sqlite3 12 (the example's) compiles against Node 24's headers where no binary can be fetched.
  env: { ...process.env, ...nativeBuildEnv(24), PATH: stepPath(24, true) },
  stdio: ['ignore', 'pipe', 'inherit']
})
let log = ''
child.stdout.setEncoding('utf8').on('data', (text: string) => {
  log += text
  process.stdout.write(text)
})
child.on('close', code => {
  const result = log.match(/::set-output name=result::(\w+)/)?.[1]
  if (code !== 0) console.error(`\nlocal-action exited with ${code}`)
  console.log(`\nresult: ${result ?? '(not set)'}`)
  process.exit(code === 0 && result === 'passed' ? 0 : 1)
})
