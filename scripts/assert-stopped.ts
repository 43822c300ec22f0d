// After the action's main step: every daemon its report shows (the `pid:` and `url:` lines of the
// daemon phases) must be gone and its port closed. Used by the workflow on every runner OS.
//   tsx scripts/assert-stopped.ts <report.json>
import { readFileSync } from 'node:fs'
import { portRefuses } from '../src/ktx/daemon.js'
import { isProcessGone, waitFor } from '../src/host/command.js'

interface Report {
  phases: { name: string; commands: { stdout: string }[] }[]
}

const file = process.argv[2]
if (!file) {
  console.error("usage: tsx scripts/assert-stopped.ts <report.json> (the action's `report` output)")
  process.exit(2)
}
const report = JSON.parse(readFileSync(file, 'utf8')) as Report
const stdout = report.phases
  .filter(p => p.name.startsWith('daemon-'))
  .flatMap(p => p.commands.map(c => c.stdout))
  .join('\n')
const pids = [...new Set([...stdout.matchAll(/^pid: (\d+)$/gm)].map(m => Number(m[1])))]
const urls = [...new Set([...stdout.matchAll(/^url: (http:\/\/\S+)$/gm)].map(m => m[1]))]

const problems: string[] = []
for (const pid of pids) {
  // A process the runner has not reaped yet may linger a moment.
  if (!(await waitFor(() => isProcessGone(pid), 3000))) problems.push(`daemon pid ${pid} is still running`)
}
for (const url of urls) {
  if (!(await portRefuses(url))) problems.push(`${url} still accepts connections`)
}
console.log(`daemons seen: ${pids.join(', ') || 'none'}; urls: ${urls.join(', ') || 'none'}`)
if (problems.length > 0) {
  console.error(problems.join('\n'))
  process.exit(1)
}
console.log('no daemon of the run is left')
