import type { SessionKeySigner } from './p256Key.js'
import type { Session, SessionStore } from './types.js'

/**
 * Where a session's key stands in `store`: `signer` when it opens here; `locked` when the
 * store holds it but cannot open it (sealed under another `encryptionKey`, or damaged: the
 * store reports which to its `onError`); `none` when there is no key to sign with (a wallet
 * signer, a key never imported, or one deleted by a revoke).
 *
 * @example
 * const state = await keyState(store, session)
 * if (state.kind === 'locked') console.warn('this session cannot sign here')
 */
export async function keyState(store: SessionStore, session: Pick<Session, 'keyAddress'>): Promise<{ kind: 'signer'; signer: SessionKeySigner } | { kind: 'locked' | 'none' }> {
  if (session.keyAddress === undefined) return { kind: 'none' }
  const signer = await store.keys.signer(session.keyAddress)
  if (signer !== undefined) return { kind: 'signer', signer }
  return { kind: (await store.keys.has(session.keyAddress)) ? 'locked' : 'none' }
}
