// `npm run build:cli`: the ktx-smoke bundle starts with `#!/usr/bin/env node`, so that `npm link`,
// `npx ktx-smoke` and a global install can run it as a command.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { REPO } from './lib/paths.js'

const file = path.join(REPO, 'build', 'cli', 'index.js')
const code = readFileSync(file, 'utf8')
if (!code.startsWith('#!')) writeFileSync(file, `#!/usr/bin/env node\n${code}`)
chmodSync(file, 0o755)
