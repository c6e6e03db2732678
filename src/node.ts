/**
 * `keyleash/node`: the session stores that need Node (files, Redis). Kept out of the core
 * entry so that browser bundles never see `node:fs` or `node:crypto`.
 *
 * @example
 * import { withSessionKeys } from 'keyleash'
 * import { fileStore } from 'keyleash/node'
 *
 * const store = fileStore('./sessions.jsonl', { encryptionKey: process.env.SESSION_KEY })
 * const provider = withSessionKeys(inner, { store })
 *
 * @module
 */
export * from './sessions/stores/node.js'
