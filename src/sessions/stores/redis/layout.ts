import { InvalidParamsError } from '../../../errors.js'

/**
 * Where the Redis store keeps what, for a single Redis and a Redis Cluster alike.
 *
 * Every entry sits in one of {@link bucketCount} buckets, chosen by a hash of the session id
 * or key address, and every key name carries its bucket's hash tag: a session, its attempt ids
 * and the bucket's index of session ids share one cluster slot, so each script touches one
 * slot. The buckets' tags are picked so their slots are evenly spaced over the 16,384 slots:
 * however a cluster splits the slots into ranges, the buckets, and so the sessions, spread over
 * its masters. Listing reads the buckets' indexes, never `SCAN`: keyleash has nothing outside
 * the buckets, so reading every bucket reaches every master that holds any of it.
 *
 * A namespace that carries a hash tag of its own (`{shop}`) pins everything to that tag's one
 * slot: it still works on a cluster, on one master.
 *
 * @example
 * const layout = redisLayout('shop')
 * layout.session('0xc0ffee') // 'shop:{kl…}:s:0xc0ffee'
 */
export function redisLayout(partition: string) {
  const open = partition.indexOf('{')
  // Redis hashes the text between the first `{` and the first `}` after it, if not empty; a
  // namespace with a `{` and no such `}` would make our own tags be read from the wrong brace.
  if (open !== -1 && !(partition.indexOf('}', open) > open + 1))
    throw new InvalidParamsError('namespace', `"${partition}" has a "{" without a closing "}" after it: Redis Cluster would hash the store's keys to different slots; use a full hash tag such as "{shop}", or no braces`)
  const at = (bucket: number, kind: string) => `${partition}:{${bucketTags()[bucket]}}:${kind}`
  return {
    /** A session record (and a tombstone, which is a session entry of its own). */
    session: (id: string) => `${at(bucketOf(id), 's')}:${id}`,
    /** The last attempt ids of a session's compare-and-sets. */
    attempts: (id: string) => `${at(bucketOf(id), 'r')}:${id}`,
    /** The set of session ids in the bucket of `id`. */
    sessionIndex: (id: string) => at(bucketOf(id), 'ids'),
    /** A sealed key. */
    key: (address: string) => `${at(bucketOf(address), 'k')}:${address}`,
    /** The set of key addresses in the bucket of `address`. */
    keyIndex: (address: string) => at(bucketOf(address), 'keys'),
    /** Bucket `n`'s index of session ids and of key addresses, and how to name an entry of it. */
    bucket: (n: number) => ({
      sessions: at(n, 'ids'),
      keys: at(n, 'keys'),
      session: (id: string) => `${at(n, 's')}:${id}`,
      key: (address: string) => `${at(n, 'k')}:${address}`,
    }),
  }
}

/** The key names of one partition, see {@link redisLayout}. */
export type RedisLayout = ReturnType<typeof redisLayout>

/**
 * How many buckets a partition's entries spread over: enough that a cluster of a few dozen
 * masters gets some on each, few enough that listing (one read per bucket, sent together) stays cheap.
 */
export const bucketCount = 64

/**
 * The bucket of a session id or key address. Names that end alike after their last `/` share
 * one: a session's tombstone (`…revoked/<id>`) sits in its session's slot, so one script or
 * one `MGET` can reach both at once, on a cluster too.
 */
export function bucketOf(name: string): number {
  return crc16(name.slice(name.lastIndexOf('/') + 1)) % bucketCount
}

/**
 * The Redis Cluster slot of a key name (CRC16/XMODEM of its hash tag, or of the whole name).
 *
 * @example
 * slotOf('shop:{kl0-1}:s:0xc0ffee') === slotOf('{kl0-1}') // true
 */
export function slotOf(key: string): number {
  const open = key.indexOf('{')
  if (open !== -1) {
    const close = key.indexOf('}', open + 1)
    if (close > open + 1) return crc16(key.slice(open + 1, close)) % 16384
  }
  return crc16(key) % 16384
}

let tags: string[] | undefined
/** Bucket `n`'s tag hashes to a slot in the n-th of {@link bucketCount} equal ranges of slots. */
function bucketTags(): string[] {
  if (tags !== undefined) return tags
  const width = 16384 / bucketCount
  tags = Array.from({ length: bucketCount }, (_, n) => {
    for (let attempt = 0; ; attempt++) {
      const tag = `kl${n}-${attempt}`
      if (Math.floor(slotOf(tag) / width) === n) return tag
    }
  })
  return tags
}

const encoder = new TextEncoder()
/** CRC16/XMODEM (polynomial 0x1021), the checksum Redis Cluster maps key names to slots with. */
function crc16(text: string): number {
  let crc = 0
  for (const byte of encoder.encode(text)) {
    crc ^= byte << 8
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
  }
  return crc
}
