// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";

/// @title Openfort's two account types as keyleash's development Openfort backend runs them
/// (for local development and tests only).
/// @notice keyleash's own models of the session-key rules Openfort's published contracts hold keys
/// to: `openfort-contracts` (BaseOpenfortAccount, the "Smart Account") and `openfort-7702-account`
/// (the key manager of the EIP-7702 "Delegated Account"). The rules are modelled, not the code:
/// both run a batch through one `execute(calls, nonce, signature)` that the backend relays, where
/// Openfort's accounts take ERC-4337 UserOperations.
abstract contract OpenfortAccountModel is EIP712 {
    struct Call {
        address target;
        uint256 value;
        bytes data;
    }

    bytes32 public constant CALL_TYPEHASH = keccak256("Call(address target,uint256 value,bytes data)");
    bytes32 public constant EXECUTE_TYPEHASH =
        keccak256("Execute(Call[] calls,uint256 nonce)Call(address target,uint256 value,bytes data)");
    /// @notice Both account types run at most 9 calls in a batch.
    uint256 public constant MAX_BATCH = 9;
    /// @notice A session key's target whitelist holds at most 10 contracts.
    uint256 public constant MAX_WHITELIST = 10;

    bytes4 internal constant EIP1271_MAGIC = 0x1626ba7e;
    bytes4 internal constant EIP1271_INVALID = 0xffffffff;

    mapping(uint256 nonce => bool) private _nonceUsed;
    // True only while an owner-signed batch runs: the owner's self-calls reach the key manager,
    // a session key's never do (Openfort's accounts admit only the owner or the EntryPoint there).
    bool private _ownerBatch;

    event Executed(address indexed signer, uint256 nonce, uint256 calls);

    error NotOwner();
    error BatchTooBig(uint256 calls, uint256 max);
    error WhitelistTooBig(uint256 targets, uint256 max);
    error NonceAlreadyUsed(uint256 nonce);
    error InvalidSignature();
    error UnknownKey(address key);
    error KeyAlreadyRegistered(address key);
    error InvalidValidity(uint48 validAfter, uint48 validUntil);
    error KeyNotValidNow(address key, uint48 validAfter, uint48 validUntil);
    error SelfCall(address key);
    error TargetNotWhitelisted(address key, address target);
    error LimitReached(address key, uint48 remaining, uint256 calls);
    error CallFailed(uint256 index, bytes reason);

    modifier onlyOwner() {
        if (msg.sender != _owner() && !(msg.sender == address(this) && _ownerBatch)) revert NotOwner();
        _;
    }

    receive() external payable {}

    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return this.onERC721Received.selector;
    }

    function owner() external view returns (address) {
        return _owner();
    }

    /// @notice The EIP-712 digest the owner or a session key signs for `execute(calls, nonce, ·)`.
    function executeDigest(Call[] calldata calls, uint256 nonce) public view returns (bytes32) {
        bytes32[] memory hashes = new bytes32[](calls.length);
        for (uint256 i = 0; i < calls.length; i++) {
            hashes[i] = keccak256(abi.encode(CALL_TYPEHASH, calls[i].target, calls[i].value, keccak256(calls[i].data)));
        }
        return _hashTypedDataV4(keccak256(abi.encode(EXECUTE_TYPEHASH, keccak256(abi.encodePacked(hashes)), nonce)));
    }

    /// @notice Runs a batch signed by the owner (anything) or by a session key (as its type allows).
    /// A failing call reverts the batch with `CallFailed(index, reason)`.
    function execute(Call[] calldata calls, uint256 nonce, bytes calldata signature) external payable {
        if (calls.length > MAX_BATCH) revert BatchTooBig(calls.length, MAX_BATCH);
        if (_nonceUsed[nonce]) revert NonceAlreadyUsed(nonce);
        _nonceUsed[nonce] = true;
        address signer = _signerOf(executeDigest(calls, nonce), signature);
        bool byOwner = signer == _owner();
        if (!byOwner) _authorize(signer, calls);
        _ownerBatch = byOwner;
        for (uint256 i = 0; i < calls.length; i++) {
            (bool ok, bytes memory reason) = calls[i].target.call{value: calls[i].value}(calls[i].data);
            if (!ok) revert CallFailed(i, reason);
        }
        _ownerBatch = false;
        emit Executed(signer, nonce, calls.length);
    }

    function _owner() internal view virtual returns (address);

    function _isKey(address key) internal view virtual returns (bool);

    /// @dev Reverts with the rule a session key's batch breaks, and records what it uses.
    function _authorize(address key, Call[] calldata calls) internal virtual;

    /// @dev A 65-byte ECDSA signature over the digest as it is, or as an EIP-191 message over its 32
    /// bytes (how Openfort's SDK signs a signable hash on a Smart Account). The EIP-191 reading wins
    /// only when it names the owner or a key and the plain one does not.
    function _signerOf(bytes32 digest, bytes calldata signature) internal view virtual returns (address) {
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err != ECDSA.RecoverError.NoError) revert InvalidSignature();
        if (signer == _owner() || _isKey(signer)) return signer;
        (address prefixed,,) = ECDSA.tryRecoverCalldata(MessageHashUtils.toEthSignedMessageHash(digest), signature);
        return prefixed == _owner() || _isKey(prefixed) ? prefixed : signer;
    }

    function _checkWhitelistSize(uint256 targets) internal pure {
        if (targets > MAX_WHITELIST) revert WhitelistTooBig(targets, MAX_WHITELIST);
    }

    function _checkWindow(address key, uint48 validAfter, uint48 validUntil) internal view {
        if (block.timestamp < validAfter || block.timestamp > validUntil) revert KeyNotValidNow(key, validAfter, validUntil);
    }
}

/// @title The "Smart Account" model (facts of `openfort-contracts`' BaseOpenfortAccount).
/// @notice A session key has a validity window, a `limit` of calls left (a batch of n uses n), and a
/// whitelist of at most 10 targets. No whitelist and `limit == 2^48 - 1` make it a master key, held
/// to nothing but its window. A key may never call the account itself (a master key may). Selectors,
/// value and token amounts are not checked. ERC-1271 accepts a live key's signature over any hash.
contract OpenfortSmartAccountModel is OpenfortAccountModel {
    struct SessionKey {
        uint48 validAfter;
        uint48 validUntil;
        uint48 limit;
        bool master;
        bool whitelisting;
        uint64 epoch;
    }

    uint48 public constant MASTER_LIMIT = type(uint48).max;
    bytes32 public constant OPENFORT_MESSAGE_TYPEHASH = keccak256("OpenfortMessage(bytes32 hashedMessage)");

    address private immutable _ownerAddress;
    uint64 private _epochs;
    mapping(address key => SessionKey) public sessionKeys;
    // Keyed by registration epoch, so a revoked key registered again starts with a clean whitelist.
    mapping(bytes32 epochKeyTarget => bool) private _whitelisted;

    event SessionKeyRegistered(address indexed key);
    event SessionKeyRevoked(address indexed key);

    constructor(address owner_) EIP712("OpenfortSmartAccountModel", "1") {
        if (owner_ == address(0)) revert NotOwner();
        _ownerAddress = owner_;
    }

    function registerSessionKey(address key, uint48 validAfter, uint48 validUntil, uint48 limit, address[] calldata whitelist)
        external
        onlyOwner
    {
        if (validUntil <= block.timestamp || validAfter >= validUntil) revert InvalidValidity(validAfter, validUntil);
        if (sessionKeys[key].validUntil != 0) revert KeyAlreadyRegistered(key);
        _checkWhitelistSize(whitelist.length);
        uint64 epoch = ++_epochs;
        for (uint256 i = 0; i < whitelist.length; i++) {
            _whitelisted[keccak256(abi.encode(epoch, key, whitelist[i]))] = true;
        }
        sessionKeys[key] = SessionKey({
            validAfter: validAfter,
            validUntil: validUntil,
            limit: limit,
            master: whitelist.length == 0 && limit == MASTER_LIMIT,
            whitelisting: whitelist.length != 0,
            epoch: epoch
        });
        emit SessionKeyRegistered(key);
    }

    /// @notice Revoking an unknown key does nothing, as Openfort's does.
    function revokeSessionKey(address key) external onlyOwner {
        if (sessionKeys[key].validUntil == 0) return;
        delete sessionKeys[key];
        emit SessionKeyRevoked(key);
    }

    function isWhitelisted(address key, address target) external view returns (bool) {
        SessionKey storage s = sessionKeys[key];
        return s.validUntil != 0 && (!s.whitelisting || _whitelisted[keccak256(abi.encode(s.epoch, key, target))]);
    }

    /// @notice ERC-1271 over an EIP-712 `OpenfortMessage(bytes32 hashedMessage)` wrapping `hash`: the
    /// owner's signature, or any live session key's, whatever the hash is.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(OPENFORT_MESSAGE_TYPEHASH, hash)));
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err != ECDSA.RecoverError.NoError) return EIP1271_INVALID;
        if (signer == _ownerAddress) return EIP1271_MAGIC;
        SessionKey storage s = sessionKeys[signer];
        bool live = s.validUntil != 0 && s.validAfter <= block.timestamp && block.timestamp <= s.validUntil && s.limit >= 1;
        return live ? EIP1271_MAGIC : EIP1271_INVALID;
    }

    function _owner() internal view override returns (address) {
        return _ownerAddress;
    }

    function _isKey(address key) internal view override returns (bool) {
        return sessionKeys[key].validUntil != 0;
    }

    function _authorize(address key, Call[] calldata calls) internal override {
        SessionKey storage s = sessionKeys[key];
        if (s.validUntil == 0) revert UnknownKey(key);
        _checkWindow(key, s.validAfter, s.validUntil);
        if (s.limit < calls.length) revert LimitReached(key, s.limit, calls.length);
        s.limit -= uint48(calls.length);
        if (s.master) return;
        for (uint256 i = 0; i < calls.length; i++) {
            address target = calls[i].target;
            if (target == address(this)) revert SelfCall(key);
            if (s.whitelisting && !_whitelisted[keccak256(abi.encode(s.epoch, key, target))]) revert TargetNotWhitelisted(key, target);
        }
    }
}

/// @title The "Delegated Account" model (facts of `openfort-7702-account`'s key manager, `IKey.KeyData`).
/// @notice Runs as the code of the owner's own address (EIP-7702): the owner is the account.
/// Keys are EOA, WEBAUTHN, P256 or P256NONKEY. `limit` 0 registers a master key, held to nothing (not
/// even its window) until revoked. Any other key is held, call by call, to: its window, never the
/// account itself, calls left (a batch of n uses n), `ethLimit` (wei left), `allowedSelectors` (at
/// most 10), a token spend limit (the call's last word, on calls to that token), and its whitelist
/// (the spend token is whitelisted with it).
contract OpenfortDelegatedAccountModel is OpenfortAccountModel {
    enum KeyType {
        EOA,
        WEBAUTHN,
        P256,
        P256NONKEY
    }

    /// @notice What the owner registers. An EOA key is `eoa`; the other types are the point (x, y),
    /// filed under `keyAddress(x, y)`.
    struct KeyReg {
        KeyType keyType;
        address eoa;
        bytes32 x;
        bytes32 y;
        uint48 validAfter;
        uint48 validUntil;
        uint48 limit;
        address[] whitelist;
        bytes4[] allowedSelectors;
        uint256 ethLimit;
        address spendToken;
        uint256 spendLimit;
    }

    struct KeyData {
        KeyType keyType;
        bool active;
        bool master;
        uint48 validAfter;
        uint48 validUntil;
        uint48 limit;
        uint64 epoch;
        bytes32 x;
        bytes32 y;
        uint256 ethLimit;
        address spendToken;
        uint256 spendLimit;
        bytes4[] allowedSelectors;
    }

    uint256 public constant MAX_SELECTORS = 10;
    /// @notice A P-256 signature: `keyType (1 byte) ‖ x ‖ y ‖ r ‖ s`.
    uint256 private constant P256_SIGNATURE_LENGTH = 129;

    mapping(address key => KeyData) private _keys;
    mapping(bytes32 epochKeyTarget => bool) private _whitelisted;
    // EIP-7702 code has no constructor: epochs count from the account's own storage.
    uint64 private _epochs;

    event KeyRegistered(address indexed key, KeyType keyType);
    event KeyRevoked(address indexed key);

    error SelectorsTooMany(uint256 selectors, uint256 max);
    error InvalidKey();
    error KeyTypeMismatch(address key);
    error EthLimitExceeded(address key, uint256 value, uint256 remaining);
    error SelectorNotAllowed(address key, address target, bytes4 selector);
    error SpendLimitExceeded(address key, address token, uint256 amount, uint256 remaining);

    constructor() EIP712("OpenfortDelegatedAccountModel", "1") {}

    /// @notice Where a P-256 key is filed: the last 20 bytes of keccak256(x ‖ y).
    function keyAddress(bytes32 x, bytes32 y) public pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encodePacked(x, y)))));
    }

    function registerKey(KeyReg calldata reg) external onlyOwner {
        address key = _keyOf(reg.keyType, reg.eoa, reg.x, reg.y);
        if (reg.validUntil <= block.timestamp || reg.validAfter > reg.validUntil) revert InvalidValidity(reg.validAfter, reg.validUntil);
        KeyData storage k = _keys[key];
        if (k.active) revert KeyAlreadyRegistered(key);
        delete _keys[key];
        k.keyType = reg.keyType;
        k.active = true;
        k.validAfter = reg.validAfter;
        k.validUntil = reg.validUntil;
        k.limit = reg.limit;
        k.x = reg.x;
        k.y = reg.y;
        k.master = reg.limit == 0;
        if (!k.master) {
            _checkWhitelistSize(reg.whitelist.length);
            if (reg.allowedSelectors.length > MAX_SELECTORS) revert SelectorsTooMany(reg.allowedSelectors.length, MAX_SELECTORS);
            uint64 epoch = ++_epochs;
            k.epoch = epoch;
            for (uint256 i = 0; i < reg.whitelist.length; i++) {
                _whitelisted[keccak256(abi.encode(epoch, key, reg.whitelist[i]))] = true;
            }
            if (reg.spendToken != address(0)) _whitelisted[keccak256(abi.encode(epoch, key, reg.spendToken))] = true;
            k.allowedSelectors = reg.allowedSelectors;
            k.ethLimit = reg.ethLimit;
            k.spendToken = reg.spendToken;
            k.spendLimit = reg.spendLimit;
        }
        emit KeyRegistered(key, reg.keyType);
    }

    function revokeKey(address key) external onlyOwner {
        if (!_keys[key].active) revert UnknownKey(key);
        delete _keys[key];
        emit KeyRevoked(key);
    }

    function getKey(address key) external view returns (KeyData memory) {
        return _keys[key];
    }

    /// @notice ERC-1271 for an ECDSA signature over `hash` as given: the account's own key, a master
    /// key, or a live key with calls left.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(hash, signature);
        if (err != ECDSA.RecoverError.NoError) return EIP1271_INVALID;
        if (signer == address(this)) return EIP1271_MAGIC;
        KeyData storage k = _keys[signer];
        if (!k.active || k.keyType != KeyType.EOA) return EIP1271_INVALID;
        if (k.master) return EIP1271_MAGIC;
        bool live = k.validAfter <= block.timestamp && block.timestamp <= k.validUntil && k.limit >= 1;
        return live ? EIP1271_MAGIC : EIP1271_INVALID;
    }

    function _owner() internal view override returns (address) {
        return address(this);
    }

    function _isKey(address key) internal view override returns (bool) {
        return _keys[key].active;
    }

    function _keyOf(KeyType keyType, address eoa, bytes32 x, bytes32 y) private pure returns (address key) {
        if (keyType == KeyType.EOA) {
            if (eoa == address(0)) revert InvalidKey();
            return eoa;
        }
        if (x == 0 && y == 0) revert InvalidKey();
        return keyAddress(x, y);
    }

    /// @dev P256 signs the digest itself, P256NONKEY (a non-extractable WebCrypto key) its SHA-256.
    /// WEBAUTHN keys can be registered and revoked, but this model checks no WebAuthn assertion.
    function _signerOf(bytes32 digest, bytes calldata signature) internal view override returns (address) {
        if (signature.length != P256_SIGNATURE_LENGTH) return super._signerOf(digest, signature);
        KeyType keyType = KeyType(uint8(signature[0]));
        bytes32 x = bytes32(signature[1:33]);
        bytes32 y = bytes32(signature[33:65]);
        address key = keyAddress(x, y);
        KeyData storage k = _keys[key];
        if (!k.active) revert UnknownKey(key);
        if (k.keyType != keyType || (keyType != KeyType.P256 && keyType != KeyType.P256NONKEY)) revert KeyTypeMismatch(key);
        bytes32 signed = keyType == KeyType.P256NONKEY ? sha256(abi.encodePacked(digest)) : digest;
        if (!P256.verifyNative(signed, bytes32(signature[65:97]), bytes32(signature[97:129]), x, y)) revert InvalidSignature();
        return key;
    }

    function _authorize(address key, Call[] calldata calls) internal override {
        KeyData storage k = _keys[key];
        if (!k.active) revert UnknownKey(key);
        if (k.master) return;
        _checkWindow(key, k.validAfter, k.validUntil);
        for (uint256 i = 0; i < calls.length; i++) {
            Call calldata c = calls[i];
            if (c.target == address(this)) revert SelfCall(key);
            if (k.limit == 0) revert LimitReached(key, 0, calls.length - i);
            if (c.value > k.ethLimit) revert EthLimitExceeded(key, c.value, k.ethLimit);
            bytes4 selector = c.data.length >= 4 ? bytes4(c.data[0:4]) : bytes4(0);
            if (!_allows(k.allowedSelectors, selector)) revert SelectorNotAllowed(key, c.target, selector);
            k.limit -= 1;
            k.ethLimit -= c.value;
            if (c.target == k.spendToken) {
                uint256 amount = c.data.length >= 36 ? uint256(bytes32(c.data[c.data.length - 32:])) : 0;
                if (amount > k.spendLimit) revert SpendLimitExceeded(key, c.target, amount, k.spendLimit);
                k.spendLimit -= amount;
            }
            if (!_whitelisted[keccak256(abi.encode(k.epoch, key, c.target))]) revert TargetNotWhitelisted(key, c.target);
        }
    }

    function _allows(bytes4[] storage selectors, bytes4 selector) private view returns (bool) {
        for (uint256 i = 0; i < selectors.length; i++) {
            if (selectors[i] == selector) return true;
        }
        return false;
    }
}
