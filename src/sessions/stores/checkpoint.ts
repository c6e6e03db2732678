import { readFile } from 'node:fs/promises'
import { causeOf, InternalError } from '../../errors.js'
import { freezeOwned, frozenCopy } from '../frozen.js'
import type { Session } from '../types.js'
import { writeFileAtomic } from './atomicWrite.js'
import type { KeyRing } from './keyRing.js'
import { fromJson, hasTag, tagOf, tagShape, toJson, type Json } from './serialize.js'

/** The records a persistent store has opened, by id: the value read and the frozen session it opened to. */
export type KnownRecords = Map<string, { value: string; session: Session }>

/**
 * A signed summary of a store's session records, so that a process that lists many records
 * it has not read yet (a restarted app) checks one tag instead of one a record.
 */
export type Checkpoint = {
  /**
   * Before a list opens `records` (`[id, value]`): adds to `known` the records this checkpoint
   * vouches for among those `known` does not hold yet. Resolves to what to call once the list
   * has opened every record: it saves a new checkpoint, in the background, when the list had
   * to open many records one by one.
   */
  read(records: readonly (readonly [string, string])[], known: KnownRecords): Promise<() => void>
}

/** How {@link fileCheckpoint} is set up by `fileStore`. */
export type FileCheckpointSettings = {
  /** The store's ciphers: the checkpoint is tagged, and read, under the current one's record key only. */
  cipher: () => Promise<KeyRing>
  /** Where a checkpoint that could not be read or written is reported (a list is slower, never wrong). */
  report: (error: InternalError) => void
  /** How many records a list must open one by one before a checkpoint is read or saved. Default: 1,000. */
  above?: number | undefined
}

/**
 * The {@link Checkpoint} of the one-file layout, in a file beside the log
 * (`<log>.<partition hash>.checkpoint`). At 100,000 records, a first `list()` spent seconds
 * checking each record's tag and parsing each record.
 *
 * - **What it vouches for.** A record's tag (`serialize.ts` `tagOf`) names its exact text and
 *   id. The checkpoint maps tags to the sessions their records opened to, and carries one tag
 *   of its own over all of it, under the store's record key. A record whose tag it maps to a
 *   session of that record's id is read as that session, unchecked; any other is opened as
 *   always. So a checkpoint never says more than records that were checked once: one put
 *   back, or older than the log, vouches only for records that were genuine. A record whose
 *   text was altered at rest but kept its tag reads as what it said before; the alteration is
 *   not reported.
 * - **When it is written.** After a list that opened at least `above` records one by one: built
 *   from the sessions that list opened, in slices that give the event loop turns, tagged, then
 *   renamed into place (a crash leaves the old one or the new one). One at a time per store.
 *   Several processes may write it: the last rename wins, and each is whole.
 * - **Its form.** A header `#keyleash checkpoint 1 <tag>`, then one JSON text: the members
 *   (name and value, as the codec writes them) that many sessions share, each once; the
 *   shapes (each session's members in order, shared ones by index); and, in one array, each
 *   record's shape then the values of its own members (a bigint by its digits alone, a string
 *   met earlier in the same session by its place). Then a newline and the record tags. A
 *   shared member is decoded and frozen once, and every session that has it holds the same
 *   frozen value.
 * - A checkpoint under another key (before a rotation), damaged, or of another version is
 *   passed over without a report, and replaced by the next list that opens records one by one.
 *
 * @example
 * const checkpoint = fileCheckpoint('./data/sessions.jsonl.5d41402abc4b2a76.checkpoint', 'fileStore ./data/sessions.jsonl', { cipher, report: console.warn })
 */
export function fileCheckpoint(path: string, store: string, settings: FileCheckpointSettings): Checkpoint {
  const { cipher, report, above = 1000 } = settings
  let saving: Promise<void> | undefined

  const failed = (step: string, error: unknown) =>
    report(
      new InternalError(`${store}: could not ${step} its checkpoint ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
        store,
        hint: 'lists stay correct, only slower: each record is checked on its own until a checkpoint is written',
        cause: causeOf(error),
      }),
    )

  /** What the checkpoint on disk vouches for (see {@link Vouched}); none when there is none it can trust. */
  async function load(): Promise<Vouched> {
    const none = { sessions: [], tags: '' }
    const auth = (await cipher()).current.records
    if (auth === undefined) return none
    let file: Buffer
    try {
      file = await readFile(path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') failed('read', error)
      return none
    }
    const newline = file.indexOf(0x0a)
    const tag = file.toString('latin1', headerPrefix.length, newline)
    if (newline !== headerPrefix.length + 64 || file.toString('latin1', 0, headerPrefix.length) !== headerPrefix || !tagShape.test(tag)) return none
    const body = file.subarray(newline + 1)
    // The tag is checked on the thread pool (WebCrypto, one job) while this thread decodes, which
    // has no effect but memory: what was decoded is used only once the tag holds. At 100,000
    // records, checking it first on this thread added ~80 ms to a first list.
    const genuine = crypto.subtle.verify('HMAC', auth.key, Buffer.from(tag, 'hex'), Buffer.concat([domain, body])).catch(() => false)
    let vouched: Vouched
    try {
      vouched = decode(body.toString('utf8'))
    } catch {
      vouched = none // tagged under this key, but not by this version
    }
    return (await genuine) ? vouched : none
  }

  /** Writes a checkpoint of `records`, each with the session it opened to; reports a failure. */
  function save(records: [tag: string, session: Session][]): void {
    saving ??= (async () => {
      await turn() // the list that asked for it answers first
      const auth = (await cipher()).current.records
      if (auth === undefined) return
      const body = await encode(records)
      await writeFileAtomic(path, `${headerPrefix}${await auth.tag(signed(body))}\n${body}`)
    })()
      .catch((error: unknown) => failed('write', error))
      .finally(() => (saving = undefined))
  }

  return {
    async read(records, known) {
      // Records by index, not destructured: at 100,000 records, an array pattern (an iterator each) cost tens of milliseconds a loop.
      const cold = known.size === 0 ? records : records.filter((record) => known.get(record[0])?.value !== record[1])
      let vouched = 0
      if (cold.length >= above) {
        const { sessions, tags } = await load()
        // Rows are in the order of the list that saved them, as the log's records are still: looked up by id only once they part.
        let byId: Map<string, number> | undefined
        let next = 0
        for (let i = 0; i < cold.length; i++) {
          const id = cold[i]![0]
          const value = cold[i]![1]
          const row = sessions[next]?.id === id ? next : (byId ??= new Map(sessions.map((session, row) => [session.id, row]))).get(id)
          if (row === undefined) continue
          next = row + 1
          if (!hasTag(value, tags.slice(64 * row, 64 * row + 64))) continue
          known.set(id, { value, session: sessions[row]! })
          vouched++
        }
      }
      return () => {
        if (cold.length - vouched < above) return
        const opened: [string, Session][] = []
        for (const [id, value] of records) {
          const last = known.get(id)
          const tag = tagOf(value)
          if (last?.value === value && tag !== undefined) opened.push([tag, last.session])
        }
        save(opened)
      }
    },
  }
}

const headerPrefix = '#keyleash checkpoint 1 '

// Domain separation: a record's tag is over `keyleash/session…`, never this.
const domain = Buffer.from('keyleash/checkpoint\u0000')
const signed = (body: string) => `${domain.toString()}${body}`

// Sessions encoded between two turns of the event loop (a few milliseconds of work).
const sliceSize = 250

/** The checkpoint's JSON text of `records` (see {@link fileCheckpoint}). */
async function encode(records: [tag: string, session: Session][]): Promise<string> {
  const objects: JsonObject[] = []
  // Every member (a name and its value's JSON) once, with how many times it occurs, at any depth, in all the sessions.
  const tallies = new Map<string, Map<string, Tally>>()
  // Each plain object's members, found once for both passes.
  const membersOf = new Map<JsonObject, [tally: Tally, value: Json][]>()
  const count = (object: JsonObject) => {
    const members: [Tally, Json][] = []
    for (const name in object) {
      const value = object[name]!
      const json = JSON.stringify(value)
      let byJson = tallies.get(name)
      if (byJson === undefined) tallies.set(name, (byJson = new Map()))
      let tally = byJson.get(json)
      if (tally === undefined) byJson.set(json, (tally = { name: JSON.stringify(name), json, count: 0, index: -1 }))
      tally.count++
      members.push([tally, value])
      if (isPlain(value)) count(value)
    }
    membersOf.set(object, members)
  }
  for (let i = 0; i < records.length; i++) {
    if (i % sliceSize === sliceSize - 1) await turn()
    const session = records[i]![1]
    objects.push(toJson(session, `session ${session.id}`) as JsonObject)
    count(objects[i]!)
  }
  // A member is shared when enough sessions have it: one that few share would split the shapes, and save little.
  const sharedFrom = Math.max(2, records.length >> 6)
  const shared: Tally[] = []
  const shapes = new Map<string, number>()
  /**
   * The index of `object`'s shape; its own values are appended to `row`, in order (a nested
   * object's inline), but a string `row` holds already (`placed`: its JSON and its place there)
   * is named by its place: a key's address is its signer's too, one string fewer to parse and keep.
   */
  const shapeOf = (object: JsonObject, row: string[], placed: Map<string, number>): number => {
    const parts: string[] = []
    for (const [tally, value] of membersOf.get(object)!) {
      if (tally.count >= sharedFrom) {
        if (tally.index < 0) tally.index = shared.push(tally) - 1
        parts.push(String(tally.index))
      } else if (isPlain(value)) parts.push(`[${tally.name},${shapeOf(value, row, placed)}]`)
      else if (isBigint(value)) {
        // Its digits alone: an object of two members a session (usage.native) took JSON.parse as long as its other own values together.
        parts.push(`[${tally.name}]`)
        row.push(JSON.stringify(value.v))
      } else if (typeof value === 'string' && placed.has(tally.json)) parts.push(`[${tally.name},null,${placed.get(tally.json)}]`)
      else {
        if (typeof value === 'string') placed.set(tally.json, row.length)
        parts.push(tally.name)
        row.push(tally.json)
      }
    }
    const shape = parts.join(',')
    let index = shapes.get(shape)
    if (index === undefined) shapes.set(shape, (index = shapes.size))
    return index
  }
  const rows: string[] = []
  for (let i = 0; i < objects.length; i++) {
    if (i % sliceSize === sliceSize - 1) await turn()
    const row: string[] = []
    const shape = shapeOf(objects[i]!, row, new Map())
    rows.push([shape, ...row].join(','))
  }
  const members = shared.map(({ name, json }) => `[${name},${json}]`)
  const tags = records.map(([tag]) => tag).join('')
  // The tags after the JSON text, not in it: JSON.parse would copy 6.4 MB of them at 100,000 records.
  return `{"v":2,"members":[${members.join(',')}],"shapes":[${[...shapes.keys()].map((shape) => `[${shape}]`).join(',')}],"rows":[${rows.join(',')}]}\n${tags}`
}

/** A member of the sessions a checkpoint is made of: its name (quoted) and value as JSON, how many times it occurs, and its index among the shared ones (-1: none yet). */
type Tally = { name: string; json: string; count: number; index: number }

type JsonObject = { [name: string]: Json }

/** A bigint as the codec writes it. */
function isBigint(value: Json): value is { $t: 'bigint'; v: string } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && value.$t === 'bigint' && typeof value.v === 'string'
}

/** An object the checkpoint takes apart member by member: a plain one, not an array or a codec's tagged value (a leaf, revived whole). */
function isPlain(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Object.hasOwn(value, '$t')
}

const turn = () => new Promise((resolve) => setImmediate(resolve))

const shared = 0
const own = 1
const nested = 2
const bigint = 3
const again = 4

/**
 * One part of a shape: a shared member's index, an own member's name (its value next in the
 * row), an own object's name and shape, an own bigint's name alone (its digits next in the row),
 * or an own string's name and the place in the row of the same string, met before.
 */
type Part = number | string | [name: string, shape: number] | [name: string] | [name: string, again: null, at: number]

/** What a checkpoint vouches for: sessions, each for the record whose tag is at its index in `tags` (64 hex characters each). */
type Vouched = { sessions: Session[]; tags: string }

/** The sessions of a checkpoint's text (its JSON, a newline, its tags); a throw when it is not one this version wrote. */
function decode(body: string): Vouched {
  const cut = body.lastIndexOf('\n')
  const { v, members, shapes, rows } = JSON.parse(body.slice(0, cut)) as { v?: unknown; members?: unknown; shapes?: unknown; rows?: unknown }
  const tags = body.slice(cut + 1)
  if (v !== 2 || !Array.isArray(members) || !Array.isArray(shapes) || !Array.isArray(rows)) throw new Error('not a checkpoint of version 2')
  // Shared members, each decoded and frozen once.
  const values = (members as [string, Json][]).map(([name, json]) => {
    const value = fromJson(json)
    return [name, typeof value === 'object' && value !== null ? freezeOwned(value) : value] as const
  })
  // Per shape, its members' names, and for each what it is: a shared value, the row's next value, or an object of a shape.
  const compiled = (shapes as Part[][]).map((parts) => ({
    names: parts.map((part) => (typeof part === 'number' ? values[part]![0] : typeof part === 'string' ? part : part[0])),
    kinds: parts.map((part) => (typeof part === 'number' ? shared : typeof part === 'string' ? own : part.length === 1 ? bigint : part.length === 3 ? again : nested)),
    payload: parts.map((part) => (typeof part === 'number' ? values[part]![1] : typeof part === 'string' ? undefined : part.length === 3 ? part[2] : part[1])),
  }))
  // The rows one after another in one array, each its shape then its values: an array a row cost JSON.parse ~30 ms at 100,000.
  const row = rows as Json[]
  let next = 0
  // Where the values of the session being built start in `row`.
  let start = 0
  // Whether the session being built holds bytes or a date, which freezing cannot cover: then it is handed out as copies (frozen.ts).
  let mutable = false
  const build = (shape: number): Record<string, unknown> => {
    const { names, kinds, payload } = compiled[shape]!
    const object: Record<string, unknown> = {}
    for (let i = 0; i < names.length; i++) {
      const kind = kinds[i]
      let value: unknown
      if (kind === shared) value = payload[i]
      else if (kind === nested) value = build(payload[i] as number)
      else if (kind === bigint) value = BigInt(row[next++] as string)
      else if (kind === again) value = row[start + (payload[i] as number)]
      else if (typeof (value = fromJson(row[next++])) === 'object' && value !== null) {
        const frozen = freezeOwned(value)
        mutable ||= frozen !== value
        value = frozen
      }
      object[names[i]!] = value
    }
    return Object.freeze(object)
  }
  const sessions: Session[] = []
  while (next < row.length) {
    mutable = false
    const shape = row[next++] as number
    start = next
    const session = build(shape)
    sessions.push((mutable ? frozenCopy(session) : session) as unknown as Session)
  }
  if (tags.length !== 64 * sessions.length) throw new Error('not a checkpoint of version 2')
  return { sessions, tags }
}
