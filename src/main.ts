import * as core from '@actions/core'
import { run } from './action/run.js'

let code = 1
try {
  code = await run()
} catch (error) {
  // The action's own fault: the release was not judged.
  core.setOutput('result', 'error')
  core.setFailed(`ktx-smoke-action crashed (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
}
// Exit explicitly: keep-alive sockets must not hold the step open once the smoke is reported.
process.exit(code)
