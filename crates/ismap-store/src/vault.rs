//! Encryption at rest for uploaded files (spec §3, 暗号化消去): every
//! organization has its own AES-256-GCM key, stored only wrapped by the
//! master key from the deployment's configuration. Destroying an
//! organization's key leaves its files as ciphertext no one can open.

use aes_gcm::aead::{Aead, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Key, KeyInit, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VaultError {
    #[error("the master key must be 32 bytes in base64 (44 characters); {0}")]
    BadMasterKey(String),
    #[error("stored ciphertext could not be decrypted: wrong master key or damaged data")]
    Decrypt,
}

/// The key that wraps the organizations' keys. It never touches the
/// database, so a copy of the database alone reveals no file.
#[derive(Clone)]
pub struct MasterKey(Key<Aes256Gcm>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

impl MasterKey {
    pub fn generate() -> MasterKey {
        MasterKey(Aes256Gcm::generate_key(OsRng))
    }

    pub fn from_base64(text: &str) -> Result<MasterKey, VaultError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|e| VaultError::BadMasterKey(e.to_string()))?;
        if bytes.len() != KEY_BYTES {
            return Err(VaultError::BadMasterKey(format!(
                "this one has {} bytes",
                bytes.len()
            )));
        }
        Ok(MasterKey(*Key::<Aes256Gcm>::from_slice(&bytes)))
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0.as_slice())
    }
}

/// An organization's data key, in memory only while a file is sealed or opened.
pub struct DataKey(Key<Aes256Gcm>);

impl DataKey {
    pub fn generate() -> DataKey {
        DataKey(Aes256Gcm::generate_key(OsRng))
    }
}

/// Encrypts `plaintext` under `key`; `context` is authenticated but not
/// stored, so a ciphertext moved to another row or organization fails to open.
fn seal_with(key: &Key<Aes256Gcm>, context: &[u8], plaintext: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let ciphertext = Aes256Gcm::new(key)
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: context,
            },
        )
        .expect("AES-GCM encryption of an in-memory buffer does not fail");
    (nonce.to_vec(), ciphertext)
}

fn open_with(
    key: &Key<Aes256Gcm>,
    context: &[u8],
    nonce: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, VaultError> {
    if nonce.len() != NONCE_BYTES {
        return Err(VaultError::Decrypt);
    }
    Aes256Gcm::new(key)
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: context,
            },
        )
        .map_err(|_| VaultError::Decrypt)
}

/// The data key as stored: nonce followed by the key sealed by the master key.
pub fn wrap(master: &MasterKey, organization_id: i64, key: &DataKey) -> Vec<u8> {
    let (mut nonce, ciphertext) = seal_with(
        &master.0,
        format!("ismap-org-key:{organization_id}").as_bytes(),
        key.0.as_slice(),
    );
    nonce.extend(ciphertext);
    nonce
}

pub fn unwrap(
    master: &MasterKey,
    organization_id: i64,
    wrapped: &[u8],
) -> Result<DataKey, VaultError> {
    if wrapped.len() < NONCE_BYTES {
        return Err(VaultError::Decrypt);
    }
    let (nonce, ciphertext) = wrapped.split_at(NONCE_BYTES);
    let bytes = open_with(
        &master.0,
        format!("ismap-org-key:{organization_id}").as_bytes(),
        nonce,
        ciphertext,
    )?;
    if bytes.len() != KEY_BYTES {
        return Err(VaultError::Decrypt);
    }
    Ok(DataKey(*Key::<Aes256Gcm>::from_slice(&bytes)))
}

/// Encrypts a file's bytes; returns (nonce, ciphertext).
pub fn seal(key: &DataKey, context: &str, plaintext: &[u8]) -> (Vec<u8>, Vec<u8>) {
    seal_with(&key.0, context.as_bytes(), plaintext)
}

pub fn open(
    key: &DataKey,
    context: &str,
    nonce: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, VaultError> {
    open_with(&key.0, context.as_bytes(), nonce, ciphertext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_opens_only_with_its_key_and_context() {
        let key = DataKey::generate();
        let (nonce, ciphertext) = seal(&key, "file:1", b"evidence");
        assert_ne!(ciphertext, b"evidence");
        assert_eq!(
            open(&key, "file:1", &nonce, &ciphertext).unwrap(),
            b"evidence"
        );
        assert_eq!(
            open(&key, "file:2", &nonce, &ciphertext),
            Err(VaultError::Decrypt)
        );
        assert_eq!(
            open(&DataKey::generate(), "file:1", &nonce, &ciphertext),
            Err(VaultError::Decrypt)
        );
    }

    #[test]
    fn wrapped_keys_belong_to_one_organization_and_master() {
        let master = MasterKey::generate();
        let key = DataKey::generate();
        let wrapped = wrap(&master, 7, &key);
        let unwrapped = unwrap(&master, 7, &wrapped).unwrap();
        let (nonce, ciphertext) = seal(&key, "c", b"x");
        assert_eq!(open(&unwrapped, "c", &nonce, &ciphertext).unwrap(), b"x");
        assert!(unwrap(&master, 8, &wrapped).is_err());
        assert!(unwrap(&MasterKey::generate(), 7, &wrapped).is_err());
    }

    #[test]
    fn master_keys_round_trip_through_base64_and_bad_ones_are_named() {
        let master = MasterKey::generate();
        let text = master.to_base64();
        assert_eq!(text.len(), 44);
        assert_eq!(MasterKey::from_base64(&text).unwrap().to_base64(), text);
        assert!(matches!(
            MasterKey::from_base64("c2hvcnQ="),
            Err(VaultError::BadMasterKey(m)) if m.contains("5 bytes")
        ));
        assert!(MasterKey::from_base64("not base64!").is_err());
    }
}
