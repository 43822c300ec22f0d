// `npm run docs`: writes README's inputs and outputs tables from action.yml, between the
// `<!-- inputs -->` / `<!-- outputs -->` markers. `--check` only says whether README is current.
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'
import { REPO } from './lib/paths.js'

interface ActionYml {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>
  outputs: Record<string, { description: string }>
}

const cell = (text: string): string => text.trim().replace(/\s+/g, ' ').replace(/\|/g, '\\|')

export function tables(actionYml: string): { inputs: string; outputs: string } {
  const action = parse(actionYml) as ActionYml
  const inputs = [
    '| input | meaning | default |',
    '|---|---|---|',
    ...Object.entries(action.inputs).map(([name, spec]) => {
      const fallback = spec.required ? 'required' : spec.default ? `\`${spec.default}\`` : 'empty'
      return `| \`${name}\` | ${cell(spec.description)} | ${fallback} |`
    })
  ].join('\n')
  const outputs = [
    '| output | meaning |',
    '|---|---|',
    ...Object.entries(action.outputs).map(([name, spec]) => `| \`${name}\` | ${cell(spec.description)} |`)
  ].join('\n')
  return { inputs, outputs }
}

/** README with both tables replaced; throws when a marker pair is missing. */
export function withTables(readme: string, actionYml: string): string {
  let text = readme
  for (const [name, table] of Object.entries(tables(actionYml))) {
    const start = `<!-- ${name}: generated from action.yml by npm run docs -->`
    const end = `<!-- /${name} -->`
    const from = text.indexOf(start)
    const to = text.indexOf(end)
    if (from < 0 || to < from) throw new Error(`README.md lacks the ${start} … ${end} markers`)
    text = `${text.slice(0, from + start.length)}\n${table}\n${text.slice(to)}`
  }
  return text
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(REPO, 'scripts', 'docs.ts')) {
  const readmeFile = path.join(REPO, 'README.md')
  const readme = readFileSync(readmeFile, 'utf8')
  const updated = withTables(readme, readFileSync(path.join(REPO, 'action.yml'), 'utf8'))
  if (process.argv.includes('--check')) {
    if (updated !== readme) {
      console.error('README.md inputs/outputs tables differ from action.yml: run npm run docs')
      process.exit(1)
    }
    console.log('README.md tables match action.yml')
  } else {
    writeFileSync(readmeFile, updated)
    console.log(updated === readme ? 'README.md already current' : 'README.md tables rewritten from action.yml')
  }
}
