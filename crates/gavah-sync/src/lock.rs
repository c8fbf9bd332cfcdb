//! Key files locked under a passphrase, for a device that may be seized
//! powered off: `gavah node lock` replaces the node's key and prekey files by
//! these, and every command that needs them asks for the passphrase.
//!
//! Format, version 1 (integers little-endian):
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `GVHLOCK1` |
//! | 4 | Argon2id memory cost, KiB |
//! | 4 | Argon2id passes |
//! | 16 | salt (random) |
//! | 12 | nonce (random) |
//! | rest | ChaCha20-Poly1305 of the secret bytes, then its 16-byte tag |
//!
//! The key is Argon2id (version 0x13, one lane) of the passphrase and salt;
//! the 44 header bytes are the associated data, so a changed cost, salt or
//! nonce fails authentication like a wrong passphrase does.

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce, Tag};
use zeroize::Zeroizing;

const MAGIC: &[u8; 8] = b"GVHLOCK1";
const HEADER: usize = 8 + 4 + 4 + 16 + 12;
const TAG: usize = 16;
/// Argon2id memory cost when locking, KiB (64 MiB: about half a second on a
/// field laptop, and the same memory per guess for an attacker).
pub const MEMORY_KIB: u32 = 64 * 1024;
/// Argon2id passes when locking.
pub const PASSES: u32 = 3;
/// Largest memory cost an unlock accepts (a damaged or hostile file must not
/// make it allocate without bound), KiB.
const MAX_MEMORY_KIB: u32 = 1024 * 1024;

/// Why a locked file does not open.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("the passphrase is wrong, or the locked file is damaged")]
    WrongPassphrase,
    #[error("not a locked key file")]
    NotLocked,
    #[error("the locked file asks for unreasonable key-stretching costs; it is damaged")]
    Costs,
    #[error("no random bytes from the operating system: {0}")]
    Randomness(String),
}

/// Whether `bytes` are a locked file.
pub fn is_locked(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

fn derive(
    passphrase: &[u8],
    salt: &[u8],
    memory: u32,
    passes: u32,
) -> Result<Zeroizing<[u8; 32]>, LockError> {
    let params = argon2::Params::new(memory, passes, 1, Some(32)).map_err(|_| LockError::Costs)?;
    let mut key = Zeroizing::new([0u8; 32]);
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password_into(passphrase, salt, key.as_mut_slice())
        .map_err(|_| LockError::Costs)?;
    Ok(key)
}

/// Locks `secret` under `passphrase` with the default costs.
///
/// # Errors
/// [`LockError::Randomness`] when the system gives no random bytes.
pub fn lock(secret: &[u8], passphrase: &[u8]) -> Result<Vec<u8>, LockError> {
    lock_with_costs(secret, passphrase, MEMORY_KIB, PASSES)
}

/// [`lock`] with given Argon2id costs (tests use small ones).
///
/// # Errors
/// As [`lock`], and [`LockError::Costs`] for costs Argon2 refuses.
pub fn lock_with_costs(
    secret: &[u8],
    passphrase: &[u8],
    memory_kib: u32,
    passes: u32,
) -> Result<Vec<u8>, LockError> {
    let mut random = [0u8; 28];
    getrandom::fill(&mut random).map_err(|e| LockError::Randomness(e.to_string()))?;
    let mut out = Vec::with_capacity(HEADER + secret.len() + TAG);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&memory_kib.to_le_bytes());
    out.extend_from_slice(&passes.to_le_bytes());
    out.extend_from_slice(&random);
    let key = derive(passphrase, &random[..16], memory_kib, passes)?;
    let nonce = Nonce::try_from(&random[16..]).map_err(|_| LockError::Costs)?;
    let mut body = Zeroizing::new(secret.to_vec());
    let tag = ChaCha20Poly1305::new(&Key::from(*key))
        .encrypt_inout_detached(&nonce, &out[..HEADER], body.as_mut_slice().into())
        .map_err(|_| LockError::Costs)?;
    out.extend_from_slice(&body);
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Opens a locked file with `passphrase`.
///
/// # Errors
/// [`LockError::NotLocked`], [`LockError::Costs`] or
/// [`LockError::WrongPassphrase`] (also for any damage).
pub fn unlock(locked: &[u8], passphrase: &[u8]) -> Result<Zeroizing<Vec<u8>>, LockError> {
    if !is_locked(locked) || locked.len() < HEADER + TAG {
        return Err(LockError::NotLocked);
    }
    let word = |at: usize| {
        let mut b = [0u8; 4];
        b.copy_from_slice(&locked[at..at + 4]);
        u32::from_le_bytes(b)
    };
    let (memory, passes) = (word(8), word(12));
    if memory > MAX_MEMORY_KIB || passes > 64 {
        return Err(LockError::Costs);
    }
    let key = derive(passphrase, &locked[16..32], memory, passes)?;
    let nonce = Nonce::try_from(&locked[32..HEADER]).map_err(|_| LockError::NotLocked)?;
    let split = locked.len() - TAG;
    let tag = Tag::try_from(&locked[split..]).map_err(|_| LockError::NotLocked)?;
    let mut body = Zeroizing::new(locked[HEADER..split].to_vec());
    ChaCha20Poly1305::new(&Key::from(*key))
        .decrypt_inout_detached(&nonce, &locked[..HEADER], body.as_mut_slice().into(), &tag)
        .map_err(|_| LockError::WrongPassphrase)?;
    Ok(body)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn opens_with_the_passphrase_only_and_detects_every_flipped_byte() {
        let secret = b"a node secret of some bytes";
        let locked = lock_with_costs(secret, b"correct horse", 64, 1).unwrap();
        assert!(is_locked(&locked));
        assert!(!locked.windows(secret.len()).any(|w| w == secret));
        assert_eq!(
            unlock(&locked, b"correct horse").unwrap().as_slice(),
            secret
        );
        assert!(matches!(
            unlock(&locked, b"wrong horse"),
            Err(LockError::WrongPassphrase)
        ));
        for i in 8..locked.len() {
            let mut bad = locked.clone();
            bad[i] ^= 0x01;
            assert!(unlock(&bad, b"correct horse").is_err(), "byte {i}");
        }
        assert!(matches!(unlock(secret, b"x"), Err(LockError::NotLocked)));
    }
}
