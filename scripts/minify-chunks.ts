// After `ncc build --minify`: ncc minifies each entry's index.js but not the chunks it splits off
// (the lazily loaded @actions/cache among them). This minifies those too, so dist/ stays small.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { minify } from 'terser'
import { REPO } from './lib/paths.js'

for (const entry of ['main', 'post']) {
  const dir = path.join(REPO, 'dist', entry)
  for (const file of readdirSync(dir).filter(f => /^\d+\.index\.js$/.test(f))) {
    const at = path.join(dir, file)
    const result = await minify(readFileSync(at, 'utf8'), { module: true, compress: true, mangle: true })
    if (!result.code) throw new Error(`terser gave nothing for ${at}`)
    writeFileSync(at, result.code)
  }
}
