import { InvalidParamsError } from '../errors.js'
import type { ExpiryMode } from '../options.js'
import { describe, readSeconds } from './read.js'

/** What reading an expiry needs: the clock and the app's rules. */
export type ExpiryRules = {
  /** Now, in UNIX seconds. */
  now: number
  mode: ExpiryMode
  /** The longest session allowed, in seconds from now. */
  maxExpiry: number
}

// Below this, a value cannot be a timestamp of this era (it is 2001-09-09): it is a duration.
const earliestTimestamp = 1_000_000_000
// At or above this a value in seconds lands past the year 5138: it is milliseconds.
const earliestMilliseconds = 100_000_000_000

/**
 * Reads an app's `expiry` as absolute UNIX seconds.
 *
 * In `auto` mode a future timestamp is a timestamp, a value too small to be a timestamp
 * (the seed's `60 * 60 * 24`) is a duration from now, and a millisecond value is refused
 * rather than guessed. `timestamp` and `duration` modes read it only one way.
 *
 * @example
 * resolveExpiry(86_400, 'expiry', { now: 1_800_000_000, mode: 'auto', maxExpiry: 2_592_000 })
 * // 1_800_086_400
 */
export function resolveExpiry(value: unknown, field: string, rules: ExpiryRules): number {
  const seconds = readSeconds(value, field)
  const { now, mode, maxExpiry } = rules
  if (mode !== 'duration' && seconds >= earliestMilliseconds)
    throw new InvalidParamsError(field, `${seconds} looks like milliseconds; send UNIX seconds (divide by 1000)`)

  const isDuration = mode === 'duration' || (mode === 'auto' && seconds < earliestTimestamp)
  const expiry = isDuration ? now + seconds : seconds
  if (expiry <= now)
    throw new InvalidParamsError(field, `${seconds} is in the past (now is ${now}); send a future UNIX timestamp or, in auto mode, a duration in seconds`)
  if (expiry > now + maxExpiry)
    throw new InvalidParamsError(field, `${seconds} ends ${expiry - now} s from now, beyond the ${maxExpiry} s this app allows (maxExpiry)`)
  return expiry
}

/**
 * The app's injected clock, checked at every reading: whole UNIX seconds. `Date.now` (milliseconds)
 * would turn a one-day grant into an expiry of ~1.7e12, which wallets read as seconds: a session
 * that never ends.
 *
 * @example
 * const now = checkedClock(context.now) // now() throws -32602 naming `now` on a millisecond clock
 */
export function checkedClock(clock: () => number): () => number {
  return () => {
    const now = clock()
    if (!Number.isSafeInteger(now) || now <= 0 || now >= earliestMilliseconds)
      throw new InvalidParamsError('now', `must answer whole UNIX seconds, got ${describe(now)}${now >= earliestMilliseconds ? ' (milliseconds?)' : ''}`, {
        hint: 'pass now: () => Math.floor(Date.now() / 1000), or leave it out for the system clock',
      })
    return now
  }
}
