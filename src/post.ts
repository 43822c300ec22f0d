import * as core from '@actions/core'
import { cleanup } from './action/post.js'

try {
  await cleanup()
} catch (error) {
  core.warning(`ktx smoke cleanup: ${(error as Error).message}`)
}
process.exit(0)
