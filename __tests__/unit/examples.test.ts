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
})
