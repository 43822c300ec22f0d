// `npm run size`: what `uses: kaelio/ktx-smoke-action@v1` downloads stays small. The repository's
// archive at HEAD is at most 3 MB gzipped, dist/ at most 5 MB, and dist/ holds no native binary.
import { execSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { REPO } from './lib/paths.js'

const LIMITS = { archiveGzip: 3_000_000, dist: 5_000_000 }

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap(e => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]))

const archive = execSync('git archive HEAD', { cwd: REPO, maxBuffer: 512 * 1024 * 1024 })
const archiveGzip = gzipSync(archive, { level: 9 }).length
const distFiles = files(path.join(REPO, 'dist'))
const dist = distFiles.reduce((sum, f) => sum + statSync(f).size, 0)
const native = distFiles.filter(f => f.endsWith('.node')).map(f => path.relative(REPO, f))

const rows: [string, number, number][] = [
  ['git archive HEAD, gzip -9', archiveGzip, LIMITS.archiveGzip],
  ['dist/', dist, LIMITS.dist]
]
for (const [what, bytes, limit] of rows) console.log(`${what}: ${bytes.toLocaleString('en')} bytes (limit ${limit.toLocaleString('en')})`)
const problems = [
  ...rows.filter(([, bytes, limit]) => bytes > limit).map(([what, bytes, limit]) => `${what} is ${bytes} bytes, over ${limit}`),
  ...native.map(f => `dist/ holds a native binary: ${f}`)
]
for (const p of problems) console.error(`size: ${p}`)
process.exit(problems.length ? 1 : 0)
