import { describe, expect, test } from 'vitest'
import { partitionOf } from '../../../src/sessions/stores/options.js'
import { rejection } from '../../utils/rejection.js'

describe('partitionOf', () => {
  test('default: the namespace, then the chain, then the account', () => {
    expect(partitionOf({})).toBe('keyleash')
    expect(partitionOf({ namespace: 'shop', scope: { chainId: 31337, account: '0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045' } })).toBe(
      'shop/c31337/a0xd8da6bf26964af9d7eed9e03e53415d37aa96045',
    )
  })

  test('error: a namespace with "/" is refused, so that `shop/c31337` can never be the partition of `shop` on chain 31337', () => {
    expect(partitionOf({ namespace: 'shop', scope: { chainId: 31337 } })).toBe('shop/c31337')
    expect(rejection(() => partitionOf({ namespace: 'shop/c31337' }))).toMatchInlineSnapshot(`
      {
        "code": -32602,
        "message": "namespace: "shop/c31337" has a "/", which separates the namespace from the scope; use another character",
      }
    `)
  })
})
