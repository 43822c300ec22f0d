// `extra-commands`: one phase per line, run in the fixture project.
import { exitsWith, stderrEmpty } from '../../engine/checks.js'
import type { Phase } from '../../engine/scope.js'

/** One phase per `extra-commands` line: run in the fixture project, exit 0, nothing on stderr. */
export function extraPhase(argv: string[], index: number): Phase {
  return {
    name: `extra-${index + 1}`,
    title: `\`ktx ${argv.join(' ')}\``,
    async run(_ctx, s) {
      await s.ktx(argv, [exitsWith(0), stderrEmpty()])
    }
  }
}
