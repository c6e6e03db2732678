import { InvalidParamsError, UnauthorizedError } from '../errors.js'
import type { AllowList } from '../options.js'
import { describe, readAddress } from './read.js'
import { toSelector } from './selectors.js'
import type { Permission } from './types.js'

/**
 * The `allow` option of `withSessionKeys`, as {@link allowList} makes it: the contracts and
 * functions this app ever grants, read once, and the check every grant goes through. Only an
 * app that passes one bundles it.
 *
 * @example
 * const allow: AllowListOption = allowList([{ target: nft, selectors: ['mint(address)'] }])
 */
export type AllowListOption = {
  /** The list as read: targets checksummed, selectors as 4-byte hex. */
  readonly entries: AllowList
  /** @internal Throws 4100 naming the first of `permissions` (at `path` in the params) the list does not cover. */
  readonly check: (permissions: readonly Permission[], path: string) => void
}

/**
 * The widest grant this app ever makes: a grant wider than `entries` is refused with 4100 before
 * the wallet is asked, and so is a native transfer, a revocation or a permission type keyleash
 * cannot enforce. Each entry is a `target` and, optionally, the function signatures or 4-byte
 * selectors it may be called with (every function when omitted). Pass it as `allow`; a wrong
 * shape is a -32602 naming the entry, here, at setup.
 *
 * @example
 * import { allowList, withSessionKeys } from 'keyleash'
 *
 * const provider = withSessionKeys(inner, { allow: allowList([{ target: nft, selectors: ['mint(address)'] }]) })
 */
export function allowList(entries: AllowList): AllowListOption {
  const read = readAllowList(entries)
  // One lookup per permission: the list's rules by lower-case target, their selectors as sets.
  const rules = new Map<string, Set<string> | undefined>()
  for (const entry of read) {
    const key = entry.target.toLowerCase()
    if (!rules.has(key)) rules.set(key, entry.selectors && new Set(entry.selectors))
  }
  return Object.freeze({ entries: read, check: (permissions: readonly Permission[], path: string) => checkAllowList(permissions, rules, path) })
}

/** The allow-list, every target and selector checked, selectors as 4-byte hex. */
function readAllowList(allow: unknown): AllowList {
  if (!Array.isArray(allow))
    throw new InvalidParamsError('allow', `must be a list of { target, selectors? }, got ${describe(allow)}`, { hint: 'e.g. allowList([{ target: nft, selectors: ["mint(address)"] }])' })
  return allow.map((entry: unknown, i) => {
    const field = `allow[${i}]`
    if (typeof entry !== 'object' || entry === null) throw new InvalidParamsError(field, `must be an object { target, selectors? }, got ${describe(entry)}`)
    const { target, selectors, ...rest } = entry as Record<string, unknown>
    // The grant's own shape is the likeliest mistake: say which words the allow-list uses.
    if ('address' in rest || 'calls' in rest)
      throw new InvalidParamsError(field, 'takes { target, selectors }, not the grant\'s { address, calls }')
    const extra = Object.keys(rest)[0]
    if (extra !== undefined) throw new InvalidParamsError(`${field}.${extra}`, 'is not a field of an allow-list entry: { target, selectors? }')
    const address = readAddress(target, `${field}.target`)
    if (selectors === undefined) return { target: address }
    if (!Array.isArray(selectors))
      throw new InvalidParamsError(`${field}.selectors`, `must be a list of function signatures or selectors, got ${describe(selectors)}`)
    return { target: address, selectors: selectors.map((selector: unknown, j) => toSelector(selector, `${field}.selectors[${j}]`)) }
  })
}

function checkAllowList(permissions: readonly Permission[], rules: ReadonlyMap<string, ReadonlySet<string> | undefined>, path: string): void {
  permissions.forEach((permission, i) => {
    const field = `${path}permissions[${i}]`
    const target = permission.type === 'contract-call' ? permission.target : 'token' in permission ? permission.token : undefined
    if (permission.type === 'native-transfer' || target === 'native')
      throw new UnauthorizedError(`${field}: native transfers are outside this app's allow-list`, { field })
    // The allow-list names what the app grants; a type keyleash cannot enforce is not among it, required or not.
    if (permission.type === 'custom')
      throw new UnauthorizedError(`${field}: "${permission.name}" is a permission type outside this app's allow-list`, {
        field,
        hint: 'grant contract-call or erc20-token-transfer permissions on targets the allow-list names',
      })
    if (permission.type === 'revocation' || target === undefined)
      throw new UnauthorizedError(`${field}: revoking approvals on any token is outside this app's allow-list`, { field })
    // An ERC-20 permission implies `transfer` on the token.
    const selectors = permission.type === 'contract-call' ? permission.selectors : (['0xa9059cbb'] as const)
    const key = target.toLowerCase()
    if (!rules.has(key)) throw new UnauthorizedError(`${field}: ${target} is outside this app's allow-list`, { field })
    const allowed = rules.get(key)
    if (!allowed) return
    if (selectors === 'any')
      throw new UnauthorizedError(`${field}: every function of ${target} is wider than this app's allow-list`, { field, hint: 'name the functions in data.calls' })
    const outside = selectors.find((s) => !allowed.has(s))
    if (outside) throw new UnauthorizedError(`${field}: function ${outside} of ${target} is outside this app's allow-list`, { field })
  })
}
