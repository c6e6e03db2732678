// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";

/// @title SessionAccount (keyleash dev wallet, for local development and tests only)
/// @notice A smart account owned by one EOA that lets session keys act within a registered scope.
/// @dev The checks in `execute` are a contract with keyleash's local scope check (the middleware
/// mirrors them and a differential test compares both decisions call by call). Change them only
/// together with that check.
contract SessionAccount is EIP712 {
    /// @notice `selector == ANY_SELECTOR` allows every function of `target`.
    struct Scope {
        address target;
        bytes4 selector;
    }

    struct TokenAllowance {
        address token;
        uint256 allowance;
    }

    struct Call {
        address target;
        uint256 value;
        bytes data;
    }

    struct TokenSpend {
        address token;
        uint256 allowance;
        uint256 spent;
    }

    /// @notice A session as read back by `getSession`; `exists == false` means never registered.
    struct SessionView {
        bool exists;
        bool revoked;
        uint48 validUntil;
        uint32 callLimit;
        uint32 callsUsed;
        uint256 nativeAllowance;
        uint256 nativeUsed;
        Scope[] scopes;
        TokenSpend[] tokens;
    }

    struct Session {
        bool exists;
        bool revoked;
        uint48 validUntil;
        uint32 callLimit;
        uint32 callsUsed;
        // Scope and spend lookups are keyed by epoch so re-registering a key starts from a clean
        // slate without having to delete every mapping entry of the old registration.
        uint64 epoch;
        uint256 nativeAllowance;
        uint256 nativeUsed;
        Scope[] scopes;
        address[] tokens;
    }

    struct Spend {
        bool registered;
        uint256 allowance;
        uint256 spent;
    }

    /// @notice A P-256 session key's public point.
    struct P256Key {
        bytes32 x;
        bytes32 y;
    }

    bytes4 public constant ANY_SELECTOR = 0xffffffff;

    bytes32 public constant CALL_TYPEHASH = keccak256("Call(address target,uint256 value,bytes data)");
    bytes32 public constant EXECUTE_TYPEHASH =
        keccak256("Execute(Call[] calls,uint256 nonce)Call(address target,uint256 value,bytes data)");

    bytes4 private constant EIP1271_MAGIC = 0x1626ba7e;
    bytes4 private constant EIP1271_INVALID = 0xffffffff;

    // ERC-20 (and ERC20Permit) selectors whose amount counts against a token allowance.
    bytes4 private constant TRANSFER = 0xa9059cbb; // transfer(address,uint256)
    bytes4 private constant TRANSFER_FROM = 0x23b872dd; // transferFrom(address,address,uint256)
    bytes4 private constant APPROVE = 0x095ea7b3; // approve(address,uint256)
    bytes4 private constant INCREASE_ALLOWANCE = 0x39509351; // increaseAllowance(address,uint256)
    bytes4 private constant PERMIT = 0xd505accf; // permit(address,address,uint256,uint256,uint8,bytes32,bytes32)

    address private immutable _owner;
    uint64 private _epochs;
    mapping(address key => Session) private _sessions;
    mapping(bytes32 epochTargetSelector => bool) private _scopeAllowed;
    mapping(bytes32 epochTarget => bool) private _targetScoped;
    mapping(bytes32 epochToken => Spend) private _spends;
    mapping(uint256 nonce => bool) private _nonceUsed;
    mapping(address key => P256Key) private _p256Keys;

    event SessionRegistered(address indexed key, uint48 validUntil);
    event SessionRevoked(address indexed key);
    event Executed(address indexed signer, uint256 nonce, uint256 calls);
    event P256KeyRegistered(address indexed key, bytes32 x, bytes32 y);

    error NotOwner();
    error InvalidOwner();
    error InvalidSessionKey();
    error InvalidP256Key();
    error DuplicateTokenAllowance(address token);
    error UnknownSession(address key);
    error SessionIsRevoked(address key);
    error SessionExpired(address key, uint48 validUntil);
    error SelfCallNotAllowed(address key);
    error TargetNotAllowed(address target);
    error SelectorNotAllowed(address target, bytes4 selector);
    error ValueOverLimit(uint256 value, uint256 remaining);
    error SpendOverAllowance(address token, uint256 amount, uint256 remaining);
    error MalformedCall(uint256 index);
    error CallLimitReached(address key, uint32 callLimit);
    error NonceAlreadyUsed(uint256 nonce);
    error InvalidSignature();
    error CallFailed(uint256 index, bytes reason);

    constructor(address owner_) EIP712("KeyleashSessionAccount", "1") {
        if (owner_ == address(0)) revert InvalidOwner();
        _owner = owner_;
    }

    receive() external payable {}

    /// @dev Lets the account hold NFTs sent with `safeTransferFrom`/`_safeMint`.
    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return this.onERC721Received.selector;
    }

    modifier onlyOwnerOrSelf() {
        // address(this) is reached only through an owner-signed `execute`: session keys may never
        // call the account itself.
        if (msg.sender != _owner && msg.sender != address(this)) revert NotOwner();
        _;
    }

    function owner() external view returns (address) {
        return _owner;
    }

    /// @notice Registers `key`, or overwrites it completely (scopes, limits, usage reset, un-revoked).
    /// @param callLimit 0 means no call limit.
    function registerSession(
        address key,
        uint48 validUntil,
        Scope[] calldata scopes,
        uint32 callLimit,
        uint256 nativeAllowance,
        TokenAllowance[] calldata tokens
    ) external onlyOwnerOrSelf {
        if (key == address(0)) revert InvalidSessionKey();
        Session storage s = _sessions[key];
        uint64 epoch = ++_epochs;

        s.exists = true;
        s.revoked = false;
        s.validUntil = validUntil;
        s.callLimit = callLimit;
        s.callsUsed = 0;
        s.epoch = epoch;
        s.nativeAllowance = nativeAllowance;
        s.nativeUsed = 0;
        delete s.scopes;
        delete s.tokens;

        for (uint256 i = 0; i < scopes.length; i++) {
            Scope calldata sc = scopes[i];
            s.scopes.push(Scope(sc.target, sc.selector));
            _scopeAllowed[_scopeKey(epoch, sc.target, sc.selector)] = true;
            _targetScoped[_targetKey(epoch, sc.target)] = true;
        }
        for (uint256 i = 0; i < tokens.length; i++) {
            TokenAllowance calldata t = tokens[i];
            Spend storage sp = _spends[_targetKey(epoch, t.token)];
            // Two allowances for one token would make "the" allowance ambiguous.
            if (sp.registered) revert DuplicateTokenAllowance(t.token);
            sp.registered = true;
            sp.allowance = t.allowance;
            s.tokens.push(t.token);
        }
        emit SessionRegistered(key, validUntil);
    }

    /// @notice Files the P-256 point (x, y) under the address its sessions are registered and revoked
    /// by (`p256KeyAddress`), so that `execute` can check the key's signatures. Register the session
    /// itself with `registerSession(p256KeyAddress(x, y), …)`.
    function registerP256Key(bytes32 x, bytes32 y) external onlyOwnerOrSelf {
        if (!P256.isValidPublicKey(x, y)) revert InvalidP256Key();
        address key = p256KeyAddress(x, y);
        _p256Keys[key] = P256Key(x, y);
        emit P256KeyRegistered(key, x, y);
    }

    /// @notice The address a P-256 key is filed under: the last 20 bytes of keccak256(x ‖ y), made
    /// from its point as an EOA's address is made from a secp256k1 point. Nothing recovers it from a
    /// signature; a P-256 signature names it.
    function p256KeyAddress(bytes32 x, bytes32 y) public pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encodePacked(x, y)))));
    }

    function revokeSession(address key) external onlyOwnerOrSelf {
        Session storage s = _sessions[key];
        if (!s.exists) revert UnknownSession(key);
        s.revoked = true;
        emit SessionRevoked(key);
    }

    function getSession(address key) external view returns (SessionView memory v) {
        Session storage s = _sessions[key];
        v.exists = s.exists;
        v.revoked = s.revoked;
        v.validUntil = s.validUntil;
        v.callLimit = s.callLimit;
        v.callsUsed = s.callsUsed;
        v.nativeAllowance = s.nativeAllowance;
        v.nativeUsed = s.nativeUsed;
        v.scopes = s.scopes;
        v.tokens = new TokenSpend[](s.tokens.length);
        for (uint256 i = 0; i < s.tokens.length; i++) {
            address token = s.tokens[i];
            Spend storage sp = _spends[_targetKey(s.epoch, token)];
            v.tokens[i] = TokenSpend(token, sp.allowance, sp.spent);
        }
    }

    /// @return registered false when `key` has no allowance for `token` (its spend is not counted).
    function tokenSpend(address key, address token)
        external
        view
        returns (bool registered, uint256 allowance, uint256 spent)
    {
        Session storage s = _sessions[key];
        if (!s.exists) return (false, 0, 0);
        Spend storage sp = _spends[_targetKey(s.epoch, token)];
        return (sp.registered, sp.allowance, sp.spent);
    }

    function isNonceUsed(uint256 nonce) external view returns (bool) {
        return _nonceUsed[nonce];
    }

    /// @notice The EIP-712 digest an owner or session key signs for `execute(calls, nonce, ·)`.
    function executeDigest(Call[] calldata calls, uint256 nonce) public view returns (bytes32) {
        bytes32[] memory hashes = new bytes32[](calls.length);
        for (uint256 i = 0; i < calls.length; i++) {
            hashes[i] = keccak256(
                abi.encode(CALL_TYPEHASH, calls[i].target, calls[i].value, keccak256(calls[i].data))
            );
        }
        return _hashTypedDataV4(
            keccak256(abi.encode(EXECUTE_TYPEHASH, keccak256(abi.encodePacked(hashes)), nonce))
        );
    }

    /// @notice Runs a batch signed by the owner (anything) or by a session key (within its scope).
    /// @dev Anyone may submit. Nonces are unordered (any unused value), so batches can be prepared
    /// concurrently. A failing inner call reverts the whole batch with `CallFailed(index, reason)`,
    /// `reason` being the callee's raw revert data, so the caller learns which call failed.
    /// An empty batch from a session key checks nothing and only consumes the nonce.
    function execute(Call[] calldata calls, uint256 nonce, bytes calldata signature) external payable {
        if (_nonceUsed[nonce]) revert NonceAlreadyUsed(nonce);
        _nonceUsed[nonce] = true;

        address signer = _signerOf(executeDigest(calls, nonce), signature);
        if (signer == _owner) {
            for (uint256 i = 0; i < calls.length; i++) {
                _call(i, calls[i]);
            }
        } else {
            Session storage s = _sessions[signer];
            if (!s.exists) revert UnknownSession(signer);
            for (uint256 i = 0; i < calls.length; i++) {
                // Usage is recorded before the call so a re-entrant batch sees it already spent.
                _checkAndRecord(s, signer, i, calls[i]);
                _call(i, calls[i]);
            }
        }
        emit Executed(signer, nonce, calls.length);
    }

    /// @dev The signer of `digest`: signed as it is (EIP-712), or as an EIP-191 message over its 32
    /// bytes, the way Openfort's smart accounts take a signable hash. The EIP-191 reading is used only
    /// when it names the owner or a session key and the plain one does not, so errors still name the
    /// plain signer.
    /// A P-256 session key's signature is 84 bytes, `key ‖ r ‖ s`: `key` names the registered point,
    /// and (r, s) is over SHA-256 of the digest, which is what WebCrypto signs for a message of the
    /// digest's 32 bytes. It is checked by the P256VERIFY precompile (0x100, EIP-7951 / RIP-7212);
    /// without the precompile the account reverts `MissingPrecompile` rather than pay for a
    /// Solidity fallback. `s` must be in the lower half of the order (no malleable twin).
    function _signerOf(bytes32 digest, bytes calldata signature) private view returns (address) {
        if (signature.length == 84) {
            address key = address(bytes20(signature[0:20]));
            P256Key storage point = _p256Keys[key];
            if (point.x == 0 && point.y == 0) revert UnknownSession(key);
            bytes32 r = bytes32(signature[20:52]);
            bytes32 s = bytes32(signature[52:84]);
            if (!P256.verifyNative(sha256(abi.encodePacked(digest)), r, s, point.x, point.y)) revert InvalidSignature();
            return key;
        }
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err != ECDSA.RecoverError.NoError) revert InvalidSignature();
        if (signer == _owner || _sessions[signer].exists) return signer;
        (address prefixed,,) = ECDSA.tryRecoverCalldata(MessageHashUtils.toEthSignedMessageHash(digest), signature);
        return prefixed == _owner || _sessions[prefixed].exists ? prefixed : signer;
    }

    /// @notice EIP-1271: valid iff `signature` is the owner's signature over `hash` as given.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(hash, signature);
        if (err == ECDSA.RecoverError.NoError && signer == _owner) return EIP1271_MAGIC;
        return EIP1271_INVALID;
    }

    // The order of these checks is part of the contract with the middleware: the first rule a call
    // breaks is the error it gets.
    function _checkAndRecord(Session storage s, address key, uint256 index, Call calldata c) private {
        if (s.revoked) revert SessionIsRevoked(key);
        if (block.timestamp >= s.validUntil) revert SessionExpired(key, s.validUntil);
        if (c.target == address(this)) revert SelfCallNotAllowed(key);

        bytes4 selector = c.data.length >= 4 ? bytes4(c.data[0:4]) : bytes4(0);
        bool plainTransfer = c.data.length == 0 && s.nativeAllowance > 0;
        if (!plainTransfer) {
            uint64 epoch = s.epoch;
            if (
                !_scopeAllowed[_scopeKey(epoch, c.target, selector)]
                    && !_scopeAllowed[_scopeKey(epoch, c.target, ANY_SELECTOR)]
            ) {
                if (!_targetScoped[_targetKey(epoch, c.target)]) revert TargetNotAllowed(c.target);
                revert SelectorNotAllowed(c.target, selector);
            }
        }

        // nativeUsed never exceeds nativeAllowance, so `remaining` cannot underflow.
        uint256 remaining = s.nativeAllowance - s.nativeUsed;
        if (c.value > remaining) revert ValueOverLimit(c.value, remaining);

        Spend storage sp = _spends[_targetKey(s.epoch, c.target)];
        uint256 amount = 0;
        if (sp.registered) {
            // Calldata too short to hold the amount is rejected rather than read as 0: a token
            // might decode it differently and move funds the allowance never counted.
            if (selector == TRANSFER || selector == APPROVE || selector == INCREASE_ALLOWANCE) {
                amount = _word(c.data, 1, index);
            } else if (selector == TRANSFER_FROM || selector == PERMIT) {
                amount = _word(c.data, 2, index);
            }
            uint256 left = sp.allowance - sp.spent;
            if (amount > left) revert SpendOverAllowance(c.target, amount, left);
        }

        if (s.callLimit != 0 && s.callsUsed >= s.callLimit) revert CallLimitReached(key, s.callLimit);

        s.callsUsed += 1;
        s.nativeUsed += c.value;
        if (amount != 0) sp.spent += amount;
    }

    function _call(uint256 index, Call calldata c) private {
        (bool ok, bytes memory reason) = c.target.call{value: c.value}(c.data);
        if (!ok) revert CallFailed(index, reason);
    }

    /// @dev ABI argument `arg` (0-based) of `data`, after the 4-byte selector.
    function _word(bytes calldata data, uint256 arg, uint256 index) private pure returns (uint256) {
        uint256 start = 4 + 32 * arg;
        if (data.length < start + 32) revert MalformedCall(index);
        return uint256(bytes32(data[start:start + 32]));
    }

    function _scopeKey(uint64 epoch, address target, bytes4 selector) private pure returns (bytes32) {
        return keccak256(abi.encode(epoch, target, selector));
    }

    function _targetKey(uint64 epoch, address target) private pure returns (bytes32) {
        return keccak256(abi.encode(epoch, target));
    }
}
