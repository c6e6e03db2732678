// What `frozenCopy` made and holds nothing mutable carries a private brand: such a value is
// handed out again as it is, so an unchanged part costs one check to copy. A brand, not a
// WeakSet: every entry of a WeakSet is an ephemeron the garbage collector must trace, which
// cost ~1.4 µs an object, and a grant makes ten. (The base class hands `target` back as
// `this`, so the subclass's field is added to `target` itself.)
class Stamped {
  constructor(target: object) {
    return target
  }
}
class Immutable extends Stamped {
  #immutable = true
  static add(value: object): void {
    new Immutable(value)
  }
  static has(value: object): boolean {
    return #immutable in value
  }
}
const immutable = Immutable

/**
 * A deeply frozen copy of plain data (what a session holds: objects, arrays, bigints,
 * strings, `Uint8Array`s, `Date`s), sharing every part that is already deeply frozen: a
 * session replaced with new usage (`{ ...session, usage }`) costs a copy of its top level
 * and of `usage`, and keeps the very `permissions` array, so caches keyed by its identity
 * (the compiled scope) stay valid.
 *
 * JavaScript cannot freeze the bytes of a typed array nor the time of a `Date`: those are
 * copied, and every object on the way to one is copied again by the next `frozenCopy`, so
 * no caller ever holds what another holds.
 *
 * @example
 * const stored = frozenCopy(session)
 * frozenCopy(stored) === stored // true: nothing in it could change
 * frozenCopy({ ...stored, usage }).permissions === stored.permissions // true
 */
export function frozenCopy<value>(value: value): value {
  return copy(value, 0) as value
}

// Whether the value `copy` last returned holds something JavaScript cannot freeze. A module
// variable rather than a second check per part: this runs on every grant and send.
let holdsMutable = false
// Only a session, its fields and theirs are ever shared into a new session (`{ ...session,
// usage: { ...usage, calls } }` keeps `usage.spent`), so only they are branded: deeper parts
// are reached through them.
const brandedDepth = 2

function copy(value: unknown, depth: number): unknown {
  holdsMutable = false
  if (typeof value !== 'object' || value === null || immutable.has(value)) return value
  if (ArrayBuffer.isView(value)) {
    holdsMutable = true
    return (value as Uint8Array).slice()
  }
  if (value instanceof Date) {
    holdsMutable = true
    return new Date(value.getTime())
  }
  let mutable = false
  // A shallow copy, then its object parts replaced: a spread or a slice copies at native speed
  // where setting each key in turn costs ten times more.
  const result: Record<string, unknown> = Array.isArray(value) ? (value.slice() as unknown as Record<string, unknown>) : { ...value }
  for (const key of Object.keys(result)) {
    const part = result[key]
    if (typeof part !== 'object' || part === null) continue
    result[key] = copy(part, depth + 1)
    mutable ||= holdsMutable
  }
  if (!mutable && depth <= brandedDepth) immutable.add(result)
  Object.freeze(result)
  holdsMutable = mutable
  return result
}
