// The action's workflow commands, written without @actions/core. Loading @actions/core brings the
// HTTP client of its OIDC support (undici, most of a bundle) and took two thirds of the post step's
// time and some 80 ms of each of the main step's two process images, which need only these.
// Same protocol as @actions/core: inputs from INPUT_<NAME>, state from STATE_<name>, `::warning::`
// and `::error::` with its escaping, `::group::`; outputs and state to the files GITHUB_OUTPUT and
// GITHUB_STATE name, or where the runner gives none (a local runner) as `::set-output` and
// `::save-state`. Where the runner gives the files, run.ts writes them through the guard of
// host/file-commands.ts instead, which knows every byte the action wrote.
import { appendFileSync } from 'node:fs'
import { EOL } from 'node:os'
import type { Say } from '../host/cleanup.js'
import { keyValueMessage } from '../host/file-commands.js'

/** What the post step needs. */
export interface PostIO extends Say {
  getState(name: string): string
}

/** What the main step needs. */
export interface ActionIO extends PostIO {
  getInput(name: string): string
  /** An `::error::`; the step fails (exit code 1). */
  setFailed(line: string): void
  startGroup(name: string): void
  endGroup(): void
  setOutput(name: string, value: string): void
  /** State for the post step. */
  saveState(name: string, value: string): void
  /** Appends to the job summary. */
  appendSummary(markdown: string): void | Promise<void>
}

/** What @actions/core's issueCommand does to a message: `%`, CR and LF escaped. */
const escapeData = (text: string): string => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
/** … and to a property's value: also `:` and `,`. */
const escapeProperty = (text: string): string => escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C')

const write = (line: string): void => {
  process.stdout.write(`${line}${EOL}`)
}

/** A name and value to the file the runner names in `variable`, or where it names none as the legacy `command`. */
const keyValue =
  (variable: 'GITHUB_OUTPUT' | 'GITHUB_STATE', command: string) =>
  (name: string, value: string): void => {
    const file = process.env[variable]
    if (file) appendFileSync(file, keyValueMessage(name, value))
    else write(`${command} name=${escapeProperty(name)}::${escapeData(value)}`)
  }

export const workflowCommands: ActionIO = {
  getInput: name => (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim(),
  getState: name => process.env[`STATE_${name}`] || '',
  info: write,
  warning: line => write(`::warning::${escapeData(line)}`),
  setFailed: line => {
    process.exitCode = 1
    write(`::error::${escapeData(line)}`)
  },
  startGroup: name => write(`::group::${escapeData(name)}`),
  endGroup: () => write('::endgroup::'),
  // @actions/core starts `::set-output` on a line of its own.
  setOutput: keyValue('GITHUB_OUTPUT', `${EOL}::set-output`),
  saveState: keyValue('GITHUB_STATE', '::save-state'),
  appendSummary: markdown => {
    const file = process.env.GITHUB_STEP_SUMMARY
    if (!file) throw new Error('the runner gives no GITHUB_STEP_SUMMARY file')
    appendFileSync(file, markdown)
  }
}

/**
 * The same through @actions/core, for local runners that stand in for it (`@github/local-action`
 * runs src/action/run.ts and src/action/post.ts with its own @actions/core). Never part of dist/.
 */
export async function coreCommands(): Promise<ActionIO> {
  const core = await import(/* webpackIgnore: true */ '@actions/core')
  return {
    getInput: name => core.getInput(name),
    getState: name => core.getState(name),
    info: line => core.info(line),
    warning: line => core.warning(line),
    setFailed: line => core.setFailed(line),
    startGroup: name => core.startGroup(name),
    endGroup: () => core.endGroup(),
    setOutput: (name, value) => core.setOutput(name, value),
    saveState: (name, value) => core.saveState(name, value),
    appendSummary: async markdown => {
      await core.summary.addRaw(markdown).write()
    }
  }
}
