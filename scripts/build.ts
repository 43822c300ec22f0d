// `npm run build`: dist/main, dist/post and dist/summarize, one ncc bundle per runs step of action.yml and summarize/action.yml (ESM,
// minified, licenses beside), built side by side into empty folders (ncc names chunks by content,
// so a rebuild in place would leave the old ones), then terser over the chunks ncc leaves unminified.
// `npm run build -- --check` builds into a temporary folder and fails on any difference from the
// committed dist/, which it leaves as it is (tests may be running it).
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { minify } from 'terser'
import { REPO } from './lib/paths.js'

const ENTRIES = { main: 'src/main.ts', post: 'src/post.ts', summarize: 'src/summarize.ts' }

function ncc(entry: string, out: string): Promise<void> {
  const bin = path.join(REPO, 'node_modules', '.bin', 'ncc')
  const child = spawn(bin, ['build', entry, '-o', out, '--minify', '--license', 'licenses.txt', '--quiet'], {
    cwd: REPO,
    stdio: ['ignore', 'inherit', 'inherit']
  })
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', code => (code === 0 ? resolve() : reject(new Error(`ncc build ${entry} exited with ${code}`))))
  })
}

/** ncc minifies each entry's index.js but not the chunks it splits off (@actions/cache among them). */
async function minifyChunks(dir: string): Promise<void> {
  for (const file of readdirSync(dir).filter(f => /^\d+\.index\.js$/.test(f))) {
    const at = path.join(dir, file)
    const result = await minify(readFileSync(at, 'utf8'), { module: true, compress: true, mangle: true })
    if (!result.code) throw new Error(`terser gave nothing for ${at}`)
    writeFileSync(at, result.code)
  }
}

async function build(root: string): Promise<void> {
  await Promise.all(
    Object.entries(ENTRIES).map(async ([name, entry]) => {
      const out = path.join(root, name)
      rmSync(out, { recursive: true, force: true })
      await ncc(entry, out)
      await minifyChunks(out)
    })
  )
}

/** Relative path → bytes, of every file under `dir`. */
function contents(dir: string): Map<string, Buffer> {
  const found = new Map<string, Buffer>()
  if (!existsSync(dir)) return found
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const file = path.join(entry.parentPath, entry.name)
    found.set(path.relative(dir, file), readFileSync(file))
  }
  return found
}

const dist = path.join(REPO, 'dist')
if (!process.argv.includes('--check')) {
  await build(dist)
  console.log('dist/ rebuilt')
} else {
  const temp = mkdtempSync(path.join(os.tmpdir(), 'ktx-smoke-build-'))
  try {
    await build(temp)
    const built = contents(temp)
    const committed = new Map([...contents(dist)].filter(([file]) => Object.keys(ENTRIES).some(name => file.startsWith(`${name}${path.sep}`))))
    const differences = [
      ...[...built.keys()].filter(file => !committed.has(file)).map(file => `missing from dist/: ${file}`),
      ...[...committed.keys()].filter(file => !built.has(file)).map(file => `not built from src/ (stale): dist/${file}`),
      ...[...built].filter(([file, bytes]) => committed.has(file) && !bytes.equals(committed.get(file)!)).map(([file]) => `differs: dist/${file}`)
    ]
    if (differences.length > 0) {
      console.error(`dist/ is out of date with src/: run 'npm run build' and commit dist/.\n${differences.map(d => `  ${d}`).join('\n')}`)
      process.exit(1)
    }
    console.log(`dist/ matches src/ (${built.size} files)`)
  } finally {
    rmSync(temp, { recursive: true, force: true })
  }
}
