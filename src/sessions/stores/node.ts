/**
 * The Node-only stores (they use `node:fs` / `node:crypto`), for a Node entry such as
 * `keyleash/node`; never import this from the core entry, or browser bundles break.
 *
 * @example
 * import { fileStore, redisStore } from './sessions/stores/node.js'
 */
export { fileStore, type FileStoreOptions } from './fileStore.js'
export { redisStore, type RedisArg, type RedisClient, type RedisStoreOptions } from './redisStore.js'
export type { IoredisClient, NodeRedisClient } from './redis/connections.js'
