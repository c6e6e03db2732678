// What holds a part JavaScript cannot freeze (the bytes of a typed array, the time of a
// `Date`) is handed out as a fresh copy each time. Sessions never hold one in practice, so
// this set stays empty and costs the garbage collector nothing; a brand on every frozen
// object instead cost ~1 µs an object, three objects a send.
const holdingMutable = new WeakSet<object>()
// How many were ever added: while none were, the hot path asks the set nothing.
let heldMutable = 0
const holdsMutablePart = (value: object) => heldMutable !== 0 && holdingMutable.has(value)

/**
 * A deeply frozen copy of plain data (what a session holds: objects, arrays, bigints,
 * strings, `Uint8Array`s, `Date`s). Typed arrays and `Date`s cannot be frozen: they are
 * copied, and {@link handOut} copies what holds them again, so no caller ever holds what
 * another holds.
 *
 * @example
 * const stored = frozenCopy(session)
 * Object.isFrozen(stored.permissions) // true
 */
export function frozenCopy<value>(value: value): value {
  const result = copy(value)
  if (holdsMutable && typeof result === 'object' && result !== null) {
    holdingMutable.add(result)
    heldMutable++
  }
  return result as value
}

/**
 * `next`, deeply frozen where it is, for a store to keep in place of `current` (a value
 * {@link frozenCopy} or `frozenReplace` made). The parts `next` shares with `current` are
 * frozen already and kept as they are: a session replaced with new usage (`{ ...session,
 * usage }`) costs freezing its top level and `usage`, and keeps the very `permissions` array,
 * so caches keyed by its identity (the compiled scope) stay valid. Freezing in place rather
 * than copying: what an update's `change` returns is the store's from then on, and a copy of
 * it was a measurable part of a send. `next` is copied instead when it is frozen already
 * (something else may hold it) or holds bytes or dates, which cannot be frozen.
 *
 * @example
 * const next = frozenReplace(stored, { ...stored, usage })
 * next.permissions === stored.permissions // true
 * Object.isFrozen(next.usage) // true
 */
export function frozenReplace<value extends object>(current: value, next: value): value {
  if (next === current) return current
  if (holdsMutablePart(current) || Object.isFrozen(next)) return frozenCopy(next)
  return freezeOwned(next, current)
}

/**
 * `value`, which nothing else holds (just decoded, just built), deeply frozen where it is
 * rather than copied, passing over the parts it shares with `shared` (frozen already); a
 * frozen copy instead when it holds bytes or dates.
 *
 * @example
 * const session = freezeOwned(decodeSession(text))
 */
export function freezeOwned<value extends object>(value: value, shared?: unknown): value {
  return freezeInPlace(value, shared) ? value : frozenCopy(value)
}

/**
 * Deeply freezes `value` where it is, passing over every part it shares with `before` (frozen
 * already, at any depth: `{ ...usage, calls }` keeps `usage.spent`); `false` (having frozen
 * some of it) when it holds bytes or a date.
 */
function freezeInPlace(value: object, before: unknown): boolean {
  if (ArrayBuffer.isView(value) || value instanceof Date) return false
  const shared = typeof before === 'object' && before !== null ? (before as Record<string, unknown>) : undefined
  // By index for an array (see `copy`); `for…in` otherwise rather than `Object.keys`: no array
  // made per object, and plain data inherits no enumerable keys.
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!freezePart(value[i], shared?.[i])) return false
  } else for (const key in value) if (!freezePart((value as Record<string, unknown>)[key], shared?.[key])) return false
  Object.freeze(value)
  return true
}

/** A member frozen where it is, unless it is no object or is the part it replaces (frozen already). */
function freezePart(part: unknown, before: unknown): boolean {
  return typeof part !== 'object' || part === null || part === before || freezeInPlace(part, before)
}

/**
 * What a store hands out of a value {@link frozenCopy} or {@link frozenReplace} made: the
 * value itself, or a fresh copy when it holds bytes or dates.
 *
 * @example
 * return handOut(sessions.get(id))
 */
export function handOut<value>(value: value): value {
  return typeof value === 'object' && value !== null && holdsMutablePart(value) ? frozenCopy(value) : value
}

// Whether the value `copy` last returned holds something JavaScript cannot freeze. A module
// variable rather than a second result per part: this runs on every grant and send.
let holdsMutable = false

function copy(value: unknown): unknown {
  holdsMutable = false
  if (typeof value !== 'object' || value === null) return value
  if (ArrayBuffer.isView(value)) {
    holdsMutable = true
    return (value as Uint8Array).slice()
  }
  if (value instanceof Date) {
    holdsMutable = true
    return new Date(value.getTime())
  }
  let mutable = false
  let result: Record<string, unknown> | unknown[]
  if (Array.isArray(value)) {
    // By index: `for…in` over an array yields its indices as strings, each then looked up the
    // slow way; that was over a third of the copy every grant pays in `put`.
    result = value.slice()
    for (let i = 0; i < result.length; i++) {
      const part: unknown = result[i]
      if (typeof part !== 'object' || part === null) continue
      result[i] = copy(part)
      mutable ||= holdsMutable
    }
  } else {
    result = { ...value }
    // `for…in` over the fresh copy (plain data inherits no enumerable keys), not `Object.keys`:
    // no key array per object, and V8 reads keys from the copy's enum cache.
    for (const key in result) {
      const part = result[key]
      if (typeof part !== 'object' || part === null) continue
      result[key] = copy(part)
      mutable ||= holdsMutable
    }
  }
  Object.freeze(result)
  holdsMutable = mutable
  return result
}
