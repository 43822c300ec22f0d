import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { parse } from 'yaml'

const read = (file: string): string => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')

/** The first ```yaml block after a README heading. */
function readmeWorkflow(heading: string): string {
  const readme = read('README.md')
  const at = readme.indexOf(`### ${heading}`)
  assert.ok(at >= 0, `README has no "### ${heading}"`)
  const start = readme.indexOf('```yaml\n', at) + '```yaml\n'.length
  return readme.slice(start, readme.indexOf('```', start))
}

describe("README's workflows are the examples", () => {
  for (const [heading, file] of [
    ['Release gate', 'release-gate.yml'],
    ['PR check on packaging changes', 'pr-check.yml'],
    ['After publishing', 'post-publish.yml']
  ]) {
    it(`${heading} = examples/${file}`, () => {
      const example = parse(read(`examples/${file}`)) as Record<string, unknown>
      delete example.name
      assert.deepEqual(parse(readmeWorkflow(heading)), example)
    })
  }

  it('one major version of each action everywhere', () => {
    const texts = [
      read('README.md'),
      ...readdirSync(new URL('../../examples', import.meta.url)).map(f => read(`examples/${f}`)),
      read('.github/workflows/test.yml')
    ]
    const versions = new Map<string, Set<string>>()
    for (const [, action, major] of texts.join('\n').matchAll(/uses: ([\w./-]+)@(v\d+)/g)) {
      versions.set(action, new Set([...(versions.get(action) ?? []), major]))
    }
    const mixed = [...versions].filter(([, majors]) => majors.size > 1).map(([action, majors]) => `${action}: ${[...majors].join(', ')}`)
    assert.deepEqual(mixed, [])
  })

  /** A workflow expression, `${{ … }}`, as the YAML holds it. */
  const gh = (expression: string): string => `\${{ ${expression} }}`
  interface Step {
    id?: string
    uses?: string
    if?: string
    with?: Record<string, string | number>
  }
  interface Job {
    needs?: string | string[]
    if?: string
    strategy?: { matrix: Record<string, unknown[]> }
    steps: Step[]
  }

  for (const file of ['matrix.yml', 'release-gate.yml', 'nightly.yml']) {
    it(`examples/${file}: every cell uploads its report, one summarize job (kaelio/ktx-smoke-action/summarize) expects them all`, () => {
      const { jobs } = parse(read(`examples/${file}`)) as { jobs: Record<string, Job> }
      const smoke = jobs.smoke
      const cells = Object.values(smoke.strategy!.matrix).reduce((n, values) => n * values.length, 1)
      const step = smoke.steps.find(s => s.uses === 'kaelio/ktx-smoke-action@v1')!
      assert.equal(step.id, 'smoke')
      assert.equal(step.with?.cell, `${gh('matrix.os')} node${gh('matrix.node')} ${gh('matrix.package-manager')}`)
      const upload = smoke.steps.find(s => s.uses?.startsWith('actions/upload-artifact@'))!
      assert.equal(upload.with?.path, gh('steps.smoke.outputs.report'))
      assert.match(String(upload.with?.name), /^ktx-smoke-/)
      assert.match(String(upload.if), /^always\(\)/, 'a red cell uploads its report too')
      const summarize = jobs.summarize
      assert.equal(summarize.needs, 'smoke')
      assert.match(String(summarize.if), /^always\(\)/, 'a red cell still gets its table')
      const download = summarize.steps.find(s => s.uses?.startsWith('actions/download-artifact@'))!
      assert.equal(download.with?.pattern, 'ktx-smoke-*')
      const merge = summarize.steps.find(s => s.uses === 'kaelio/ktx-smoke-action/summarize@v1')!
      assert.equal(merge.with?.reports, download.with?.path)
      assert.equal(Number(merge.with?.['expected-cells']), cells)
    })
  }

  it('the release gate publishes only what summarize passed: its result and its one tarball integrity', () => {
    const { jobs } = parse(read('examples/release-gate.yml')) as { jobs: Record<string, Job & { outputs?: Record<string, string> }> }
    assert.equal(jobs.publish.needs, 'summarize')
    assert.equal(jobs.publish.if, "needs.summarize.outputs.result == 'passed'")
    assert.equal(jobs.summarize.outputs?.integrity, gh('steps.matrix.outputs.tarball-integrity'))
    assert.match(read('examples/release-gate.yml'), /SMOKED: \$\{\{ needs\.summarize\.outputs\.integrity \}\}/)
  })
})
