// The offline commands the contract test runs on the fixture CLI and on the real ktx, each CLI in a
// work dir of its own (HOME, runtime root, an empty dir, the project), and what they printed,
// normalised so that only the CLIs' own differences remain.
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { ADMIN, ORDERS_YAML, REVENUE_WIKI } from '../../src/ktx/generations.js'
import { KTX_ENV } from '../../src/host/env.js'
import { WAREHOUSE_SQL } from '../../src/ktx/warehouse.js'

export interface Outcome {
  command: string
  exitCode: number | null
  /** Which streams were written. */
  wrote: { stdout: boolean; stderr: boolean }
  stdout: string
  stderr: string
}

export interface Cli {
  /** The ktx bin to run. */
  bin: string
  /** The folder the package is installed in (its node_modules and package dir are normalised). */
  installDir: string
  /** Extra environment (the fixture's switches). */
  env?: Record<string, string>
}

const SKIPS = ['--no-input', '--yes', '--skip-llm', '--skip-embeddings', '--skip-databases', '--skip-sources', '--skip-agents']

/** Paths of the work dir, the install and the Node binary become placeholders. */
function normalise(text: string, work: string, cli: Cli, node: string): string {
  return text
    .split(path.join(cli.installDir, 'node_modules', '@kaelio', 'ktx'))
    .join('$PACKAGE')
    .split(path.join(cli.installDir, 'node_modules'))
    .join('$NODE_MODULES')
    .split(work)
    .join('$WORK')
    .split(node)
    .join('$NODE')
}

/** Runs the contract's offline commands on `cli` in `work`, with `node` first on PATH (`pathValue`). */
export function runContract(cli: Cli, work: string, pathValue: string, node: string): Outcome[] {
  const dirs = { home: path.join(work, 'home'), root: path.join(work, 'runtime-root'), empty: path.join(work, 'empty'), project: path.join(work, 'project') }
  for (const dir of [dirs.home, dirs.empty]) mkdirSync(dir, { recursive: true })
  const env: NodeJS.ProcessEnv = {
    PATH: pathValue,
    HOME: dirs.home,
    KTX_RUNTIME_ROOT: dirs.root,
    LANG: 'C.UTF-8',
    ...KTX_ENV,
    ...cli.env
  }
  for (const name of ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy']) {
    if (process.env[name]) env[name] = process.env[name]
  }
  const outcomes: Outcome[] = []
  const run = (args: string[], cwd = dirs.empty): void => {
    const r = spawnSync(cli.bin, args, { cwd, env, encoding: 'utf8', timeout: 60_000 })
    const shown = (text: string): string => normalise(text, work, cli, node)
    outcomes.push({
      command: `ktx ${args.map(a => normalise(a, work, cli, node)).join(' ')}`,
      exitCode: r.status,
      wrote: { stdout: r.stdout !== '', stderr: r.stderr !== '' },
      stdout: shown(r.stdout),
      stderr: shown(r.stderr)
    })
  }
  run(['--version'])
  run(['--help'])
  run(['setup', '--help'])
  run(ADMIN.probe)
  run(['runtime', '--help'])
  run(['status', '--verbose', '--no-input'])
  run(ADMIN.status)
  run(ADMIN.setup(dirs.project))
  run(['setup', '--project-dir', path.join(work, 'second-project'), ...SKIPS])
  // The project as ktx's release smoke leaves it before the lazy install.
  writeFileSync(path.join(dirs.project, 'ktx.yaml'), ADMIN.projectYaml)
  const db = new DatabaseSync(path.join(dirs.project, 'warehouse.db'))
  db.exec(WAREHOUSE_SQL)
  db.close()
  mkdirSync(path.join(dirs.project, 'wiki', 'global'), { recursive: true })
  writeFileSync(path.join(dirs.project, 'wiki', 'global', 'revenue.md'), REVENUE_WIKI)
  mkdirSync(path.join(dirs.project, 'semantic-layer', 'warehouse'), { recursive: true })
  writeFileSync(path.join(dirs.project, 'semantic-layer', 'warehouse', 'orders.yaml'), ORDERS_YAML)
  run(['wiki', 'revenue', '--json', '--limit', '5', '--project-dir', dirs.project])
  run(['sl', 'orders', '--json', '--connection-id', 'warehouse', '--project-dir', dirs.project])
  run(['sl', 'query', '--measure', 'orders.order_count', '--project-dir', dirs.project])
  run(['sl', 'query', '--connection-id', 'warehouse', '--measure', 'orders.order_count', '--no-input', '--project-dir', dirs.project])
  // Offline, the lazy install stops at uv's download (the fixture is told so by install-offline).
  run(['sl', 'query', '--connection-id', 'warehouse', '--measure', 'orders.order_count', '--format', 'json', '--yes', '--project-dir', dirs.project])
  run(['--bogus'])
  return outcomes
}
