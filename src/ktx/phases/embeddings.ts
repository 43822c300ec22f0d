// Opt-in with `features: local-embeddings`: the feature's explicit install and the daemon's embeddings API.
import { exitsWith, expect, SetupError, stderrOnly } from '../../engine/checks.js'
import { requestJson } from '../daemon.js'
import type { Phase } from '../../engine/scope.js'
import { DAEMON_PHASE, generation, readStatus } from './common.js'

/** Dimensions of the local embedding model ktx ships (all-MiniLM-L6-v2). */
export const EMBEDDING_DIMENSIONS = 384

/** Problem with one embedding vector, or undefined when it is EMBEDDING_DIMENSIONS finite numbers. */
export function embeddingProblem(vector: unknown): string | undefined {
  if (!Array.isArray(vector)) return `expected an array of ${EMBEDDING_DIMENSIONS} numbers, got ${JSON.stringify(vector)?.slice(0, 100)}`
  if (vector.length !== EMBEDDING_DIMENSIONS) return `expected ${EMBEDDING_DIMENSIONS} numbers, got ${vector.length}`
  if (!vector.every(n => typeof n === 'number' && Number.isFinite(n))) return 'it holds values that are not finite numbers'
  return undefined
}

/** Opt-in with `features: local-embeddings`: its explicit install, after the runtime checks. */
export const EMBEDDINGS_INSTALL: Phase = {
  name: 'embeddings-install',
  title: 'Explicit runtime install of local-embeddings',
  async run(ctx, s) {
    const g = generation(ctx)
    if (!g.install)
      throw new SetupError(`local-embeddings needs an explicit runtime install, which the ${g.id} generation (${g.label}) does not have; drop it from features`)
    await s.ktx(g.install('local-embeddings'), [exitsWith(0), stderrOnly(g.messages.installing, g.messages.ready)], ctx.inputs.runtimeInstallTimeoutSec)
    const status = await readStatus(ctx, s, 'ready')
    const features = status.manifest?.features ?? []
    expect(
      features.includes('local-embeddings'),
      `after the install the runtime lists features ${features.join(', ') || 'none'}, without local-embeddings`,
      s.last
    )
    ctx.facts.features = features
  }
}

/**
 * Opt-in with `features: local-embeddings`: the daemon's embeddings API (contract §6). One text to
 * `/embeddings/compute` as `{"text"}` gives `embedding`; two to `/embeddings/compute-bulk` as
 * `{"texts"}` give `embeddings`, each EMBEDDING_DIMENSIONS finite numbers.
 */
export const EMBEDDINGS_COMPUTE: Phase = {
  name: 'embeddings-compute',
  title: 'The daemon computes embeddings',
  ...DAEMON_PHASE,
  async run(ctx, s) {
    const base = ctx.facts.daemon!.url.replace(/\/+$/, '')
    const timeoutMs = ctx.inputs.phaseTimeoutSec * 1000
    const one = `${base}/embeddings/compute`
    // The first call loads the model (ktx's own smoke allows it 900 s): runtime-install-timeout bounds it.
    const first = { text: 'ktx smoke: orders by status' }
    const single = (await requestJson('POST', one, ctx.inputs.runtimeInstallTimeoutSec * 1000, first)) as { embedding?: unknown }
    const problem = embeddingProblem(single?.embedding)
    expect(!problem, `POST ${one} with {"text"}: "embedding": ${problem}`)
    const bulk = `${base}/embeddings/compute-bulk`
    const texts = ['ktx smoke: paid orders', 'ktx smoke: open orders']
    const many = (await requestJson('POST', bulk, timeoutMs, { texts })) as { embeddings?: unknown }
    const vectors = many?.embeddings
    expect(
      Array.isArray(vectors) && vectors.length === texts.length,
      `POST ${bulk} with {"texts": [2 texts]}: expected "embeddings" with ${texts.length} vectors, got ${JSON.stringify(vectors)?.slice(0, 100)}`
    )
    for (const [i, vector] of vectors.entries()) {
      const bad = embeddingProblem(vector)
      expect(!bad, `POST ${bulk}: "embeddings"[${i}]: ${bad}`)
    }
    s.note(`embeddings: 1 + ${vectors.length} vectors of ${EMBEDDING_DIMENSIONS} numbers`)
  }
}
