import { createHash, randomUUID } from 'node:crypto'
import { causeOf, InternalError, InvalidParamsError } from '../../errors.js'
import type { StoreBackend } from './backend.js'
import { keyRingOf, partitionOf, type StoreOptions } from './options.js'
import { createPersistentStore, type PersistentStore } from './persistentStore.js'

/** A value a Redis command takes. */
export type RedisArg = string | number

/**
 * The Redis client {@link redisStore} needs, structurally, so no client library is a
 * dependency of keyleash: an `ioredis` client (`call`) or a `redis` (node-redis ≥ 4)
 * client (`sendCommand`). The client must be connected and must not be in subscriber mode.
 */
export type RedisClient =
  | {
      /** ioredis: one command and its arguments. */
      call(command: string, ...args: RedisArg[]): Promise<unknown>
    }
  | {
      /** node-redis ≥ 4: the command and its arguments as strings. */
      sendCommand(args: string[]): Promise<unknown>
    }

/** Options of {@link redisStore}. `namespace` prefixes every Redis key (`<namespace>:s:<id>`). */
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
   * `'aof'` (default): on first use the store checks that Redis writes every command to its
   * append-only file before answering (`appendonly yes`, `appendfsync always`), and refuses
   * to work otherwise. Without it, a crash restores the last snapshot: a revoked session comes
   * back `active`, its usage reset, and its key signs again. `'unchecked'`: the app vouches for
   * the server's durability itself (a managed Redis that hides `CONFIG`), or accepts the risk.
   */
  durability?: 'aof' | 'unchecked' | undefined
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

// Lua runs atomically in Redis: no other command runs between its reads and its writes.
const scripts = {
  /**
   * KEYS: session, index, key. ARGV: value, id, check key ('1'|'0'), when Redis deletes the
   * entry (unix seconds, '' for never). Writes only a new session whose key is held: 1 when
   * written, -1 when the id is taken, 0 when the key is missing. A deadline already past (by
   * Redis's clock) is not set: EXPIREAT would delete the entry at once.
   */
  put: `if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
if ARGV[3] == '1' and redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
if ARGV[4] ~= '' and tonumber(ARGV[4]) > tonumber(redis.call('TIME')[1]) then redis.call('EXPIREAT', KEYS[1], ARGV[4]) end
return 1`,
  /**
   * KEYS: session, its recent attempts. ARGV: expected, next, attempt id. Compare-and-set: 1
   * when written (or when this very attempt was written before: a client that lost the reply
   * and sent the script again must not apply a relative change twice), 0 when the session
   * changed since, -1 when it is gone. The last 64 attempt ids are kept per session, and go
   * when the session's entry does. The session keeps its deadline (KEEPTTL).
   */
  cas: `if redis.call('LPOS', KEYS[2], ARGV[3]) then return 1 end
local current = redis.call('GET', KEYS[1])
if not current then return -1 end
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
redis.call('LPUSH', KEYS[2], ARGV[3])
redis.call('LTRIM', KEYS[2], 0, 63)
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
return 1`,
  /**
   * KEYS: index, then the entry of each id. ARGV: the ids. Takes out of the index the ids whose
   * entry is gone (Redis let it go after its deadline), checked here: one put again since
   * the caller looked keeps its place.
   */
  prune: `for i, id in ipairs(ARGV) do
  if redis.call('EXISTS', KEYS[i + 1]) == 0 then redis.call('SREM', KEYS[1], id) end
end
return 0`,
  /**
   * KEYS: key. ARGV: expected, next. Compare-and-set of a key entry: 1 when written, 0 when it
   * changed or went (sent twice after a lost reply, the second finds `next` and answers 0).
   */
  replaceKey: `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1`,
  /** KEYS: session, index, its recent attempts. ARGV: id. Deletes and returns the old value. */
  delete: `local current = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[3])
redis.call('SREM', KEYS[2], ARGV[1])
return current`,
} as const

/**
 * A {@link PersistentStore} in Redis, for servers: every instance of the app sharing one
 * Redis (and `namespace`) sees every session at once, and a call limit holds across them.
 * Keys are encrypted at rest with `encryptionKey` (required, or `plaintextKeys: true`).
 *
 * What it needs of Redis: persistence of every write before the answer (`appendonly yes`,
 * `appendfsync always`), checked on first use (see `durability`), and Redis ≥ 6.0.6.
 *
 * - `update` is optimistic: read, change, then a Lua compare-and-set that writes only if the
 *   session is unchanged, else read and change again. Updates from this process queue in
 *   memory first, so only other processes can make it retry. Two round trips per update.
 *   Each attempt carries an id, so a compare-and-set the client sends twice (a reply lost
 *   with the connection) is applied once.
 * - Every command has a deadline (`timeout`).
 * - Writes that touch two keys (session + index) are one Lua script each, so they are atomic.
 * - A session's entry has a deadline, its expiry + `keepExpired` (EXPIREAT): Redis deletes it
 *   on its own. Keys have none; `purge()` deletes those no session uses.
 * - Scripts run by `EVALSHA`, loaded on first use and again after a `SCRIPT FLUSH`.
 *
 * Node only (it hashes its scripts with `node:crypto`): import it from the Node entry.
 *
 * @example
 * import Redis from 'ioredis'
 * import { redisStore } from 'keyleash/node'
 * const store = redisStore(new Redis(process.env.REDIS_URL!), { encryptionKey: process.env.KEYLEASH_KEY as `0x${string}`, namespace: 'shop' })
 * const provider = withSessionKeys(inner, { store })
 */
export function redisStore(client: RedisClient, options: RedisStoreOptions = {}): PersistentStore {
  const partition = partitionOf(options)
  const name = `redisStore ${partition}`
  const cipher = keyRingOf(options, 'redisStore')
  const maxRetries = options.maxRetries ?? 1000
  if (!Number.isSafeInteger(maxRetries) || maxRetries < 0) throw new InvalidParamsError('maxRetries', 'must be a whole number ≥ 0')
  const timeout = options.timeout ?? 5_000
  if (!Number.isSafeInteger(timeout) || timeout <= 0) throw new InvalidParamsError('timeout', 'must be a whole number of ms > 0')
  const keepExpired = options.keepExpired ?? 86_400
  if (!Number.isSafeInteger(keepExpired) || keepExpired < 0) throw new InvalidParamsError('keepExpired', 'must be a whole number of seconds ≥ 0')
  const durability = options.durability ?? 'aof'
  if (durability !== 'aof' && durability !== 'unchecked') throw new InvalidParamsError('durability', `must be 'aof' or 'unchecked', got ${JSON.stringify(durability)}`)
  const send = checkedFirst(withDeadline(commandOf(client), timeout, name), durability === 'aof' ? (raw) => assertDurable(raw, name) : undefined)
  const run = scriptRunner(send)
  const sessionKey = (id: string) => `${partition}:s:${id}`
  const attemptsKey = (id: string) => `${partition}:r:${id}`
  const keyKey = (address: string) => `${partition}:k:${address}`
  const index = `${partition}:ids`

  const backend: StoreBackend = {
    name,
    getSession: async (id) => asString(await send('GET', sessionKey(id))),
    async listSessions() {
      const ids = await send('SMEMBERS', index)
      if (!Array.isArray(ids) || ids.length === 0) return []
      const found: [string, string][] = []
      // MGET in slices, so 10,000 sessions are not one reply Redis must buffer whole.
      for (let start = 0; start < ids.length; start += 1000) {
        const slice = ids.slice(start, start + 1000).map(String)
        const values = await send('MGET', ...slice.map(sessionKey))
        if (!Array.isArray(values)) continue
        const gone: string[] = []
        slice.forEach((id, i) => {
          const value = asString(values[i])
          if (value !== undefined) found.push([id, value])
          else gone.push(id)
        })
        // Entries Redis let go after their deadline: their ids leave the index too.
        if (gone.length > 0) await run(scripts.prune, [index, ...gone.map(sessionKey)], gone)
      }
      return found
    },
    async putSession(id, value, keyAddress, expiry) {
      const deadline = expiry === undefined || !Number.isSafeInteger(expiry) ? '' : expiry + keepExpired
      const written = Number(await run(scripts.put, [sessionKey(id), index, keyKey(keyAddress ?? '')], [value, id, keyAddress === undefined ? '0' : '1', deadline]))
      return written === 1 ? 'stored' : written === -1 ? 'exists' : 'no-key'
    },
    async updateSession(id, change) {
      for (let attempt = 0; attempt <= maxRetries; attempt++) {
        const current = asString(await send('GET', sessionKey(id)))
        if (current === undefined) return undefined
        const next = change(current)
        if (next === undefined) return false
        const result = Number(await run(scripts.cas, [sessionKey(id), attemptsKey(id)], [current, next, randomUUID()]))
        if (result === 1) return true
        if (result === -1) return undefined
        // Another process wrote in between: back off a little, with jitter, and redo the change.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(1 + attempt, 10)))
      }
      throw new InternalError(`${name}: session ${id} changed under every one of ${maxRetries} attempts to update it`, {
        context: id,
        hint: 'too many processes update this session at once; raise maxRetries or retry later',
      })
    },
    deleteSession: async (id) => asString(await run(scripts.delete, [sessionKey(id), index, attemptsKey(id)], [id])),
    getKey: async (address) => asString(await send('GET', keyKey(address))),
    async listKeys() {
      // Keys have no index of their own (a key is one SET): SCAN, which purge alone uses.
      const prefix = keyKey('')
      const found: [string, string][] = []
      let cursor = '0'
      do {
        const reply = await send('SCAN', cursor, 'MATCH', `${globEscaped(prefix)}*`, 'COUNT', 1000)
        const [next, names] = Array.isArray(reply) ? reply : ['0', []]
        cursor = String(next)
        const addresses = (Array.isArray(names) ? names : []).map(String).map((name) => name.slice(prefix.length))
        if (addresses.length === 0) continue
        const values = await send('MGET', ...addresses.map(keyKey))
        addresses.forEach((address, i) => {
          const value = Array.isArray(values) ? asString(values[i]) : undefined
          if (value !== undefined) found.push([address, value])
        })
      } while (cursor !== '0')
      return found
    },
    putKey: async (address, value) => {
      await send('SET', keyKey(address), value)
    },
    replaceKey: async (address, expected, next) => Number(await run(scripts.replaceKey, [keyKey(address)], [expected, next])) === 1,
    deleteKey: async (address) => {
      await send('DEL', keyKey(address))
    },
  }
  return createPersistentStore(backend, { cipher, scope: options.scope, onError: options.onError })
}

type Send = (command: string, ...args: RedisArg[]) => Promise<unknown>

function commandOf(client: RedisClient): Send {
  if (typeof client === 'object' && client !== null) {
    if ('call' in client && typeof client.call === 'function') return (command, ...args) => client.call(command, ...args)
    if ('sendCommand' in client && typeof client.sendCommand === 'function')
      return (command, ...args) => client.sendCommand([command, ...args.map(String)])
  }
  throw new InvalidParamsError('client', 'must be a connected Redis client: ioredis (`call`) or redis ≥ 4 (`sendCommand`)')
}

/** `send` with a deadline: a command not answered within `timeout` ms rejects with a -32603. */
function withDeadline(send: Send, timeout: number, name: string): Send {
  return (command, ...args) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new InternalError(`${name}: Redis did not answer ${command} within ${timeout} ms`, {
              hint: 'the server is unreachable, paused or overloaded; nothing was signed, retry later',
            }),
          ),
        timeout,
      )
    })
    return Promise.race([send(command, ...args), expired]).finally(() => clearTimeout(timer))
  }
}

/**
 * `send` that first runs `check` once (with the raw `send`), before any command of the store:
 * a failed check fails every command, and is run again on the next one.
 */
function checkedFirst(send: Send, check: ((send: Send) => Promise<void>) | undefined): Send {
  if (check === undefined) return send
  let checked: Promise<void> | undefined
  return async (command, ...args) => {
    await (checked ??= check(send).catch((error: unknown) => {
      checked = undefined
      throw error
    }))
    return send(command, ...args)
  }
}

/** Refuses a Redis that answers before a write is on disk: a crash would then revive revoked sessions. */
async function assertDurable(send: Send, name: string): Promise<void> {
  const unchecked = "pass durability: 'unchecked' only if the server persists every write some other way"
  let config: Record<string, string>
  try {
    config = configOf(await send('CONFIG', 'GET', 'append*'))
  } catch (error) {
    if (error instanceof InternalError) throw error
    throw new InternalError(`${name}: could not read the server's persistence settings (CONFIG GET): ${(error as Error)?.message ?? String(error)}`, {
      hint: `allow CONFIG GET, or ${unchecked}`,
      cause: causeOf(error),
    })
  }
  if (config.appendonly !== 'yes' || config.appendfsync !== 'always')
    throw new InternalError(
      `${name}: Redis must write every command to disk before it answers (appendonly yes, appendfsync always); it has appendonly ${config.appendonly ?? '?'}, appendfsync ${config.appendfsync ?? '?'}. A crash would restore an older snapshot: revoked sessions active again, their usage reset`,
      { hint: `run redis-server with --appendonly yes --appendfsync always (or CONFIG SET both), or ${unchecked}` },
    )
}

/** CONFIG GET's answer (a flat list, or a map in RESP3) as an object. */
function configOf(reply: unknown): Record<string, string> {
  if (reply instanceof Map) return Object.fromEntries([...reply].map(([k, v]) => [String(k), String(v)]))
  const config: Record<string, string> = {}
  if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) config[String(reply[i])] = String(reply[i + 1])
  return config
}

/** Runs a script by its SHA1, loading it when Redis does not know it (first use, or after SCRIPT FLUSH). */
function scriptRunner(send: Send) {
  return async (script: string, keys: string[], args: RedisArg[]): Promise<unknown> => {
    const sha = createHash('sha1').update(script).digest('hex')
    try {
      return await send('EVALSHA', sha, keys.length, ...keys, ...args)
    } catch (error) {
      if (!String((error as { message?: unknown })?.message ?? error).includes('NOSCRIPT')) throw error
      await send('SCRIPT', 'LOAD', script)
      return send('EVALSHA', sha, keys.length, ...keys, ...args)
    }
  }
}

/** `text` with the characters a Redis MATCH pattern reads as wildcards escaped. */
function globEscaped(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}

function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (value instanceof Uint8Array) return new TextDecoder().decode(value)
  return undefined
}
