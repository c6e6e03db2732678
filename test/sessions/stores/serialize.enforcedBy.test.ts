import { describe, expect, test } from 'vitest'
import { enforcedBy } from '../../../src/permissions/enforcement.js'
import { decodeSession, encodeSession } from '../../../src/sessions/stores/serialize.js'
import { openfort } from '../../../src/wallets/openfort.js'
import { sessionFixture } from '../../utils/sessionFixture.js'

describe('enforcedBy at rest', () => {
  test('default: a reloaded session keeps who enforces each rule', () => {
    const session = sessionFixture({ id: 'ses_1', wallet: 'openfort', enforcedBy: enforcedBy(openfort.enforces) })
    expect(decodeSession(encodeSession(session))).toStrictEqual(session)
  })

  test('behavior: a session stored before sessions said so reloads with every rule as keyleash\'s alone', () => {
    const { enforcedBy: _, ...older } = sessionFixture()
    expect(decodeSession(encodeSession(older as never)).enforcedBy).toStrictEqual(enforcedBy([]))
  })

  test('error: a damaged record is refused, naming the field', () => {
    const text = encodeSession(sessionFixture({ enforcedBy: { ...enforcedBy([]), selector: 'nobody' as never } }))
    expect(() => decodeSession(text)).toThrowErrorMatchingInlineSnapshot(`[InternalError: the stored session's enforcedBy is not a record of 'wallet' or 'keyleash' per rule]`)
  })
})
