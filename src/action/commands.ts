// The post step's three workflow commands, without @actions/core: loading it (and the HTTP client
// its OIDC support brings along) took two thirds of the post step's time, which needs only these.
// Same protocol as @actions/core: state from STATE_<name>, `::warning::` with its escaping.
import { EOL } from 'node:os'
import type { Say } from '../host/cleanup.js'

export interface PostIO extends Say {
  getState(name: string): string
}

/** What @actions/core's issueCommand does to a message: `%`, CR and LF escaped. */
const escapeData = (text: string): string => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')

export const workflowCommands: PostIO = {
  getState: name => process.env[`STATE_${name}`] || '',
  info: line => {
    process.stdout.write(`${line}${EOL}`)
  },
  warning: line => {
    process.stdout.write(`::warning::${escapeData(line)}${EOL}`)
  }
}
