import { workflowCommands } from './action/commands.js'
import { cleanup } from './action/post.js'

try {
  await cleanup()
} catch (error) {
  workflowCommands.warning(`ktx smoke cleanup: ${(error as Error).message}`)
}
process.exit(0)
