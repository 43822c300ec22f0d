import { workflowCommands } from './action/commands.js'
import { HANDOFF_FLAG } from './action/handoff.js'
import { resume, run } from './action/run.js'

// The runner starts `node dist/main/index.js`; the main step re-executes itself, without the
// runner's secrets, as `… --continue-from <handoff>` (action/handoff.ts).
const at = process.argv.indexOf(HANDOFF_FLAG)
let code = 1
try {
  code = at > 1 ? await resume(process.argv[at + 1], workflowCommands) : await run({ reexec: true, io: workflowCommands })
} catch (error) {
  // The action's own fault: the release was not judged.
  workflowCommands.setOutput('result', 'error')
  workflowCommands.setFailed(`ktx-smoke-action crashed (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
}
// Exit explicitly: keep-alive sockets must not hold the step open once the smoke is reported.
process.exit(code)
