// The smoke, phase by phase (KTX_CONTRACT.md): the phases of a run, in order, from its inputs.
import type { Inputs } from '../../engine/inputs.js'
import type { Phase } from '../../engine/scope.js'
import { COMPARE } from './compare.js'
import { DAEMON_REUSE, DAEMON_START, DAEMON_STOP } from './daemon.js'
import { EMBEDDINGS_COMPUTE, EMBEDDINGS_INSTALL } from './embeddings.js'
import { extraPhase } from './extra.js'
import { HELP, IMPORT, SQLITE } from './installed.js'
import { furtherModes } from './modes.js'
import { INSTALL, PACKAGE } from './release.js'
import { RUNTIME_PHASES } from './runtime.js'

/** The core phases of the first install mode, the opt-in ones where they belong, then each further mode's. */
export function phasesFor(inputs: Inputs): Phase[] {
  const embeddings = inputs.features.includes('local-embeddings')
  const [version, ...runtime] = RUNTIME_PHASES
  return [
    PACKAGE,
    ...(inputs.compareTo ? [COMPARE] : []),
    INSTALL,
    IMPORT,
    version,
    HELP,
    SQLITE,
    ...runtime,
    ...(embeddings ? [EMBEDDINGS_INSTALL] : []),
    ...inputs.extraCommands.map(extraPhase),
    DAEMON_START,
    DAEMON_REUSE,
    ...(embeddings ? [EMBEDDINGS_COMPUTE] : []),
    DAEMON_STOP,
    ...furtherModes(inputs.installs.slice(1))
  ]
}
