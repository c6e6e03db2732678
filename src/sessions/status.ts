import type { Session, SessionStatus } from './types.js'

/**
 * A session's status at `now` (UNIX seconds). Stores keep only `active` or `revoked`;
 * `expired` is derived here, from the clock, at the moment it is asked: expired once
 * `now >= expiry` (the same rule as the scope check).
 *
 * @example
 * sessionStatus({ status: 'active', expiry: 1_800_000_000 }, 1_800_000_000) // 'expired'
 */
export function sessionStatus(session: Pick<Session, 'status' | 'expiry'>, now: number): SessionStatus {
  if (session.status === 'revoked') return 'revoked'
  return now >= session.expiry ? 'expired' : 'active'
}
