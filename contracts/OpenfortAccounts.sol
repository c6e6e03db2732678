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

/// @title The "Delegated Account" model (facts of `openfort-7702-account`'s key manager as published
/// now: `IKey.KeyDataReg`, `IKeysManager`, `KeysManagerLib`).
/// @notice Runs as the code of the owner's own address (EIP-7702): the owner is the account. The
/// owner registers a key with `registerKey(KeyDataReg)` (its type, window, a call quota that must
/// not be 0, the key as bytes, who controls it), then grants it `(target, function)` pairs with
/// `setCanCall` and per-token spend limits with `setTokenSpend` (ETH as `NATIVE_ADDRESS`), several
/// of them in one owner call through the ERC-7821 `execute(mode, executionData)`, at most 9 calls.
/// A key is filed by `keyId = keccak256(abi.encode(uint8 keyType, keccak256(key)))`; an EOA key is
/// `abi.encode(address)`, a P-256 key `abi.encode(x, y)`. Each call of a key's batch is held to:
/// never the account itself, calls left (a batch of n uses n), its window, a granted pair (exact,
/// or with the any-target / any-function wildcards; no calldata is the plain-transfer selector),
/// and, where the key has a spend rule for what the call spends (ETH when it carries value, else
/// its target), that rule. This model holds spend rules over the key's whole life only
/// (`SpendPeriod.Forever`); Openfort's also reset per minute, hour, day, week, month or year. It
/// has no gas policy, so it registers self-controlled keys only. ERC-1271 takes the account's own
/// signature only: a session key's is never the account's.
contract OpenfortDelegatedAccountModel is OpenfortAccountModel {
    enum KeyType {
        EOA,
        WEBAUTHN,
        P256,
        P256NONKEY
    }

    enum KeyControl {
        Self,
        Custodial
    }

    enum SpendPeriod {
        Minute,
        Hour,
        Day,
        Week,
        Month,
        Year,
        Forever
    }

    /// @notice What the owner registers (`registerKey`'s argument), field for field as Openfort's.
    struct KeyDataReg {
        KeyType keyType;
        uint48 validUntil;
        uint48 validAfter;
        uint48 limits;
        bytes key;
        KeyControl keyControl;
    }

    /// @notice What the account holds for a key (`getKey`), field for field as Openfort's.
    struct KeyData {
        KeyType keyType;
        bool isActive;
        bool masterKey;
        bool isDelegatedControl;
        uint48 validUntil;
        uint48 validAfter;
        uint48 limits;
        bytes key;
    }

    struct TokenSpend {
        SpendPeriod period;
        uint256 limit;
        uint256 spent;
        uint256 lastUpdated;
    }

    address internal constant ANY_TARGET = 0x3232323232323232323232323232323232323232;
    bytes4 internal constant ANY_FN_SEL = 0x32323232;
    bytes4 internal constant EMPTY_CALLDATA_FN_SEL = 0xe0e0e0e0;
    address internal constant NATIVE_ADDRESS = 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE;
    /// @notice ERC-7821's flat batch of calls, the one execution mode this model runs.
    bytes32 internal constant FLAT_BATCH = bytes32(uint256(1) << 248);
    uint256 public constant MAX_CAN_CALL = 2048;
    uint256 public constant MAX_SPEND_TOKENS = 64;
    /// @notice A P-256 signature on `execute(calls, nonce, ·)`: `keyType (1 byte) ‖ x ‖ y ‖ r ‖ s`.
    uint256 private constant P256_SIGNATURE_LENGTH = 129;

    mapping(bytes32 keyId => KeyData) private _keys;
    // Pairs and spend rules are filed under the key's registration epoch: a revoked key
    // registered again starts with none.
    mapping(bytes32 keyId => uint64) private _epochOf;
    mapping(bytes32 epochKeyPair => bool) private _canCall;
    mapping(bytes32 keyId => uint256) private _canCallCount;
    mapping(bytes32 epochKeyToken => TokenSpend) private _spends;
    mapping(bytes32 keyId => address[]) private _spendTokens;
    // Where a P-256 key's signer address (see `_signerOf`) leads back to its keyId.
    mapping(address signer => bytes32 keyId) private _p256Ids;
    // EIP-7702 code has no constructor: epochs count from the account's own storage.
    uint64 private _epochs;

    event KeyRegistered(
        bytes32 indexed keyId, KeyControl indexed keyControl, KeyType keyType, bool masterKey, uint48 validAfter, uint48 validUntil, uint48 limits
    );
    event KeyRevoked(bytes32 indexed keyId);
    event CanCallSet(bytes32 indexed keyId, address indexed target, bytes4 funSel, bool can);
    event TokenSpendSet(bytes32 indexed keyId, address indexed token, SpendPeriod period, uint256 limit);

    error EmptyKey();
    error LimitsRequired();
    error CustodialKeyNotModelled();
    error KeyIdAlreadyRegistered(bytes32 keyId);
    error KeyNotActive(bytes32 keyId);
    error InvalidTarget(address target);
    error InvalidToken(address token);
    error TooManyCanCalls(uint256 max);
    error TooManySpendTokens(uint256 max);
    error TokenSpendAlreadySet(bytes32 keyId, address token);
    error SpendPeriodNotModelled(SpendPeriod period);
    error UnsupportedExecutionMode(bytes32 mode);
    error KeyTypeMismatch(address key);
    error CallNotAllowed(address key, address target, bytes4 selector);
    error NoSpendRule(address key, address token);
    error SpendLimitExceeded(address key, address token, uint256 amount, uint256 remaining);

    constructor() EIP712("OpenfortDelegatedAccountModel", "1") {}

    /// @notice Where a key is filed, as Openfort's `KeysManagerLib.computeKeyId`.
    function computeKeyId(KeyType keyType, bytes memory key) public pure returns (bytes32) {
        return keccak256(abi.encode(uint256(keyType), keccak256(key)));
    }

    function registerKey(KeyDataReg calldata reg) external onlyOwner {
        if (reg.key.length == 0) revert EmptyKey();
        if (reg.limits == 0) revert LimitsRequired();
        if (reg.validUntil <= block.timestamp || reg.validUntil < reg.validAfter || reg.validUntil == type(uint48).max) {
            revert InvalidValidity(reg.validAfter, reg.validUntil);
        }
        if (reg.keyControl != KeyControl.Self) revert CustodialKeyNotModelled();
        bytes32 keyId = computeKeyId(reg.keyType, reg.key);
        KeyData storage k = _keys[keyId];
        if (k.isActive) revert KeyIdAlreadyRegistered(keyId);
        k.keyType = reg.keyType;
        k.isActive = true;
        k.validUntil = reg.validUntil;
        k.validAfter = reg.validAfter;
        k.limits = reg.limits;
        k.key = reg.key;
        _epochOf[keyId] = ++_epochs;
        if (reg.keyType != KeyType.EOA) _p256Ids[address(uint160(uint256(keyId)))] = keyId;
        emit KeyRegistered(keyId, reg.keyControl, reg.keyType, false, reg.validAfter, reg.validUntil, reg.limits);
    }

    function setCanCall(bytes32 keyId, address target, bytes4 funSel, bool can) external onlyOwner {
        _requireActive(keyId);
        if (target == address(0) || target == address(this)) revert InvalidTarget(target);
        bytes32 pair = _pairOf(keyId, target, funSel);
        if (_canCall[pair] != can) {
            if (can && _canCallCount[keyId] == MAX_CAN_CALL) revert TooManyCanCalls(MAX_CAN_CALL);
            _canCall[pair] = can;
            if (can) _canCallCount[keyId] += 1;
            else _canCallCount[keyId] -= 1;
        }
        emit CanCallSet(keyId, target, funSel, can);
    }

    function setTokenSpend(bytes32 keyId, address token, uint256 limit, SpendPeriod period) external onlyOwner {
        _requireActive(keyId);
        if (token == address(0)) revert InvalidToken(token);
        if (limit == 0) revert LimitsRequired();
        if (period != SpendPeriod.Forever) revert SpendPeriodNotModelled(period);
        TokenSpend storage rule = _spends[_ruleOf(keyId, token)];
        if (rule.limit != 0) revert TokenSpendAlreadySet(keyId, token);
        if (_spendTokens[keyId].length == MAX_SPEND_TOKENS) revert TooManySpendTokens(MAX_SPEND_TOKENS);
        _spendTokens[keyId].push(token);
        rule.period = period;
        rule.limit = limit;
        emit TokenSpendSet(keyId, token, period, limit);
    }

    /// @notice Revokes the key with every pair and spend rule it was granted.
    function revokeKey(bytes32 keyId) external onlyOwner {
        _requireActive(keyId);
        delete _keys[keyId];
        delete _canCallCount[keyId];
        delete _spendTokens[keyId];
        emit KeyRevoked(keyId);
    }

    /// @notice The owner's batch of calls (ERC-7821 flat batch: `abi.encode(Call[])`), at most 9.
    function execute(bytes32 mode, bytes calldata executionData) external payable onlyOwner {
        if (mode != FLAT_BATCH) revert UnsupportedExecutionMode(mode);
        Call[] memory calls = abi.decode(executionData, (Call[]));
        if (calls.length > MAX_BATCH) revert BatchTooBig(calls.length, MAX_BATCH);
        for (uint256 i = 0; i < calls.length; i++) {
            (bool ok, bytes memory reason) = calls[i].target.call{value: calls[i].value}(calls[i].data);
            if (!ok) revert CallFailed(i, reason);
        }
    }

    function getKey(bytes32 keyId) external view returns (KeyData memory) {
        return _keys[keyId];
    }

    function hasCanCall(bytes32 keyId, address target, bytes4 funSel) external view returns (bool) {
        return _keys[keyId].isActive && _canCall[_pairOf(keyId, target, funSel)];
    }

    function canExecuteLength(bytes32 keyId) external view returns (uint256) {
        return _canCallCount[keyId];
    }

    function spendTokens(bytes32 keyId) external view returns (address[] memory) {
        return _spendTokens[keyId];
    }

    function tokenSpend(bytes32 keyId, address token)
        external
        view
        returns (SpendPeriod period, uint256 limit, uint256 spent, uint256 lastUpdated)
    {
        TokenSpend storage rule = _spends[_ruleOf(keyId, token)];
        return (rule.period, rule.limit, rule.spent, rule.lastUpdated);
    }

    /// @notice ERC-1271 for an ECDSA signature over `hash` as given: the account's own key only.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(hash, signature);
        return err == ECDSA.RecoverError.NoError && signer == address(this) ? EIP1271_MAGIC : EIP1271_INVALID;
    }

    function _owner() internal view override returns (address) {
        return address(this);
    }

    function _isKey(address key) internal view override returns (bool) {
        return _keys[_keyIdOf(key)].isActive;
    }

    /// @dev An ECDSA signer is an EOA key; a P-256 signer is named by the low 20 bytes of its keyId.
    function _keyIdOf(address signer) private view returns (bytes32) {
        bytes32 p256 = _p256Ids[signer];
        return p256 != 0 ? p256 : computeKeyId(KeyType.EOA, abi.encode(signer));
    }

    function _requireActive(bytes32 keyId) private view {
        if (!_keys[keyId].isActive) revert KeyNotActive(keyId);
    }

    function _pairOf(bytes32 keyId, address target, bytes4 funSel) private view returns (bytes32) {
        return keccak256(abi.encode(_epochOf[keyId], keyId, target, funSel));
    }

    function _ruleOf(bytes32 keyId, address token) private view returns (bytes32) {
        return keccak256(abi.encode(_epochOf[keyId], keyId, token));
    }

    /// @dev P256 signs the digest itself, P256NONKEY (a non-extractable WebCrypto key) its SHA-256.
    /// WEBAUTHN keys can be registered and revoked, but this model checks no WebAuthn assertion.
    function _signerOf(bytes32 digest, bytes calldata signature) internal view override returns (address) {
        if (signature.length != P256_SIGNATURE_LENGTH) return super._signerOf(digest, signature);
        KeyType keyType = KeyType(uint8(signature[0]));
        bytes32 x = bytes32(signature[1:33]);
        bytes32 y = bytes32(signature[33:65]);
        bytes32 keyId = computeKeyId(keyType, abi.encode(x, y));
        address key = address(uint160(uint256(keyId)));
        if (keyType != KeyType.P256 && keyType != KeyType.P256NONKEY) revert KeyTypeMismatch(key);
        if (!_keys[keyId].isActive) revert UnknownKey(key);
        bytes32 signed = keyType == KeyType.P256NONKEY ? sha256(abi.encodePacked(digest)) : digest;
        if (!P256.verifyNative(signed, bytes32(signature[65:97]), bytes32(signature[97:129]), x, y)) revert InvalidSignature();
        return key;
    }

    function _authorize(address key, Call[] calldata calls) internal override {
        bytes32 keyId = _keyIdOf(key);
        KeyData storage k = _keys[keyId];
        if (!k.isActive) revert UnknownKey(key);
        _checkWindow(key, k.validAfter, k.validUntil);
        for (uint256 i = 0; i < calls.length; i++) {
            Call calldata c = calls[i];
            if (c.target == address(this)) revert SelfCall(key);
            if (k.limits == 0) revert LimitReached(key, 0, calls.length - i);
            bytes4 selector = _selectorOf(c.data);
            if (!_mayCall(keyId, c.target, selector)) revert CallNotAllowed(key, c.target, selector);
            // What a call spends: ETH when it carries value, else its target (a token).
            address spends = c.value > 0 ? NATIVE_ADDRESS : c.target;
            if (_spends[_ruleOf(keyId, spends)].limit != 0) _spend(key, keyId, c, selector);
            k.limits -= 1;
        }
    }

    /// @dev No calldata is the plain-transfer selector; 1 to 3 bytes read as the any-function one.
    function _selectorOf(bytes calldata data) private pure returns (bytes4) {
        if (data.length == 0) return EMPTY_CALLDATA_FN_SEL;
        return data.length >= 4 ? bytes4(data[0:4]) : ANY_FN_SEL;
    }

    function _mayCall(bytes32 keyId, address target, bytes4 selector) private view returns (bool) {
        return _canCall[_pairOf(keyId, target, selector)] || _canCall[_pairOf(keyId, target, ANY_FN_SEL)]
            || _canCall[_pairOf(keyId, ANY_TARGET, selector)] || _canCall[_pairOf(keyId, ANY_TARGET, ANY_FN_SEL)];
    }

    /// @dev A plain transfer spends its value as ETH. Any other call is charged to its target's rule,
    /// by the amount of an ERC-20 `transfer`, `transferFrom` or `approve` (0 for other functions),
    /// whatever value it carries: with value and calldata, a target without a rule of its own is refused.
    function _spend(address key, bytes32 keyId, Call calldata c, bytes4 selector) private {
        address token = selector == EMPTY_CALLDATA_FN_SEL ? NATIVE_ADDRESS : c.target;
        uint256 amount = selector == EMPTY_CALLDATA_FN_SEL
            ? c.value
            : selector == 0xa9059cbb || selector == 0x095ea7b3 ? _word(c.data, 36) : selector == 0x23b872dd ? _word(c.data, 68) : 0;
        TokenSpend storage rule = _spends[_ruleOf(keyId, token)];
        if (rule.limit == 0) revert NoSpendRule(key, token);
        if (rule.spent + amount > rule.limit) revert SpendLimitExceeded(key, token, amount, rule.limit - rule.spent);
        rule.spent += amount;
    }

    /// @dev The 32 bytes of `data` from `offset`, zero past its end.
    function _word(bytes calldata data, uint256 offset) private pure returns (uint256 word) {
        for (uint256 i = 0; i < 32; i++) {
            word = (word << 8) | (offset + i < data.length ? uint8(data[offset + i]) : 0);
        }
    }
}
