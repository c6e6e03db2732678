import { expect, test } from 'vitest'
import * as keyleash from '../src/index.js'

test('the public exports of keyleash are exactly these', () => {
  expect(Object.keys(keyleash).sort()).toMatchInlineSnapshot(`
    [
      "InternalError",
      "InvalidParamsError",
      "InvalidRequestError",
      "KeyleashError",
      "UnauthorizedError",
      "allowList",
      "autoRouting",
      "checkScope",
      "defaultMaxExpiry",
      "erc7715v2025Requests",
      "erc7836Executor",
      "executionPermissionRequests",
      "hashExecutor",
      "memoryKeyStore",
      "memoryStore",
      "p256Keys",
      "purgeSessions",
      "sessionSigning",
      "walletEnforcement",
      "withSessionKeys",
    ]
  `)
})

test('the public exports of keyleash/node are exactly these', async () => {
  const node = await import('../src/node.js')
  expect(Object.keys(node).sort()).toStrictEqual(['fileStore', 'redisStore'])
})

test('the public exports of keyleash/browser are exactly these', async () => {
  const browser = await import('../src/browser.js')
  expect(Object.keys(browser).sort()).toStrictEqual(['indexedDbStore', 'webStorageStore'])
})

test('the public exports of keyleash/wallets are exactly these (the dialects, MetaMask\'s permission kinds and executor, Openfort\'s executor, ERC-4337\'s executor and thirdweb\'s account)', async () => {
  const wallets = await import('../src/wallets.js')
  expect(Object.keys(wallets).sort()).toStrictEqual(['advancedPermissions', 'erc4337Executor', 'erc7710Executor', 'erc7715', 'erc7715v2025', 'executionPermissions', 'openfort', 'openfortExecutor', 'openfortWallet', 'thirdweb', 'thirdwebAccount'])
})
