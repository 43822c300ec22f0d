// Runs the action's main and post steps locally, as a GitHub runner would, on the example tarball:
// the fixture CLI of __tests__/fixtures/ktx-cli packed with `npm pack` (or a tarball given as argument).
import path from 'node:path'
import { packFixture } from './lib/fixture.js'
import { runAction } from './lib/runner.js'

const given = process.argv[2]
const tarball = given ? path.resolve(given) : packFixture()
const packageManager = process.env.PACKAGE_MANAGER ?? 'npm'
console.log(`ktx-smoke-action on ${tarball} (package-manager: ${packageManager}, action on Node 24)\n`)

const run = await runAction({
  inputs: { tarball, 'package-manager': packageManager },
  onMainOutput: text => process.stdout.write(text),
  tempParent: path.join(process.env.RUNNER_TEMP ?? path.resolve('.test-cache'), 'example')
})
if (run.main.stderr.trim()) process.stderr.write(run.main.stderr)
console.log('\n--- post step ---')
process.stdout.write(run.post?.stdout ?? '')
console.log('\n--- step outputs ---')
for (const [name, value] of Object.entries(run.outputs)) console.log(`${name}: ${value.length > 160 ? `${value.slice(0, 160)}…` : value}`)
console.log('\n--- job summary (GITHUB_STEP_SUMMARY) ---')
process.stdout.write(run.summary)
console.log(`\nleftover processes: ${run.leftovers.length}`)
process.exit(run.outputs.result === 'passed' && run.leftovers.length === 0 ? 0 : 1)
