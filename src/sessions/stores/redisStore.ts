import { randomUUID } from 'node:crypto'
import { InternalError, InvalidParamsError } from '../../errors.js'
import type { StoreBackend } from './backend.js'
import { nodeKeyRing } from './nodeRecordAuth.js'
import { keyRingOf, partitionOf, type StoreOptions } from './options.js'
import { createPersistentStore, tombstoneOf, type PersistentStore } from './persistentStore.js'
import { isUnreachable, topologyOf, type IoredisClient, type NodeRedisClient } from './redis/connections.js'
import { assertConfirmed, hasWaitAof, notDurable, surveyNode, waitCommand, type Confirmation } from './redis/durability.js'
import { bucketCount, redisLayout } from './redis/layout.js'
import { evalCommands, isNoScript, runScript, scripts, type RedisArg, type Script, type Send } from './redis/scripts.js'

export type { RedisArg } from './redis/scripts.js'

/**
 * The Redis client {@link redisStore} needs, structurally, so no client library is a
 * dependency of keyleash: an `ioredis` client (`call`: a `Redis`, one with `sentinels`, or a
 * `Cluster`) or a `redis` (node-redis ≥ 4) client (`sendCommand`, one server only). The
 * client must be connected and must not be in subscriber mode.
 */
export type RedisClient = IoredisClient | NodeRedisClient

/** Options of {@link redisStore}. `namespace` starts every Redis key (`<namespace>:{<bucket>}:s:<id>`). */
export type RedisStoreOptions = StoreOptions & {
  /** How often `update` retries after another writer changed the session in between. Default: 1000. */
  maxRetries?: number | undefined
  /**
   * How long one Redis command may take, in ms, before the store gives up on it with a
   * -32603 (a paused or unreachable server must not hold sends forever). A reservation that
   * timed out may still be applied when the server comes back: it then counts a call that
   * was never signed, never the reverse. Default: 5 000.
   */
  timeout?: number | undefined
  /**
   * `'aof'` (default): the store checks that every node (on a cluster: masters and replicas)
   * writes every command to its append-only file before answering (`appendonly yes`,
   * `appendfsync always`) on first use and again after a reconnection or a change of nodes,
   * and each write checks in the same step that its node still has the append-only file on;
   * it refuses to work otherwise. Without it, a crash restores the last snapshot: a revoked
   * session comes back `active`, its usage reset, and its key signs again. `'unchecked'`: the
   * app vouches for the servers' durability itself (a managed Redis that hides `CONFIG`), or
   * accepts the risk.
   */
  durability?: 'aof' | 'unchecked' | undefined
  /**
   * How many replicas must hold a write before the store acknowledges it: a failover then
   * cannot lose an acknowledged revoke or count. The write is followed by `WAIT` (by `WAITAOF`
   * with `durability: 'aof'` where every node is Redis ≥ 7.2: it also waits for the replicas'
   * append-only files, so replicas must then have it on) on a connection of its own. Both count
   * the writes of that connection, so a client must be one connection (or a cluster of them),
   * not a pool that sends each command where it likes. A write not confirmed within
   * `replicaTimeout` fails: a send is refused (its call stays counted), a revoke answers an
   * error to retry. Default: 1 when the
   * primary has replicas (a cluster node with replicas, a client with `sentinels`, or a server
   * with a replica connected when first checked), else 0.
   */
  replicas?: number | undefined
  /** How long, in ms, a write waits for `replicas` before it fails (below `timeout`). Default: 1 000 (or half of `timeout`, if less). */
  replicaTimeout?: number | undefined
  /**
   * How long, in seconds, Redis keeps a session's entry after the session expires before it
   * deletes it on its own (`EXPIREAT` expiry + this, set when the session is stored; an update
   * keeps it). The margin covers clocks that differ between app servers and Redis, and lets
   * `wallet_getPermissions` callers and `purge()` still see a session that just expired. A
   * session stored already past it gets no deadline: `purge()` removes it. Keys get none
   * either (several sessions may share one): `purge()` removes those no session uses.
   * Default: 86,400 (a day).
   */
  keepExpired?: number | undefined
}

/**
 * A {@link PersistentStore} in Redis, for servers: every instance of the app sharing one
 * Redis (and `namespace`) sees every session at once, and a call limit holds across them.
 * Keys are encrypted at rest with `encryptionKey` (required, or `plaintextKeys: true`).
 *
 * What it needs of Redis: persistence of every write before the answer (`appendonly yes`,
 * `appendfsync always`) on every node, checked (see `durability`), and Redis ≥ 6.0.6.
 *
 * - One server, a primary with replicas (behind Sentinel or not), or a Redis Cluster: each
 *   operation touches one slot, and sessions spread over a cluster's masters (`redis/layout.ts`).
 * - `update` is optimistic: read, change, then a Lua compare-and-set that writes only if the
 *   session is unchanged, else read and change again. Updates from this process queue in
 *   memory first, so only other processes can make it retry. A read is one round trip (the
 *   session and its tombstone, one `MGET`), an update two (that read, then the script).
 *   Each attempt carries an id, so a compare-and-set the client sends twice (a reply lost
 *   with the connection) is applied once.
 * - With replicas, a write is acknowledged once `replicas` of them hold it (`WAIT`/`WAITAOF`).
 * - Every command has a deadline (`timeout`); a client's failure (a failover, a lost
 *   connection) is a -32603 that says what happened.
 * - A session's entry has a deadline, its expiry + `keepExpired` (EXPIREAT): Redis deletes it
 *   on its own. Keys have none; `purge()` deletes those no session uses.
 * - Scripts run by `EVALSHA`, and by `EVAL` on a node that does not know them yet.
 *
 * Node only (it hashes its scripts with `node:crypto`): import it from the Node entry.
 *
 * @example
 * import { Redis } from 'ioredis'
 * import { redisStore } from 'keyleash/node'
 * const store = redisStore(new Redis(process.env.REDIS_URL!), { encryptionKey: process.env.KEYLEASH_KEY as `0x${string}`, namespace: 'shop' })
 * const provider = withSessionKeys(inner, { store })
 */
export function redisStore(client: RedisClient, options: RedisStoreOptions = {}): PersistentStore {
  const partition = partitionOf(options)
  const name = `redisStore ${partition}`
  const cipher = nodeKeyRing(keyRingOf(options, 'redisStore'))
  const layout = redisLayout(partition)
  const whole = (field: string, value: number | undefined, fallback: number, least: number, unit: string) => {
    const chosen = value ?? fallback
    if (!Number.isSafeInteger(chosen) || chosen < least) throw new InvalidParamsError(field, `must be a whole number${unit} ≥ ${least}`)
    return chosen
  }
  const maxRetries = whole('maxRetries', options.maxRetries, 1000, 0, '')
  const timeout = options.timeout ?? 5_000
  if (!Number.isSafeInteger(timeout) || timeout <= 0) throw new InvalidParamsError('timeout', 'must be a whole number of ms > 0')
  const keepExpired = whole('keepExpired', options.keepExpired, 86_400, 0, ' of seconds')
  const purgeMargin = whole('purgeMargin', options.purgeMargin, 86_400, 0, ' of seconds')
  const replicaTimeout = whole('replicaTimeout', options.replicaTimeout, Math.min(1_000, Math.ceil(timeout / 2)), 1, ' of ms')
  if (replicaTimeout >= timeout) throw new InvalidParamsError('replicaTimeout', `must be below timeout (${timeout} ms): the wait for replicas is one command`)
  const replicas = options.replicas === undefined ? undefined : whole('replicas', options.replicas, 0, 0, '')
  const durability = options.durability ?? 'aof'
  if (durability !== 'aof' && durability !== 'unchecked') throw new InvalidParamsError('durability', `must be 'aof' or 'unchecked', got ${JSON.stringify(durability)}`)
  const topology = topologyOf(client, name, timeout)
  const guard = durability === 'aof' ? '1' : '0'

  // What every node was found to be; checked again after a reconnection or a change of nodes.
  let hadReplicas = false
  let surveyed: Promise<Confirmation | undefined> | undefined
  async function survey(): Promise<Confirmation | undefined> {
    // A cluster client knows its nodes once it is connected; the first command waits for that.
    await topology.send('PING')
    const nodes = topology.nodes()
    if (nodes.length === 0) throw new InternalError(`${name}: the Redis Cluster client knows no node yet`, { hint: 'it may be retried once the client is connected' })
    // A node that does not answer (a dead replica, a master failing over) holds nothing this store
    // could be acknowledged by; it is checked when it joins again (`onChange`). One that answers must pass.
    const found = await Promise.all(
      nodes.map((node) =>
        surveyNode(node.send, name, node.name, durability === 'aof').catch((error: unknown) => (durability === 'aof' && !isUnreachable(error) ? Promise.reject(error) : undefined)),
      ),
    )
    // Once meant to have replicas, always: a replica that is down is a reason to refuse, not to stop waiting.
    hadReplicas ||= topology.expectsReplicas() || found.some((node) => (node?.connectedReplicas ?? 0) > 0)
    const needed = replicas ?? (hadReplicas ? 1 : 0)
    if (needed === 0) return undefined
    // WAITAOF counts only replicas that write an append-only file: asked of them only when the store requires one ('aof'); 'unchecked' waits for replicas' memory (WAIT).
    const waitAof = durability === 'aof' && found.every((node) => node === undefined || hasWaitAof(node.version)) && found.some((node) => node !== undefined)
    return { replicas: needed, timeout: replicaTimeout, waitAof, local: durability === 'aof' }
  }
  const confirmation = () =>
    (surveyed ??= survey().catch((error: unknown) => {
      surveyed = undefined
      throw error
    }))
  topology.onChange(() => {
    surveyed = undefined
  })
  const send: Send = async (command, ...args) => {
    await confirmation()
    return topology.send(command, ...args)
  }

  /** Runs a writing script; with replicas, acknowledged only once they hold it (see `replicas`). */
  async function write(script: Script, keys: string[], args: RedisArg[]): Promise<unknown> {
    const confirm = await confirmation()
    const guarded = [guard, ...args]
    try {
      if (confirm === undefined) return await runScript(topology.send, script, keys, guarded)
      const lease = topology.lease(keys[0]!)
      // node-redis: no connection of its own, so the WAIT goes on the shared one, after the write.
      if (lease === undefined) return await waited(topology.send, script, keys, guarded, confirm)
      let failed = true
      try {
        const result = await waited(lease.send, script, keys, guarded, confirm)
        failed = false
        return result
      } finally {
        lease.release(failed)
      }
    } catch (error) {
      if (!String((error as Error)?.message).includes('KEYLEASH_NOT_DURABLE')) throw error
      // The node changed since it was checked: check every node again before the next command.
      surveyed = undefined
      throw notDurable(name, 'the node that was to write has the append-only file off (changed at run time, or a new primary); nothing was written')
    }
  }

  /** The script, then at once on the same connection the wait for replicas: one round trip. */
  async function waited(on: Send, script: Script, keys: string[], args: RedisArg[], confirm: Confirmation): Promise<unknown> {
    const { bySha, byText } = evalCommands(script, keys, args)
    let [result, wait] = await Promise.allSettled([on(...bySha), on(...waitCommand(confirm))])
    if (result.status === 'rejected' && isNoScript(result.reason)) [result, wait] = await Promise.allSettled([on(...byText), on(...waitCommand(confirm))])
    if (result.status === 'rejected') throw result.reason
    if (wait.status === 'rejected') throw wait.reason
    assertConfirmed(wait.value, confirm, name, bySha[0])
    return result.value
  }

  /** Every entry of every bucket: one index read per bucket, all sent at once, then the entries. */
  async function listBuckets(kind: 'sessions' | 'keys'): Promise<[string, string][]> {
    const read = async (n: number): Promise<[string, string][]> => {
      const bucket = layout.bucket(n)
      const entryOf = kind === 'sessions' ? bucket.session : bucket.key
      const names = await send('SMEMBERS', bucket[kind])
      if (!Array.isArray(names) || names.length === 0) return []
      const found: [string, string][] = []
      // MGET in slices, so 10,000 entries are not one reply Redis must buffer whole.
      for (let start = 0; start < names.length; start += 1000) {
        const slice = names.slice(start, start + 1000).map(String)
        const values = await send('MGET', ...slice.map(entryOf))
        if (!Array.isArray(values)) continue
        const gone: string[] = []
        slice.forEach((name, i) => {
          const value = asString(values[i])
          if (value !== undefined) found.push([name, value])
          else gone.push(name)
        })
        // Entries Redis let go after their deadline: their names leave the index too.
        if (gone.length > 0) await runScript(send, scripts.prune, [bucket[kind], ...gone.map(entryOf)], gone)
      }
      return found
    }
    return (await Promise.all(Array.from({ length: bucketCount }, (_, n) => read(n)))).flat()
  }

  const backend: StoreBackend = {
    name,
    getSession: async (id) => asString(await send('GET', layout.session(id))),
    async getSessionAndTombstone(id, tombstone) {
      const values = await send('MGET', layout.session(id), layout.session(tombstone))
      return Array.isArray(values) ? [asString(values[0]), asString(values[1])] : [undefined, undefined]
    },
    listSessions: () => listBuckets('sessions'),
    async putSession(id, value, keyAddress, expiry) {
      // The key sits in another bucket (another slot), so it is checked before the write, not in
      // the same step: a key is deleted only when no session uses it, and purge spares a key
      // younger than `keyGrace`, so a session written as its key goes can only be unusable.
      if (keyAddress !== undefined && Number(await send('EXISTS', layout.key(keyAddress))) === 0) return 'no-key'
      const deadline = expiry === undefined || !Number.isSafeInteger(expiry) ? '' : expiry + Math.max(keepExpired, purgeMargin)
      const written = Number(await write(scripts.put, [layout.session(id), layout.sessionIndex(id), layout.attempts(id)], [value, id, deadline, randomUUID()]))
      return written === 1 ? 'stored' : 'exists'
    },
    async updateSession(id, change, expected) {
      // First against what the caller read, when it says (the script compares): no GET when nothing wrote since.
      let current = expected ?? asString(await send('GET', layout.session(id)))
      for (let attempt = 0; attempt <= maxRetries; attempt++) {
        if (current === undefined) return undefined
        const next = change(current)
        if (next === undefined) return false
        const result = await write(scripts.cas, [layout.session(id), layout.attempts(id)], [current, next, randomUUID()])
        if (!Array.isArray(result)) return Number(result) === 1 ? true : undefined
        // Another process wrote in between, and the script answered what it wrote.
        current = asString(result[0])
        // Back off a little, with jitter, before the change is redone (at once after the first
        // attempt: that one ran against an earlier read, not against this writer).
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(1 + attempt, 10)))
      }
      throw new InternalError(`${name}: session ${id} changed under every one of ${maxRetries} attempts to update it`, {
        context: id,
        hint: 'too many processes update this session at once; raise maxRetries or retry later',
      })
    },
    // With the attempts of its tombstone's settling too (see persistentStore.ts): they only guard a change that is made, and the tombstone may stay long after.
    deleteSession: async (id) => asString(await write(scripts.delete, [layout.session(id), layout.sessionIndex(id), layout.attempts(id), layout.attempts(tombstoneOf(id))], [id])),
    getKey: async (address) => asString(await send('GET', layout.key(address))),
    listKeys: () => listBuckets('keys'),
    putKey: async (address, value) => {
      await write(scripts.putKey, [layout.key(address), layout.keyIndex(address)], [value, address])
    },
    replaceKey: async (address, expected, next) => Number(await write(scripts.replaceKey, [layout.key(address)], [expected, next])) === 1,
    deleteKey: async (address) => {
      await write(scripts.deleteKey, [layout.key(address), layout.keyIndex(address)], [address])
    },
  }
  return createPersistentStore(backend, { cipher, scope: options.scope, onError: options.onError, purgeMargin })
}

function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (value instanceof Uint8Array) return new TextDecoder().decode(value)
  return undefined
}
