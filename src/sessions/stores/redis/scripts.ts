import { createHash } from 'node:crypto'

/** A value a Redis command takes. */
export type RedisArg = string | number

/** Sends one command to Redis and resolves to its reply. */
export type Send = (command: string, ...args: RedisArg[]) => Promise<unknown>

/**
 * The first lines of every script that writes: ARGV[1] is `'1'` when the store requires the
 * append-only file, and the script then refuses to write on a server that has it off. Checked
 * in the script, on the node that writes, in the same atomic step: a server switched to
 * `appendonly no` at run time (or a replica promoted without it) is caught before the write is
 * acknowledged, not on the next check. `INFO` is allowed in scripts; `CONFIG` is not.
 */
const durable = `if ARGV[1] == '1' and not string.find(redis.call('INFO', 'persistence'), 'aof_enabled:1', 1, true) then
  return redis.error_reply('KEYLEASH_NOT_DURABLE the append-only file is off')
end
`

// Lua runs atomically in Redis: no other command runs between its reads and its writes. Each
// script's keys share one hash tag (layout.ts), so they touch one cluster slot.
export const scripts = {
  /**
   * KEYS: session, its bucket's index, its recent attempts. ARGV: durable, value, id, when Redis
   * deletes the entry (unix seconds, '' for never), attempt id. Writes only a new session: 1
   * when written (or when this very attempt was: a client that lost the reply and sent the
   * script again, as ioredis does after a reconnection, must not be told its own session is a
   * duplicate), -1 when the id is taken. A deadline already past (by Redis's clock) is not set:
   * EXPIREAT would delete at once.
   */
  put: `${durable}if redis.call('LPOS', KEYS[3], ARGV[5]) then return 1 end
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('LPUSH', KEYS[3], ARGV[5])
redis.call('LTRIM', KEYS[3], 0, 63)
if ARGV[4] ~= '' and tonumber(ARGV[4]) > tonumber(redis.call('TIME')[1]) then
  redis.call('EXPIREAT', KEYS[1], ARGV[4])
  redis.call('EXPIREAT', KEYS[3], ARGV[4])
end
return 1`,
  /**
   * KEYS: session, its recent attempts. ARGV: durable, expected, next, attempt id.
   * Compare-and-set: 1 when written (or when this very attempt was written before: a client
   * that lost the reply and sent the script again must not apply a relative change twice), the
   * session as it is now, in a list of one, when it changed since (so the caller tries again
   * without a GET of its own; a list, not a bare string, because a client may answer integers
   * as strings: ioredis's `stringNumbers`), -1 when it is gone. The last 64 attempt ids are kept per
   * session, and go when the session's entry does. The session keeps its deadline (KEEPTTL).
   */
  cas: `${durable}if redis.call('LPOS', KEYS[2], ARGV[4]) then return 1 end
local current = redis.call('GET', KEYS[1])
if not current then return -1 end
if current ~= ARGV[2] then return {current} end
redis.call('SET', KEYS[1], ARGV[3], 'KEEPTTL')
redis.call('LPUSH', KEYS[2], ARGV[4])
redis.call('LTRIM', KEYS[2], 0, 63)
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
return 1`,
  /**
   * KEYS: a bucket's index, then the entry of each name. ARGV: the names. Takes out of the
   * index the names whose entry is gone (Redis let a session go after its deadline), checked
   * here: one put again since the caller looked keeps its place. Only tidies an index: no check.
   */
  prune: `for i, name in ipairs(ARGV) do
  if redis.call('EXISTS', KEYS[i + 1]) == 0 then redis.call('SREM', KEYS[1], name) end
end
return 0`,
  /** KEYS: key, its bucket's index. ARGV: durable, value, address. */
  putKey: `${durable}redis.call('SET', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return 1`,
  /**
   * KEYS: key. ARGV: durable, expected, next. Compare-and-set of a key entry: 1 when written, 0
   * when it changed or went (sent twice after a lost reply, the second finds `next`: 0).
   */
  replaceKey: `${durable}if redis.call('GET', KEYS[1]) ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[3])
return 1`,
  /** KEYS: key, its bucket's index. ARGV: durable, address. */
  deleteKey: `${durable}redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
return 1`,
  /** KEYS: session, its bucket's index, its recent attempts, its tombstone's. ARGV: durable, id. Deletes and returns the old value. */
  delete: `${durable}local current = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[3], KEYS[4])
redis.call('SREM', KEYS[2], ARGV[2])
return current`,
} as const

/** A script's source. */
export type Script = (typeof scripts)[keyof typeof scripts]

const shas = new Map<string, string>()
const shaOf = (script: string) => shas.get(script) ?? shas.set(script, createHash('sha1').update(script).digest('hex')).get(script)!

/**
 * The commands that run `script` on `keys`: by its SHA1 first, then, on the node that answers
 * NOSCRIPT, by its text (`EVAL`, which also caches it there). Loading by `SCRIPT LOAD` would
 * not do on a cluster: it carries no key, so it reaches some node, rarely the right one.
 */
export function evalCommands(script: string, keys: readonly string[], args: readonly RedisArg[]) {
  const tail = [keys.length, ...keys, ...args]
  return { bySha: ['EVALSHA', shaOf(script), ...tail] as const, byText: ['EVAL', script, ...tail] as const }
}

/** Whether Redis answered that it does not know a script (first use, a SCRIPT FLUSH, a new node). */
export function isNoScript(error: unknown): boolean {
  return String((error as { message?: unknown })?.message ?? error).includes('NOSCRIPT')
}

/**
 * Runs `script` with `send`, by SHA1, and by text where the node does not know it.
 *
 * @example
 * await runScript(send, scripts.prune, [index, entry], [id])
 */
export async function runScript(send: Send, script: string, keys: readonly string[], args: readonly RedisArg[]): Promise<unknown> {
  const { bySha, byText } = evalCommands(script, keys, args)
  try {
    return await send(...bySha)
  } catch (error) {
    if (!isNoScript(error)) throw error
    return send(...byText)
  }
}
