// A native module (better-sqlite3's .node) that will not load under the Node on PATH because it
// was built for another Node: named as such, with whose fault it is. A binary the tarball itself
// ships is the release's; one the install built during this run, for another Node than the one the
// release runs on, is the runner's setup (a leftover `nodedir`, a cached build from another Node).
import path from 'node:path'

/** Node's module ABI (NODE_MODULE_VERSION) by Node major. */
const NODE_OF_ABI: Record<number, number> = { 93: 16, 108: 18, 115: 20, 120: 21, 127: 22, 131: 23, 137: 24, 141: 25 }

export interface WrongAbi {
  /** The .node file, as the error names it. */
  module: string
  /** What it was built for, and what the Node running it requires. */
  builtFor: number
  requires: number
}

/** The wrong-ABI error of Node in a command's output, if there is one (its lines may be wrapped). */
export function wrongAbi(text: string): WrongAbi | undefined {
  const flat = text.replace(/\s+/g, ' ')
  const m = flat.match(
    /The module '([^']+?\.node)' was compiled against a different Node\.js version using NODE_MODULE_VERSION (\d+)\. This version of Node\.js requires NODE_MODULE_VERSION (\d+)/
  )
  return m ? { module: m[1], builtFor: Number(m[2]), requires: Number(m[3]) } : undefined
}

/** `Node 20 (NODE_MODULE_VERSION 115)`. */
export function describeAbi(abi: number): string {
  const major = NODE_OF_ABI[abi]
  return major ? `Node ${major} (NODE_MODULE_VERSION ${abi})` : `NODE_MODULE_VERSION ${abi}`
}

export interface AbiVerdict {
  /** `failed`: the tarball ships the binary; `error`: this run's install built it for another Node. */
  verdict: 'failed' | 'error'
  reason: string
  remedy: string
}

/**
 * Whose fault a wrong-ABI module is, and what to do: `shipped` tells whether the tarball itself
 * carries the file (its path inside the package, as the package lists its files).
 */
export function judgeWrongAbi(found: WrongAbi, node: { version?: string; path?: string }, shipped: boolean): AbiVerdict {
  const name = path.basename(found.module)
  const onPath = `the Node on PATH is ${describeAbi(found.requires)}${node.version ? `, ${node.version}` : ''}${node.path ? ` at ${node.path}` : ''}`
  const reason = `${name} was built for ${describeAbi(found.builtFor)}, but ${onPath}: it cannot load (${found.module})`
  if (shipped) {
    return {
      verdict: 'failed',
      reason,
      remedy: `the tarball ships this prebuilt binary for ${describeAbi(found.builtFor)}: build it for every Node that engines.node allows, or leave it to the install (a prebuilt download or node-gyp) to build.`
    }
  }
  return {
    verdict: 'error',
    reason,
    remedy: `this run's install built it for another Node than the one on PATH, so the runner's setup is at fault, not the release. Likely causes: a nodedir or target in the npm config (npm_config_nodedir / npm_config_target, or nodedir=… in ~/.npmrc) that names another Node; a build cached from another Node in the package manager's cache or store, or in node-gyp's header cache; several Nodes on PATH. Remove the setting or the cache, or put the Node the release should run on first on PATH (actions/setup-node).`
  }
}
