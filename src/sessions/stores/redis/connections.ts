import { causeOf, InternalError, InvalidParamsError } from '../../../errors.js'
import { slotOf } from './layout.js'
import type { RedisArg, Send } from './scripts.js'

/**
 * An ioredis client, structurally: a `Redis` (one server, or a primary found through
 * Sentinel) or a `Cluster`. Only `call` is required; the rest lets the store reach every node
 * of a cluster, open connections of its own to wait for replicas, and see a reconnection.
 */
export type IoredisClient = {
  /** One command and its arguments. */
  call(command: string, ...args: RedisArg[]): Promise<unknown>
  /** A new connection like this one (for writes that wait for replicas: WAIT holds its connection). */
  duplicate?(): IoredisClient
  /** Closes the connection (the store's own, once idle). */
  disconnect?(): void
  /** A Cluster's nodes. */
  nodes?(role: 'all' | 'master' | 'slave'): IoredisClient[]
  /** A Cluster's slots: the `host:port` of each slot's master, then of its replicas. */
  slots?: readonly (readonly string[] | undefined)[]
  /** How it connects: read for a node's `host` and `port`, and `sentinels` when a Sentinel names the primary. */
  options?: object | undefined
  /** Listens to the client's events: `ready` (connected again), `+node`, `-node`, `refresh` (a cluster's nodes or slots), `end`. */
  on?(event: string, listener: () => void): unknown
}

/** node-redis ≥ 4, structurally: the command and its arguments as strings. */
export type NodeRedisClient = {
  /** The command and its arguments. */
  sendCommand(args: string[]): Promise<unknown>
}

/** A connection that only this store's write uses while it is lent, given back with `release`. */
export type Lease = { send: Send; release(failed: boolean): void }

/**
 * How the store reaches Redis: `send` routes a command by its first key (a cluster client does
 * that itself), `nodes` lists every node to check (on a cluster: masters and replicas), `lease`
 * lends a connection of its own to the primary of a key, and `onChange` hears of a reconnection
 * or a node joining, after which the nodes must be checked again.
 *
 * @example
 * const topology = topologyOf(new Redis(url), 'redisStore shop', 5000)
 */
export function topologyOf(client: IoredisClient | NodeRedisClient, name: string, timeout: number) {
  const io = typeof client === 'object' && client !== null && 'call' in client && typeof client.call === 'function' ? client : undefined
  const node = io ?? (typeof client === 'object' && client !== null && 'sendCommand' in client && typeof client.sendCommand === 'function' ? client : undefined)
  if (node === undefined) throw new InvalidParamsError('client', 'must be a connected Redis client: ioredis (`call`) or redis ≥ 4 (`sendCommand`)')
  const wrap = (raw: Send): Send => withDeadline(raw, timeout, name)
  const send = wrap(io !== undefined ? (command, ...args) => io.call(command, ...args) : (command, ...args) => (node as NodeRedisClient).sendCommand([command, ...args.map(String)]))
  const cluster = typeof io?.nodes === 'function' ? (io as IoredisClient & { nodes: NonNullable<IoredisClient['nodes']> }) : undefined
  const addressOf = (redis: IoredisClient) => `${optionOf(redis, 'host') ?? '?'}:${optionOf(redis, 'port') ?? '?'}`
  const pools = new Map<string, { connection: IoredisClient; timer: ReturnType<typeof setTimeout> }[]>()

  /** The node that holds `key`'s slot now, and how to make a connection to it. */
  function primaryOf(key: string): { id: string; source: IoredisClient } | undefined {
    if (cluster === undefined) return io?.duplicate === undefined ? undefined : { id: 'primary', source: io }
    const owner = cluster.slots?.[slotOf(key)]?.[0]
    const master = owner === undefined ? undefined : cluster.nodes('master').find((redis) => addressOf(redis) === owner)
    if (master === undefined)
      throw new InternalError(`${name}: the Redis Cluster has no primary for this session's slot right now (a failover is under way)`, {
        hint: 'nothing was written; retry in a few seconds',
        retriable: true,
      })
    return { id: owner!, source: master }
  }

  return {
    send,
    cluster: cluster !== undefined,
    /** Every node to check, named by address (a lone server: `''`); on a cluster, masters and replicas. */
    nodes: (): { name: string; send: Send }[] =>
      cluster === undefined ? [{ name: '', send }] : cluster.nodes('all').map((redis) => ({ name: addressOf(redis), send: wrap((command, ...args) => redis.call(command, ...args)) })),
    /** Whether the primary is meant to have replicas: a cluster node has some, or a Sentinel watches it. */
    expectsReplicas: (): boolean => (cluster !== undefined ? cluster.nodes('slave').length > 0 : Array.isArray(optionOf(io, 'sentinels'))),
    /**
     * A connection of its own to the primary of `key`, or `undefined` when the client cannot
     * make one (node-redis): then `send` must do, and a WAIT there holds up the store's other commands.
     */
    lease(key: string): Lease | undefined {
      const primary = primaryOf(key)
      if (primary === undefined) return undefined
      const idle = pools.get(primary.id) ?? pools.set(primary.id, []).get(primary.id)!
      const spare = idle.pop()
      if (spare !== undefined) clearTimeout(spare.timer)
      const connection = spare?.connection ?? opened(primary.source.duplicate!())
      return {
        send: wrap((command, ...args) => connection.call(command, ...args)),
        release(failed) {
          // A connection that failed may be half-way through a reply: never lend it again.
          if (failed || idle.length >= maxIdle) return void connection.disconnect?.()
          const entry = { connection, timer: setTimeout(() => idle.includes(entry) && (idle.splice(idle.indexOf(entry), 1), connection.disconnect?.()), idleFor) }
          // An idle connection must not keep the app's process alive.
          ;(entry.timer as { unref?: () => void }).unref?.()
          idle.push(entry)
        },
      }
    },
    /** Calls `listener` when the client reconnects (a Sentinel's new primary) or a cluster's nodes or slots change. */
    onChange(listener: () => void): void {
      for (const event of ['ready', '+node', '-node', 'refresh']) io?.on?.(event, listener)
      // The app closed its client: the store's own connections go too, or they would keep the process alive.
      io?.on?.('end', () => {
        for (const idle of pools.values())
          idle.splice(0).forEach(({ connection, timer }) => {
            clearTimeout(timer)
            connection.disconnect?.()
          })
      })
    },
  }
}

/** How the store reaches Redis, see {@link topologyOf}. */
export type Topology = ReturnType<typeof topologyOf>

function optionOf(client: IoredisClient | undefined, name: string): unknown {
  return (client?.options as Record<string, unknown> | undefined)?.[name]
}

// Writes that wait for replicas, at once, per primary: more than this many idle connections are
// closed, and so is one idle for `idleFor` ms.
const maxIdle = 16
const idleFor = 10_000

/** A connection the store opened: its errors reach the command that failed, not the process. */
function opened(connection: IoredisClient): IoredisClient {
  connection.on?.('error', () => {})
  return connection
}

/**
 * Whether an error is the store's word for a server that did not answer or a failover under
 * way (`data.retriable`), as opposed to an answer.
 *
 * @example
 * if (isUnreachable(error)) return undefined
 */
export function isUnreachable(error: unknown): boolean {
  return error instanceof InternalError && error.data?.retriable === true
}

/**
 * `send` with a deadline: a command not answered within `timeout` ms rejects with a -32603;
 * and what the client rejects with is told as a coded error, never in the client's words.
 */
function withDeadline(send: Send, timeout: number, name: string): Send {
  return (command, ...args) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new InternalError(`${name}: Redis did not answer ${command} within ${timeout} ms`, {
              hint: 'the server is unreachable, paused or overloaded; nothing was signed, retry later',
              retriable: true,
            }),
          ),
        timeout,
      )
    })
    return Promise.race([send(command, ...args).catch((error: unknown) => Promise.reject(codedError(error, name, command))), expired]).finally(() => clearTimeout(timer))
  }
}

// What clients answer while a primary fails over or a cluster moves slots, and how to tell it.
const failingOver: [RegExp, string][] = [
  [/MOVED|ASK |TRYAGAIN|CLUSTERDOWN|Cluster redirections|slots cache|startup nodes|cluster is down/i, 'the Redis Cluster is failing over or moving slots'],
  [/READONLY|MASTERDOWN|LOADING|sentinel|master|NOREPLICAS/i, 'the Redis primary is changing (a failover)'],
  [/closed|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|writeable|MaxRetriesPerRequest|max retries|reconnect/i, 'the connection to Redis is down'],
]

/**
 * A client's rejection as a -32603 that says what happened and whether to retry; the client's
 * own text stays in `cause`. Coded errors (the store's own) pass as they are, and so do the
 * replies the store reads itself (NOSCRIPT, its durability refusal).
 */
function codedError(error: unknown, name: string, command: string): unknown {
  if (error instanceof InternalError) return error
  const text = String((error as { message?: unknown })?.message ?? error)
  if (text.includes('NOSCRIPT') || text.includes('KEYLEASH_NOT_DURABLE')) return error
  const found = failingOver.find(([pattern]) => pattern.test(text))
  if (found !== undefined)
    return new InternalError(`${name}: ${found[1]}; ${command} was cut short (a write may or may not have been applied)`, {
      hint: 'it may be retried once the failover is over (seconds): a send was not signed (its call may stay counted); a revoke must be retried until it succeeds',
      retriable: true,
      cause: causeOf(error),
    })
  return new InternalError(`${name}: Redis refused ${command}`, { hint: 'check the server and its logs; it may be retried', cause: causeOf(error) })
}
