import { memoryStore } from '../../../src/sessions/memoryStore.js'
import { describeStoreContract } from './contract.js'

// The reference: the contract is what memoryStore already does.
describeStoreContract('memoryStore', async () => ({ store: memoryStore(), errors: [] }), { persistent: false })
