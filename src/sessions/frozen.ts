// Everything `frozenCopy` made, or took as it was because it already held nothing mutable:
// such a value is handed out again as it is, so an unchanged part costs one lookup to copy.
const immutable = new WeakSet<object>()

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
  if (typeof value !== 'object' || value === null || immutable.has(value)) return value
  if (ArrayBuffer.isView(value)) return (value as unknown as Uint8Array).slice() as value
  if (value instanceof Date) return new Date(value.getTime()) as value
  let settled = true
  const copy = (part: unknown) => {
    const copied = frozenCopy(part)
    if (typeof copied === 'object' && copied !== null && !immutable.has(copied)) settled = false
    return copied
  }
  let result: object
  if (Array.isArray(value)) result = value.map(copy)
  else {
    const fields: Record<string, unknown> = {}
    for (const key of Object.keys(value)) fields[key] = copy((value as Record<string, unknown>)[key])
    result = fields
  }
  Object.freeze(result)
  if (settled) immutable.add(result)
  return result as value
}
