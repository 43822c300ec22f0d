// `npm run build:cli` (after ncc): build/cli becomes the ktx-smoke package, publishable on its own
// (`npm publish ./build/cli`). Its bundle needs nothing else, so the package declares no
// dependency: a global install adds one package. The bundle starts with `#!/usr/bin/env node`, so
// that `npm link`, `npx` and a global install run it as a command.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { REPO } from './lib/paths.js'

const dir = path.join(REPO, 'build', 'cli')
const file = path.join(dir, 'index.js')
const code = readFileSync(file, 'utf8')
if (!code.startsWith('#!')) writeFileSync(file, `#!/usr/bin/env node\n${code}`)
chmodSync(file, 0o755)

const root = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }
const manifest = {
  name: '@kaelio/ktx-smoke',
  version: root.version,
  description: 'Smoke a packed @kaelio/ktx tarball the way its release gate does: clean install, managed Python runtime, daemon.',
  type: 'module',
  bin: { 'ktx-smoke': 'index.js' },
  engines: { node: '>=22' },
  files: ['*.js', 'licenses.txt', 'README.md'],
  repository: { type: 'git', url: 'git+https://github.com/kaelio/ktx-smoke-action.git' },
  keywords: ['ktx', 'smoke-test', 'release']
}
writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
writeFileSync(
  path.join(dir, 'README.md'),
  `# @kaelio/ktx-smoke

\`ktx-smoke\`: the engine of [ktx-smoke-action](https://github.com/kaelio/ktx-smoke-action) as a command.
It smokes a packed \`@kaelio/ktx\` tarball (or a published version) the way the action does: a clean
install with npm or pnpm, the managed Python runtime in a root of its own, the daemon, and what
changed since another release.

\`\`\`sh
npx @kaelio/ktx-smoke ./kaelio-ktx-0.12.0.tgz [--package-manager pnpm] [--compare-to latest] [--json]
\`\`\`

It needs Node 22 or newer. It exits 0 when the release passed, 1 when it failed, 2 for a usage or
environment error and 130 when interrupted. \`ktx-smoke --help\` lists the options; the action's
README says what each phase checks.
`
)
