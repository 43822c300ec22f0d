// `npm run clean`: removes what the tests, the example and the benchmark keep between runs
// (.test-cache: tarballs, runs, the native build cache; .tools: the Node 22/24 binaries; build/).
import { rmSync } from 'node:fs'
import path from 'node:path'
import { REPO } from './lib/paths.js'

for (const dir of ['.test-cache', '.tools', 'build']) {
  rmSync(path.join(REPO, dir), { recursive: true, force: true })
  console.log(`removed ${dir}/`)
}
