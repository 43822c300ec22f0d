// `npm run docs`: writes README's inputs and outputs tables from action.yml and summarize/action.yml,
// between the `<!-- inputs -->` / `<!-- outputs -->` (and `summarize-…`) markers, and each failure
// of docs/troubleshooting.md as a real run of the action prints it (scripts/lib/troubleshooting.ts),
// between `<!-- run: <id> -->` and `<!-- /run -->`. `--check` only says whether both files are
// current; `--tables` leaves the runs alone.
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'
import { REPO } from './lib/paths.js'

/** Where the failure blocks of the runs are. */
export const TROUBLESHOOTING = path.join('docs', 'troubleshooting.md')

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

/**
 * README with both tables of an action replaced (`inputs` / `outputs`, or with `prefix`
 * `summarize-inputs` … for summarize/action.yml); throws when a marker pair is missing.
 */
export function withTables(readme: string, actionYml: string, prefix = '', file = 'action.yml'): string {
  let text = readme
  for (const [kind, table] of Object.entries(tables(actionYml))) {
    const name = `${prefix}${kind}`
    const start = `<!-- ${name}: generated from ${file} by npm run docs -->`
    const end = `<!-- /${name} -->`
    const from = text.indexOf(start)
    const to = text.indexOf(end)
    if (from < 0 || to < from) throw new Error(`README.md lacks the ${start} … ${end} markers`)
    text = `${text.slice(0, from + start.length)}\n${table}\n${text.slice(to)}`
  }
  return text
}

/** The text docs/troubleshooting.md shows for run `id` (between `<!-- run: <id> -->` and `<!-- /run -->`), undefined without the marker. */
export function shownIn(doc: string, id: string): string | undefined {
  return doc.match(new RegExp(`<!-- run: ${id} -->\n\`\`\`text\n([\\s\\S]*?)\n\`\`\`\n<!-- /run -->`))?.[1]
}

/** docs/troubleshooting.md with the text block of every `<!-- run: <id> -->` marker replaced by `shown(id)`; throws on an unknown or unclosed one. */
export function withRuns(doc: string, shown: Map<string, string>): string {
  return doc.replace(/<!-- run: ([\w-]+) -->\n[\s\S]*?<!-- \/run -->/g, (_whole, id: string) => {
    const text = shown.get(id)
    if (text === undefined) throw new Error(`${TROUBLESHOOTING} names run ${id}, which scripts/lib/troubleshooting.ts does not have`)
    return `<!-- run: ${id} -->\n\`\`\`text\n${text}\n\`\`\`\n<!-- /run -->`
  })
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(REPO, 'scripts', 'docs.ts')) {
  const readmeFile = path.join(REPO, 'README.md')
  const troubleshootingFile = path.join(REPO, TROUBLESHOOTING)
  const readme = readFileSync(readmeFile, 'utf8')
  const troubleshooting = readFileSync(troubleshootingFile, 'utf8')
  let updated = withTables(readme, readFileSync(path.join(REPO, 'action.yml'), 'utf8'))
  updated = withTables(updated, readFileSync(path.join(REPO, 'summarize', 'action.yml'), 'utf8'), 'summarize-', 'summarize/action.yml')
  let runs = troubleshooting
  if (!process.argv.includes('--tables')) {
    const { CASES, runCase, shownFailure } = await import('./lib/troubleshooting.js')
    const { RUNS } = await import('./lib/runner.js')
    const named = new Set([...troubleshooting.matchAll(/<!-- run: ([\w-]+) -->/g)].map(m => m[1]))
    const missing = CASES.filter(c => !named.has(c.id)).map(c => c.id)
    if (missing.length > 0) throw new Error(`${TROUBLESHOOTING} has no <!-- run: … --> marker for ${missing.join(', ')}`)
    const shown = new Map<string, string>()
    // Two at a time (each in a runner layout of its own). What a case prepares (a native build, a
    // minute of blocking work) is done first, so that it does not stall the other case's run.
    const queue = CASES.map(c => (c.prepare ? { ...c, options: { ...c.prepare(), ...c.options }, prepare: undefined } : c))
    const worker = async (): Promise<void> => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const started = Date.now()
        shown.set(c.id, shownFailure(await runCase(c)))
        process.stdout.write(`docs: ran ${c.id} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`)
      }
    }
    await Promise.all([worker(), worker()])
    rmSync(RUNS, { recursive: true, force: true })
    runs = withRuns(troubleshooting, shown)
  }
  const files = [
    { file: readmeFile, before: readme, after: updated },
    { file: troubleshootingFile, before: troubleshooting, after: runs }
  ]
  for (const { file, before, after } of files) {
    const name = path.relative(REPO, file)
    if (process.argv.includes('--check')) {
      if (after !== before) {
        const at = [...after].findIndex((ch, i) => ch !== before[i])
        console.error(`${name} differs from what the action.yml files and the runs give (from: ${JSON.stringify(after.slice(at, at + 200))}): run npm run docs`)
        process.exitCode = 1
      } else console.log(`${name} matches the action.yml files and the runs`)
    } else {
      writeFileSync(file, after)
      console.log(after === before ? `${name} already current` : `${name} rewritten from the action.yml files and the runs`)
    }
  }
}
