import { causeOf, InternalError } from '../../../errors.js'
import type { RedisArg, Send } from './scripts.js'

/** What the store learns of one Redis node before it trusts it. */
export type NodeSurvey = {
  /** `redis_version`, as [major, minor, patch]. */
  version: [number, number, number]
  /** Its replicas that are connected now (a replica itself has none). */
  connectedReplicas: number
  /** `appendonly` and `appendfsync`, when read (`durability: 'aof'`). */
  config?: Record<string, string> | undefined
}

const unchecked = "pass durability: 'unchecked' only if the server persists every write some other way"

/**
 * Asks one node what it is: its version and replicas (`INFO`), and, when `durability` is
 * `'aof'`, its persistence settings (`CONFIG GET append*`), which it then checks.
 *
 * @example
 * const survey = await surveyNode(send, 'redisStore shop', '127.0.0.1:7001', true)
 */
export async function surveyNode(send: Send, name: string, node: string, checkAof: boolean): Promise<NodeSurvey> {
  let server: string, replication: string, config: Record<string, string> | undefined
  try {
    ;[server, replication, config] = await Promise.all([
      send('INFO', 'server').then(String),
      send('INFO', 'replication').then(String),
      checkAof ? send('CONFIG', 'GET', 'append*').then(configOf) : undefined,
    ])
  } catch (error) {
    if (error instanceof InternalError) throw error
    throw new InternalError(`${name}: could not read the settings of Redis ${node} (INFO, CONFIG GET)`, {
      hint: `allow INFO and CONFIG GET, or ${unchecked}`,
      cause: causeOf(error),
    })
  }
  if (config !== undefined) assertDurable(config, name, node)
  return { version: versionOf(server), connectedReplicas: Number(infoField(replication, 'connected_slaves') ?? 0), config }
}

/** Refuses a node that answers before a write is on disk: a crash would then revive revoked sessions. */
export function assertDurable(config: Record<string, string>, name: string, node: string): void {
  if (config.appendonly !== 'yes' || config.appendfsync !== 'always') throw notDurable(name, `${node === '' ? 'it' : `Redis ${node}`} has appendonly ${config.appendonly ?? '?'}, appendfsync ${config.appendfsync ?? '?'}`)
}

/**
 * The error of a write refused, or a node distrusted, because it would not be on disk before
 * the answer.
 *
 * @example
 * throw notDurable('redisStore shop', 'the append-only file was switched off')
 */
export function notDurable(name: string, found: string): InternalError {
  return new InternalError(
    `${name}: Redis must write every command to disk before it answers (appendonly yes, appendfsync always); ${found}. A crash would restore an older snapshot: revoked sessions active again, their usage reset. If the server persists every write some other way, pass durability: 'unchecked'`,
    { hint: 'run redis-server with --appendonly yes --appendfsync always (or CONFIG SET both)' },
  )
}

/**
 * Whether a server has `WAITAOF` (Redis ≥ 7.2), which waits until a write is in the
 * append-only file of the primary and of replicas, not only in their memory.
 *
 * @example
 * hasWaitAof([7, 2, 0]) // true
 */
export function hasWaitAof([major, minor]: readonly number[]): boolean {
  return major! > 7 || (major === 7 && minor! >= 2)
}

/** How a write is confirmed: how many replicas, how long to wait, and whether every node has WAITAOF. */
export type Confirmation = { replicas: number; timeout: number; waitAof: boolean; local: boolean }

/**
 * The command that follows a write on its connection and waits for it to be held elsewhere:
 * `WAITAOF 1 <replicas> <timeout>` (in the append-only file of the primary and of that many
 * replicas) where the server has it, else `WAIT <replicas> <timeout>` (in the memory of that many
 * replicas). Both count the writes of the connection they run on.
 *
 * @example
 * waitCommand({ replicas: 1, timeout: 1000, waitAof: false, local: true }) // ['WAIT', 1, 1000]
 */
export function waitCommand({ replicas, timeout, waitAof, local }: Confirmation): [string, ...RedisArg[]] {
  return waitAof ? ['WAITAOF', local ? 1 : 0, replicas, timeout] : ['WAIT', replicas, timeout]
}

/**
 * Checks the reply of {@link waitCommand}; a write not confirmed in time is an error that says so.
 *
 * @example
 * assertConfirmed(1, { replicas: 1, timeout: 1000, waitAof: false, local: true }, 'redisStore shop', 'EVALSHA')
 */
export function assertConfirmed(reply: unknown, confirmation: Confirmation, name: string, command: string): void {
  const [local, replicas] = Array.isArray(reply) ? reply.map(Number) : [1, Number(reply)]
  if (confirmation.waitAof && confirmation.local && local! < 1) throw notDurable(name, 'the primary did not write it to its append-only file (WAITAOF)')
  if (replicas! >= confirmation.replicas) return
  throw new InternalError(
    `${name}: the primary applied the write (${command}), but ${replicas} of the ${confirmation.replicas} replicas it needs confirmed it within ${confirmation.timeout} ms: it may not have reached the replicas, and a failover now could lose it`,
    {
      hint: `a send was not signed (its call stays counted); retry a revoke until it succeeds. If replicas are down or behind for long, fix their link, or lower \`replicas\` / raise \`replicaTimeout\`${confirmation.waitAof ? '; with WAITAOF (Redis ≥ 7.2) only replicas that write an append-only file count: run them with appendonly yes' : ''}`,
    },
  )
}

/** CONFIG GET's answer as an object: a flat list (RESP2), or a map in RESP3, which clients give as a `Map` or as a plain object (ioredis's `replyMapping`, node-redis 5). */
function configOf(reply: unknown): Record<string, string> {
  const config: Record<string, string> = {}
  if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) config[String(reply[i])] = String(reply[i + 1])
  else if (typeof reply === 'object' && reply !== null)
    for (const [name, value] of reply instanceof Map ? reply : Object.entries(reply)) config[String(name)] = String(value)
  return config
}

function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim()
}

/**
 * The `redis_version` of an `INFO server` reply.
 *
 * @example
 * versionOf('redis_version:7.0.15\r\n') // [7, 0, 15]
 */
export function versionOf(info: string): [number, number, number] {
  const [major = 0, minor = 0, patch = 0] = (infoField(info, 'redis_version') ?? '0.0.0').split('.').map(Number)
  return [major, minor, patch]
}
