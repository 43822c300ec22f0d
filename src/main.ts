import { run } from './action.js'

// Exit explicitly: keep-alive sockets must not hold the step open once the smoke is reported.
process.exit(await run())
