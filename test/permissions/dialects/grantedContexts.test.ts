import { describe, expect, test } from 'vitest'
import { grantedContexts } from '../../../src/permissions/dialects/grantedContexts.js'
import type { ResolvedGrantRequest } from '../../../src/permissions/dialects/types.js'

const signer = (n: number) => ({ type: 'account', address: `0x${String(n).repeat(40)}` }) as const
const request = (n: number) => ({ signer: signer(n) }) as unknown as ResolvedGrantRequest

describe('grantedContexts', () => {
  test('default: the June 2024 answer\'s permissionsContext, whatever else it holds', () => {
    expect(grantedContexts({ permissionsContext: '0x01', expiry: Number.NaN, grantedPermissions: 'x' }, [request(1)])).toStrictEqual([{ id: '0x01', signer: signer(1) }])
  })

  test('behavior: a list answer, item by item, each with the signer asked at its place; unreadable items are skipped', () => {
    expect(grantedContexts([{ context: '0x01' }, { context: 7 }, null, { context: '0x04' }], [request(1), request(2), request(3), request(4)])).toStrictEqual([
      { id: '0x01', signer: signer(1) },
      { id: '0x04', signer: signer(4) },
    ])
  })

  test('behavior: a list longer than the requests is revoked whole, extras with the last signer; a bare string is a context', () => {
    expect(grantedContexts([{ context: '0x01' }, { context: '0x02' }], [request(1)])).toStrictEqual([
      { id: '0x01', signer: signer(1) },
      { id: '0x02', signer: signer(1) },
    ])
    expect(grantedContexts('0xabc', [request(1)])).toStrictEqual([{ id: '0xabc', signer: signer(1) }])
  })

  test('behavior: nothing readable names nothing, and never throws', () => {
    for (const answer of [undefined, null, 42, '', {}, { permissionsContext: '' }, [], { context: { id: 1 } }]) expect(grantedContexts(answer, [request(1)])).toStrictEqual([])
  })
})
