import * as core from '@actions/core'
import { run } from './action.js'

let code = 1
try {
  code = await run()
} catch (error) {
  core.setOutput('result', 'failed')
  core.setFailed(`ktx smoke crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
}
// Exit explicitly: keep-alive sockets must not hold the step open once the smoke is reported.
process.exit(code)
