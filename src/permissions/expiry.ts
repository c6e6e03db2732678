import { InvalidParamsError } from '../errors.js'
import type { ExpiryMode } from '../options.js'
import { describe } from './read.js'

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
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new InvalidParamsError(field, `must be a number of seconds, got ${describe(value)}`)
  if (!Number.isInteger(value)) throw new InvalidParamsError(field, `must be a whole number of seconds, got ${value}`)
  if (value <= 0) throw new InvalidParamsError(field, `must be positive, got ${value}`)

  const { now, mode, maxExpiry } = rules
  if (mode !== 'duration' && value >= earliestMilliseconds)
    throw new InvalidParamsError(field, `${value} looks like milliseconds; send UNIX seconds (divide by 1000)`)

  const isDuration = mode === 'duration' || (mode === 'auto' && value < earliestTimestamp)
  const expiry = isDuration ? now + value : value
  if (expiry <= now)
    throw new InvalidParamsError(field, `${value} is in the past (now is ${now}); send a future UNIX timestamp or, in auto mode, a duration in seconds`)
  if (expiry > now + maxExpiry)
    throw new InvalidParamsError(field, `${value} ends ${expiry - now} s from now, beyond the ${maxExpiry} s this app allows (maxExpiry)`)
  return expiry
}
