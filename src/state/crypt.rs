//! State and plan encryption, as OpenTofu's `encryption` block describes it: a key from a
//! passphrase (`key_provider "pbkdf2"`: PBKDF2-HMAC-SHA512 or -SHA256 over a random salt),
//! AES-256-GCM (`method "aes_gcm"`), a `fallback` method for reading what the previous
//! configuration wrote (rotating keys, or `method "unencrypted"` while migrating), and
//! `enforced` refusing to write in clear. A key may also come from a service that hands out
//! data keys (`key_provider "aws_kms"`: [`DataKeys`], implemented in `crate::aws::kms`; the
//! envelope keeps the wrapped key, which only that service unwraps). Encrypted bytes are a
//! JSON envelope:
//! `{"encryption_version": "v0", "meta": {"key_provider.pbkdf2.NAME": base64(key parameters)},
//! "encrypted_data": base64(nonce ‖ ciphertext ‖ tag)}`. The key is derived once per salt and
//! process, so an apply's many writes pay for PBKDF2 once.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::Mutex;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::error::Error;

const VERSION: &str = "v0";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A passphrase-based key (`key_provider "pbkdf2" "NAME"`).
#[derive(Clone)]
pub struct Pbkdf2 {
    /// `key_provider.pbkdf2.NAME`: where its parameters are kept in the envelope.
    pub name: String,
    pub passphrase: String,
    pub iterations: u32,
    pub salt_length: usize,
    /// `sha512` (OpenTofu's default) or `sha256`.
    pub hash_function: String,
}

impl std::fmt::Debug for Pbkdf2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the passphrase.
        f.debug_struct("Pbkdf2").field("name", &self.name).finish()
    }
}

/// A key provider that keeps its key elsewhere and hands out data keys (`aws_kms`): a fresh
/// key with its wrapped form to keep beside the data, and the key back from that form.
pub trait DataKeys: Send + Sync + std::fmt::Debug {
    /// `key_provider.aws_kms.NAME`: where the wrapped key is kept in the envelope.
    fn name(&self) -> &str;
    /// A new 32-byte key and its wrapped form.
    fn generate(&self) -> Result<([u8; 32], Vec<u8>), String>;
    /// The key a wrapped form holds.
    fn unwrap_key(&self, wrapped: &[u8]) -> Result<[u8; 32], String>;
}

/// Where an `aes_gcm` method's key comes from.
#[derive(Clone, Debug)]
pub enum KeyProvider {
    Pbkdf2(Pbkdf2),
    Remote(std::sync::Arc<dyn DataKeys>),
}

impl KeyProvider {
    fn name(&self) -> &str {
        match self {
            KeyProvider::Pbkdf2(p) => &p.name,
            KeyProvider::Remote(r) => r.name(),
        }
    }
}

/// How a state or plan is kept.
#[derive(Clone, Debug)]
pub enum Method {
    AesGcm { key: KeyProvider },
    Unencrypted,
}

/// A remote provider's parameters kept beside the data: the wrapped key.
#[derive(Serialize, Deserialize)]
struct WrappedMeta {
    ciphertext_blob: String,
}

/// The key parameters kept beside the data, so a reader can derive the same key.
#[derive(Serialize, Deserialize)]
struct KeyMeta {
    salt: String,
    iterations: u32,
    hash_function: String,
    key_length: usize,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    encryption_version: String,
    meta: BTreeMap<String, String>,
    encrypted_data: String,
}

/// A data key and its wrapped form.
type DataKey = ([u8; 32], Vec<u8>);

/// Derived keys by everything they are derived from (passphrase, salt, iterations, hash).
type KeyCache = BTreeMap<(String, Vec<u8>, u32, String), [u8; 32]>;

/// What a store (or a plan file) encrypts with and decrypts with.
#[derive(Debug)]
pub struct Codec {
    /// What is written (and tried first when reading).
    pub method: Method,
    /// What else may have written it.
    pub fallback: Option<Method>,
    /// Refuse to write in clear.
    pub enforced: bool,
    /// Derived keys by (provider, salt).
    keys: Mutex<KeyCache>,
    /// The salt this process writes with, per provider.
    salts: Mutex<BTreeMap<String, Vec<u8>>>,
    /// The data key this process writes with, per remote provider (key, wrapped form).
    data_keys: Mutex<BTreeMap<String, DataKey>>,
    /// Set when a read needed the fallback (clear or old-key state): the next write moves it
    /// to the method.
    fell_back: std::sync::atomic::AtomicBool,
}

fn problem(message: impl Into<String>) -> Error {
    Error::Encryption(message.into())
}

/// True when the bytes are an encryption envelope.
pub fn is_encrypted(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Envelope>(bytes).is_ok_and(|e| !e.encrypted_data.is_empty())
}

impl Codec {
    pub fn new(method: Method, fallback: Option<Method>, enforced: bool) -> Codec {
        Codec {
            method,
            fallback,
            enforced,
            keys: Mutex::new(BTreeMap::new()),
            salts: Mutex::new(BTreeMap::new()),
            data_keys: Mutex::new(BTreeMap::new()),
            fell_back: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// True when something was read through the fallback rather than the method.
    pub fn fell_back(&self) -> bool {
        self.fell_back.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn key(&self, p: &Pbkdf2, salt: &[u8], iterations: u32, hash: &str) -> Result<[u8; 32], Error> {
        let id = (
            p.passphrase.clone(),
            salt.to_vec(),
            iterations,
            hash.to_owned(),
        );
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = keys.get(&id) {
            return Ok(*k);
        }
        let algorithm = match hash {
            "sha512" => aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA512,
            "sha256" => aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA256,
            other => {
                return Err(problem(format!(
                    "unknown hash_function `{other}` (sha256, sha512)"
                )))
            }
        };
        let rounds =
            NonZeroU32::new(iterations).ok_or_else(|| problem("iterations must be positive"))?;
        let mut out = [0u8; 32];
        aws_lc_rs::pbkdf2::derive(algorithm, rounds, salt, p.passphrase.as_bytes(), &mut out);
        keys.insert(id, out);
        Ok(out)
    }

    /// A wrapped key unwrapped once per process (the cache shares the derived keys' map).
    fn unwrapped(&self, r: &dyn DataKeys, wrapped: &[u8]) -> Result<[u8; 32], String> {
        let id = (
            r.name().to_owned(),
            wrapped.to_vec(),
            0,
            "wrapped".to_owned(),
        );
        if let Some(k) = self.keys.lock().unwrap_or_else(|e| e.into_inner()).get(&id) {
            return Ok(*k);
        }
        let k = r
            .unwrap_key(wrapped)
            .map_err(|e| format!("{}: {e}", r.name()))?;
        self.keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, k);
        Ok(k)
    }

    fn salt_for(&self, p: &Pbkdf2) -> Result<Vec<u8>, Error> {
        let mut salts = self.salts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = salts.get(&p.name) {
            return Ok(s.clone());
        }
        let mut salt = vec![0u8; p.salt_length.max(16)];
        SystemRandom::new()
            .fill(&mut salt)
            .map_err(|_| problem("no randomness for a salt"))?;
        salts.insert(p.name.clone(), salt.clone());
        Ok(salt)
    }

    /// The key to write with and its parameters for the envelope.
    fn write_key(&self, key: &KeyProvider) -> Result<([u8; 32], Vec<u8>), Error> {
        match key {
            KeyProvider::Pbkdf2(p) => {
                let salt = self.salt_for(p)?;
                let k = self.key(p, &salt, p.iterations, &p.hash_function)?;
                let meta = KeyMeta {
                    salt: B64.encode(&salt),
                    iterations: p.iterations,
                    hash_function: p.hash_function.clone(),
                    key_length: 32,
                };
                Ok((k, serde_json::to_vec(&meta).map_err(Error::Serialize)?))
            }
            KeyProvider::Remote(r) => {
                let mut keys = self.data_keys.lock().unwrap_or_else(|e| e.into_inner());
                let (k, wrapped) = match keys.get(r.name()) {
                    Some(known) => known.clone(),
                    None => {
                        let fresh = r
                            .generate()
                            .map_err(|e| problem(format!("{}: {e}", r.name())))?;
                        keys.insert(r.name().to_owned(), fresh.clone());
                        fresh
                    }
                };
                let meta = WrappedMeta {
                    ciphertext_blob: B64.encode(wrapped),
                };
                Ok((k, serde_json::to_vec(&meta).map_err(Error::Serialize)?))
            }
        }
    }

    /// The bytes to store for `plain`.
    pub fn encode(&self, plain: &[u8]) -> Result<Vec<u8>, Error> {
        let Method::AesGcm { key } = &self.method else {
            if self.enforced {
                return Err(problem(
                    "encryption is enforced, but the method configured for writing is `unencrypted`",
                ));
            }
            return Ok(plain.to_vec());
        };
        let (k, meta) = self.write_key(key)?;
        let sealing = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, &k).map_err(|_| problem("unusable key"))?,
        );
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| problem("no randomness for a nonce"))?;
        let mut data = plain.to_vec();
        sealing
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
            .map_err(|_| problem("encryption failed"))?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&data);
        let env = Envelope {
            encryption_version: VERSION.into(),
            meta: [(key.name().to_owned(), B64.encode(meta))]
                .into_iter()
                .collect(),
            encrypted_data: B64.encode(sealed),
        };
        let mut out = serde_json::to_vec_pretty(&env).map_err(Error::Serialize)?;
        out.push(b'\n');
        Ok(out)
    }

    /// The plain bytes of what was stored: decrypted with the method or its fallback; bytes in
    /// clear only when one of them is `unencrypted` (a migration).
    pub fn decode(&self, stored: &[u8], what: &str) -> Result<Vec<u8>, Error> {
        let methods: Vec<&Method> = std::iter::once(&self.method)
            .chain(self.fallback.as_ref())
            .collect();
        let Ok(env) = serde_json::from_slice::<Envelope>(stored) else {
            if methods.iter().any(|m| matches!(m, Method::Unencrypted)) {
                if !matches!(self.method, Method::Unencrypted) {
                    self.fell_back
                        .store(true, std::sync::atomic::Ordering::SeqCst);
                }
                return Ok(stored.to_vec());
            }
            return Err(problem(format!(
                "{what} is not encrypted, and the configuration allows only encrypted state. \
                 To encrypt it, add `fallback {{ method = method.unencrypted.NAME }}` (with \
                 `method \"unencrypted\" \"NAME\" {{}}`) for one apply, then remove it"
            )));
        };
        if env.encryption_version != VERSION {
            return Err(problem(format!(
                "{what} uses encryption version {}; this keyway reads {VERSION}",
                env.encryption_version
            )));
        }
        let mut tried = Vec::new();
        for (i, m) in methods.into_iter().enumerate() {
            let Method::AesGcm { key } = m else { continue };
            match self.open(key, &env) {
                Ok(plain) => {
                    if i > 0 {
                        self.fell_back
                            .store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                    return Ok(plain);
                }
                Err(e) => tried.push(e),
            }
        }
        Err(problem(format!(
            "cannot decrypt {what}: {}",
            if tried.is_empty() {
                "no configured method decrypts it (only `unencrypted` is configured)".to_owned()
            } else {
                tried.join("; ")
            }
        )))
    }

    fn open(&self, key: &KeyProvider, env: &Envelope) -> Result<Vec<u8>, String> {
        let name = key.name();
        let meta = env
            .meta
            .get(name)
            .ok_or_else(|| format!("it was not written with {name} (a different key provider)"))?;
        let meta = B64
            .decode(meta)
            .map_err(|_| format!("unreadable parameters of {name}"))?;
        let k = match key {
            KeyProvider::Pbkdf2(p) => {
                let meta: KeyMeta = serde_json::from_slice(&meta)
                    .map_err(|_| format!("unreadable parameters of {name}"))?;
                let salt = B64
                    .decode(&meta.salt)
                    .map_err(|_| "unreadable salt".to_owned())?;
                self.key(p, &salt, meta.iterations, &meta.hash_function)
                    .map_err(|e| e.to_string())?
            }
            KeyProvider::Remote(r) => {
                let meta: WrappedMeta = serde_json::from_slice(&meta)
                    .map_err(|_| format!("unreadable parameters of {name}"))?;
                let wrapped = B64
                    .decode(&meta.ciphertext_blob)
                    .map_err(|_| "unreadable wrapped key".to_owned())?;
                self.unwrapped(r.as_ref(), &wrapped)?
            }
        };
        let sealed = B64
            .decode(&env.encrypted_data)
            .map_err(|_| "unreadable encrypted data".to_owned())?;
        if sealed.len() < NONCE_LEN {
            return Err("truncated encrypted data".into());
        }
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| "bad nonce".to_owned())?;
        let opening = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, &k).map_err(|_| "unusable key".to_owned())?,
        );
        let mut data = rest.to_vec();
        let plain = opening
            .open_in_place(nonce, Aad::empty(), &mut data)
            .map_err(|_| {
                let why = match key {
                    KeyProvider::Pbkdf2(_) => "wrong passphrase",
                    KeyProvider::Remote(_) => "wrong key",
                };
                format!("{name} does not open it ({why}, or the data was changed)")
            })?;
        Ok(plain.to_vec())
    }
}

/// The plain text of stored bytes: decrypted with `codec`; without one, encrypted bytes are
/// an error naming where they are.
pub fn open_text(codec: Option<&Codec>, stored: Vec<u8>, location: &str) -> Result<String, Error> {
    let plain = match codec {
        Some(c) => c.decode(&stored, location)?,
        None if is_encrypted(&stored) => {
            return Err(Error::Encrypted {
                location: location.to_owned(),
            })
        }
        None => stored,
    };
    String::from_utf8(plain).map_err(|e| problem(format!("{location}: not UTF-8 text ({e})")))
}

/// The bytes to store for `plain`: encrypted when `codec` says so.
pub fn seal(codec: Option<&Codec>, plain: Vec<u8>) -> Result<Vec<u8>, Error> {
    match codec {
        Some(c) => c.encode(&plain),
        None => Ok(plain),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(pass: &str) -> Pbkdf2 {
        Pbkdf2 {
            name: "key_provider.pbkdf2.main".into(),
            passphrase: pass.into(),
            iterations: 1000,
            salt_length: 32,
            hash_function: "sha512".into(),
        }
    }

    fn aes(pass: &str) -> Method {
        Method::AesGcm {
            key: KeyProvider::Pbkdf2(key(pass)),
        }
    }

    /// A stand-in for KMS: wraps by XOR with a fixed byte, and counts its calls.
    #[derive(Debug, Default)]
    struct Wrapper {
        calls: std::sync::atomic::AtomicUsize,
        mask: u8,
    }

    impl DataKeys for Wrapper {
        fn name(&self) -> &str {
            "key_provider.aws_kms.main"
        }
        fn generate(&self) -> Result<([u8; 32], Vec<u8>), String> {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let k = [7u8; 32];
            Ok((k, k.iter().map(|b| b ^ self.mask).collect()))
        }
        fn unwrap_key(&self, wrapped: &[u8]) -> Result<[u8; 32], String> {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut k = [0u8; 32];
            for (o, w) in k.iter_mut().zip(wrapped) {
                *o = w ^ self.mask;
            }
            Ok(k)
        }
    }

    #[test]
    fn a_remote_key_provider_wraps_one_data_key_per_process() {
        let remote = std::sync::Arc::new(Wrapper {
            mask: 0x5a,
            ..Default::default()
        });
        let method = Method::AesGcm {
            key: KeyProvider::Remote(remote.clone()),
        };
        let writer = Codec::new(method.clone(), None, true);
        let a = writer.encode(b"api key: secret-123").expect("encode");
        let b = writer.encode(b"again").expect("encode");
        assert!(!String::from_utf8_lossy(&a).contains("secret-123"));
        assert!(String::from_utf8_lossy(&a).contains("key_provider.aws_kms.main"));
        let reader = Codec::new(method, None, true);
        assert_eq!(
            reader.decode(&a, "state").expect("decode"),
            b"api key: secret-123"
        );
        assert_eq!(reader.decode(&b, "state").expect("decode"), b"again");
        // One generate for both writes, one unwrap for both reads.
        assert_eq!(remote.calls.load(std::sync::atomic::Ordering::SeqCst), 2);
        let other = std::sync::Arc::new(Wrapper {
            mask: 0x11,
            ..Default::default()
        });
        let wrong = Codec::new(
            Method::AesGcm {
                key: KeyProvider::Remote(other),
            },
            None,
            true,
        );
        assert!(wrong.decode(&a, "state").is_err());
    }

    #[test]
    fn round_trips_and_hides_the_plain_text() {
        let c = Codec::new(aes("correct horse battery"), None, true);
        let sealed = c
            .encode(b"{\"key_string\": \"AIzaSECRET\"}")
            .expect("encrypts");
        assert!(is_encrypted(&sealed));
        assert!(!String::from_utf8_lossy(&sealed).contains("AIzaSECRET"));
        let plain = c.decode(&sealed, "state").expect("decrypts");
        assert_eq!(plain, b"{\"key_string\": \"AIzaSECRET\"}");
    }

    #[test]
    fn a_wrong_passphrase_is_an_error_not_garbage() {
        let sealed = Codec::new(aes("correct horse battery"), None, false)
            .encode(b"{}")
            .expect("encrypts");
        let e = Codec::new(aes("wrong passphrase here"), None, false)
            .decode(&sealed, "state")
            .expect_err("refused");
        assert!(e.to_string().contains("wrong passphrase"), "{e}");
    }

    #[test]
    fn a_fallback_reads_what_the_old_key_wrote() {
        let old = Codec::new(aes("old passphrase 1234"), None, false)
            .encode(b"{}")
            .expect("encrypts");
        let rotated = Codec::new(
            aes("new passphrase 5678"),
            Some(aes("old passphrase 1234")),
            false,
        );
        assert_eq!(rotated.decode(&old, "state").expect("fallback"), b"{}");
    }

    #[test]
    fn clear_state_is_read_only_while_migrating() {
        let strict = Codec::new(aes("correct horse battery"), None, false);
        assert!(strict.decode(b"{}", "state").is_err());
        let migrating = Codec::new(
            aes("correct horse battery"),
            Some(Method::Unencrypted),
            false,
        );
        assert_eq!(migrating.decode(b"{}", "state").expect("clear"), b"{}");
        let enforced_clear = Codec::new(Method::Unencrypted, None, true);
        assert!(enforced_clear.encode(b"{}").is_err());
    }
}
