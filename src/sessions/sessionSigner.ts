import type { Address, LocalAccount } from 'viem'
import { UnauthorizedError } from '../errors.js'
import type { MethodContext } from '../methods/types.js'
import { isLive } from './find.js'

/**
 * The signer for `address` when it is the key of a live session; `undefined` when it is not
 * a session key at all (the request is then the wallet's). The key of a session that has
 * expired or was revoked never signs again: that is a 4100, not a pass-through.
 *
 * @example
 * const signer = await sessionSigner(context, '0x…')
 */
export async function sessionSigner(context: MethodContext, address: Address): Promise<LocalAccount | undefined> {
  const now = context.now()
  let indexed = await context.index.byKey(address)
  // Not a session key as far as this instance knows: another one sharing the store may have granted it.
  if (indexed.length === 0 && context.index.refresh(now)) indexed = await context.index.byKey(address)
  if (indexed.length === 0) return undefined
  // The index may be older than the store (a revoke by another instance): confirm in the store.
  for (const candidate of indexed) {
    if (!isLive(candidate, now)) continue
    const stored = await context.store.get(candidate.id)
    if (stored && isLive(stored, now)) {
      const signer = await context.store.keys.signer(address)
      if (signer) return signer
    }
  }
  throw new UnauthorizedError(`${address} is the key of a session that has expired or was revoked; it signs no more`, {
    field: 'address',
    hint: 'grant a new session',
  })
}
