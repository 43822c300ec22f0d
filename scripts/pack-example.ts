// Packs the example tarball (the fixture CLI of __tests__/fixtures/ktx-cli) and prints its path;
// in a workflow step it also sets the step output `tarball`.
//   tsx scripts/pack-example.ts [--generation admin|runtime] [--faults a,b]
import { appendFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { EXAMPLE, packFixture } from './lib/fixture.js'

const { values } = parseArgs({ options: { generation: { type: 'string', default: 'admin' }, faults: { type: 'string', default: '' } } })
if (values.generation !== 'admin' && values.generation !== 'runtime') {
  console.error(`--generation must be admin or runtime, not "${values.generation}"`)
  process.exit(2)
}
const tarball = packFixture({ ...EXAMPLE, generation: values.generation, faults: values.faults.split(',').filter(Boolean) })
console.log(tarball)
if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, `tarball=${tarball}\n`)
