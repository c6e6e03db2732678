import { describe, expect, test } from 'vitest'
import { resolveExpiry, type ExpiryRules } from '../../src/permissions/expiry.js'
import { rejection } from '../utils/rejection.js'

const now = 1_800_000_000
const day = 86_400
const auto: ExpiryRules = { now, mode: 'auto', maxExpiry: 30 * day }

function error(value: unknown, rules: ExpiryRules = auto) {
  return rejection(() => resolveExpiry(value, 'expiry', rules))
}

describe('auto mode', () => {
  test('default: a future UNIX timestamp is kept as it is', () => {
    expect(resolveExpiry(now + day, 'expiry', auto)).toBe(now + day)
  })
  test('behavior: a value too small to be a timestamp (the seed\'s 60 * 60 * 24) is a duration from now', () => {
    expect(resolveExpiry(60 * 60 * 24, 'expiry', auto)).toBe(now + day)
  })
  test('error: milliseconds are refused with a message that says so', () => {
    expect(error((now + day) * 1000)).toMatchInlineSnapshot(`
      {
        "code": -32602,
        "message": "expiry: 1800086400000 looks like milliseconds; send UNIX seconds (divide by 1000)",
      }
    `)
  })
  test('error: a timestamp in the past is refused', () => {
    expect(error(now - 1).message).toBe(
      'expiry: 1799999999 is in the past (now is 1800000000); send a future UNIX timestamp or, in auto mode, a duration in seconds',
    )
  })
  test('error: now itself is not in the future', () => {
    expect(error(now).code).toBe(-32602)
  })
  test.each([0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '86400', null, undefined, {}])('error: %s is not a positive whole number of seconds', (value) => {
    expect(error(value).code).toBe(-32602)
    expect(error(value).message).toMatch(/^expiry: /)
  })
  test('error: beyond maxExpiry is refused, as a timestamp or a duration', () => {
    expect(error(now + 31 * day).message).toBe('expiry: 1802678400 ends 2678400 s from now, beyond the 2592000 s this app allows (maxExpiry)')
    expect(error(31 * day).message).toMatch(/beyond the 2592000 s/)
  })
  test('behavior: exactly maxExpiry is allowed', () => {
    expect(resolveExpiry(30 * day, 'expiry', auto)).toBe(now + 30 * day)
  })
})

describe('explicit modes', () => {
  test('behavior: timestamp mode never reads a small value as a duration', () => {
    expect(error(day, { ...auto, mode: 'timestamp' }).message).toMatch(/is in the past/)
  })
  test('behavior: duration mode reads every value as seconds from now', () => {
    expect(resolveExpiry(3600, 'expiry', { ...auto, mode: 'duration' })).toBe(now + 3600)
    expect(error(now + 1, { ...auto, mode: 'duration' }).message).toMatch(/beyond the/)
  })
})
