import { expect, test } from 'vitest'
import * as devwallet from '../../src/devwallet/index.js'

test('default: the keyleash/devwallet entry exports exactly this', () => {
  expect(Object.keys(devwallet).sort()).toMatchInlineSnapshot(`
    [
      "ANY_SELECTOR",
      "DevChainError",
      "SESSION_ACCOUNT_DOMAIN",
      "connectDevWallet",
      "createDevMetaMask",
      "createDevOpenfort",
      "createDevWallet",
      "demoNftAbi",
      "demoTokenAbi",
      "deployDemoNft",
      "deployDemoToken",
      "deployDevContracts",
      "deploySessionAccount",
      "devWalletDialects",
      "executeTypedData",
      "executeTypes",
      "fund",
      "randomExecuteNonce",
      "serveDevWallet",
      "sessionAccountAbi",
      "startDevChain",
      "startOpenfortBackend",
    ]
  `)
})
