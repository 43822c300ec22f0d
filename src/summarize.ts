import { workflowCommands } from './action/commands.js'
import { summarizeStep } from './action/summarize.js'

// The runner starts `node dist/summarize/index.js` for summarize/action.yml.
let code = 1
try {
  code = await summarizeStep(workflowCommands)
} catch (error) {
  // The action's own fault: the reports were not judged.
  workflowCommands.setOutput('result', 'error')
  workflowCommands.setFailed(
    `ktx-smoke-action summarize crashed (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`
  )
}
process.exit(code)
