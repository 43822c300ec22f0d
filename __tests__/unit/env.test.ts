import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isSecretName, passedThrough, RUN_MARKER, sealedEnv } from '../../src/host/env.js'
import { InputError } from '../../src/engine/inputs.js'
import { parsePassthrough } from '../../src/engine/parse-inputs.js'

/** A runner's environment: secrets, inputs, state, and what the code under test legitimately needs. */
const RUNNER: NodeJS.ProcessEnv = {
  PATH: '/opt/node/bin:/usr/bin',
  HOME: '/home/runner',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  CI: 'true',
  HTTPS_PROXY: 'http://proxy:3128',
  no_proxy: 'localhost',
  NODE_EXTRA_CA_CERTS: '/etc/ca.pem',
  npm_config_cafile: '/etc/ca.pem',
  npm_config_registry: 'https://registry.example/',
  'npm_config_//registry.example/:_authToken': 'npm-secret',
  npm_config__auth: 'basic-secret',
  npm_lifecycle_event: 'test',
  NPM_CONFIG_USERCONFIG: '/home/runner/work/_temp/.npmrc',
  PNPM_HOME: '/home/runner/setup-pnpm',
  XDG_CONFIG_HOME: '/home/runner/.config',
  UV_INDEX_URL: 'https://pypi.example/simple',
  TMPDIR: '/tmp',
  RUNNER_TEMP: '/home/runner/work/_temp',
  GITHUB_WORKSPACE: '/home/runner/work/x',
  GITHUB_TOKEN: 'ghs_secret',
  ACTIONS_RUNTIME_TOKEN: 'runtime-secret',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc-secret',
  ACTIONS_ID_TOKEN_REQUEST_URL: 'https://oidc',
  ACTIONS_CACHE_URL: 'https://cache',
  ACTIONS_RESULTS_URL: 'https://results',
  INPUT_TARBALL: 'x.tgz',
  STATE_sandbox: '/tmp/s',
  NODE_AUTH_TOKEN: 'node-auth-secret',
  AWS_SECRET_ACCESS_KEY: 'aws-secret',
  DEPLOY_KEY: 'deploy-secret',
  MY_PASSWORD: 'pw',
  KTX_PROJECT_DIR: '/elsewhere',
  FORCE_COLOR: '1',
  [RUN_MARKER]: 'the-runner-s-own'
}

describe('the sealed environment', () => {
  it('passes what the code under test needs and no secret, input or state', () => {
    const env = sealedEnv(RUNNER, { runId: 'run-1', passthrough: [] })
    assert.deepEqual(
      Object.keys(env).sort(),
      [
        'CI',
        'HOME',
        'HTTPS_PROXY',
        'LANG',
        'LC_ALL',
        'NODE_EXTRA_CA_CERTS',
        'NPM_CONFIG_USERCONFIG',
        'PATH',
        'PNPM_HOME',
        RUN_MARKER,
        'TMPDIR',
        'UV_INDEX_URL',
        'XDG_CONFIG_HOME',
        'no_proxy',
        'npm_config_cafile',
        'npm_config_registry'
      ].sort()
    )
    assert.equal(env[RUN_MARKER], 'run-1')
    for (const value of Object.values(env)) assert.doesNotMatch(String(value), /secret|pw/)
  })

  it('gives ktx the sandbox HOME, XDG dirs and temp dir, and sets what it is told to', () => {
    const env = sealedEnv(RUNNER, {
      runId: 'run-1',
      passthrough: [],
      home: { home: '/s/home', tmp: '/s/tmp' },
      set: { KTX_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', KTX_RUNTIME_ROOT: '/s/runtime-root' }
    })
    assert.equal(env.HOME, '/s/home')
    assert.equal(env.USERPROFILE, '/s/home')
    assert.equal(env.XDG_CONFIG_HOME, '/s/home/.config')
    assert.equal(env.XDG_CACHE_HOME, '/s/home/.cache')
    assert.equal(env.TMPDIR, '/s/tmp')
    assert.equal(env.KTX_TELEMETRY_DISABLED, '1')
    assert.equal(env.DO_NOT_TRACK, '1')
    assert.equal(env.KTX_RUNTIME_ROOT, '/s/runtime-root')
    assert.equal(env.npm_config_cafile, '/etc/ca.pem', 'CA settings stay')
    assert.equal(env.KTX_PROJECT_DIR, undefined)
  })

  it('env-passthrough lets named variables and PREFIX_* patterns through, secrets too, and says which', () => {
    const env = sealedEnv(RUNNER, { runId: 'r', passthrough: ['NODE_AUTH_TOKEN', 'GITHUB_*'] })
    assert.equal(env.NODE_AUTH_TOKEN, 'node-auth-secret')
    assert.equal(env.GITHUB_TOKEN, 'ghs_secret')
    assert.equal(env.GITHUB_WORKSPACE, '/home/runner/work/x')
    assert.equal(env.ACTIONS_RUNTIME_TOKEN, undefined)
    assert.deepEqual(passedThrough(RUNNER, ['NODE_AUTH_TOKEN', 'GITHUB_*', 'NOT_SET']), {
      names: ['GITHUB_TOKEN', 'GITHUB_WORKSPACE', 'NODE_AUTH_TOKEN'],
      secrets: ['GITHUB_TOKEN', 'NODE_AUTH_TOKEN']
    })
  })

  it('knows a credential by its name', () => {
    for (const name of ['GITHUB_TOKEN', 'ACTIONS_CACHE_URL', 'INPUT_X', 'NPM_TOKEN', 'X_SECRET', 'SSH_KEY', 'npm_config__auth', 'DB_PASSWORD'])
      assert.ok(isSecretName(name), name)
    for (const name of ['PATH', 'KEYBOARD', 'TOKENIZERS_PARALLELISM', 'npm_config_cafile']) assert.ok(!isSecretName(name), name)
  })

  it('env-passthrough is read as names and patterns; anything else is refused, naming the input', () => {
    assert.deepEqual(parsePassthrough('NODE_AUTH_TOKEN, MY_*\nOTHER'), ['NODE_AUTH_TOKEN', 'MY_*', 'OTHER'])
    assert.deepEqual(parsePassthrough(''), [])
    assert.throws(
      () => parsePassthrough('GOOD, bad-name, *'),
      (e: Error) =>
        e instanceof InputError &&
        e.message ===
          'Invalid env-passthrough: "bad-name", "*". Give variable names (e.g. NODE_AUTH_TOKEN) or PREFIX_* patterns (e.g. MY_PROXY_*), separated by commas or newlines.'
    )
  })
})
