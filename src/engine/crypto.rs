//! Cryptography: the only module that names cipher crates.
//!
//! * [`Csprng`]: the engine's one source of randomness, ChaCha20 seeded by the caller, so a run is
//!   reproducible from its seed (identifiers, key material, OAEP padding, timing jitter).
//! * [`RsaKey`]: Key Vault's RSA key-encryption keys, with real RSA-OAEP-256, RSA-OAEP (SHA-1)
//!   and RSA1_5 wrap/unwrap, and RSASSA-PKCS1-v1_5 and RSASSA-PSS signatures over a digest
//!   (Key Vault's RS256/384/512 and PS256/384/512, [`SignAlg`]). The private half never leaves this type; callers get the public
//!   modulus and exponent and the results of wrap/unwrap.
//! * [`SymKey`]: 256-bit keys (account keys, data keys, Microsoft-managed and infrastructure keys),
//!   wiped from memory when dropped, with HKDF-SHA256 derivation, AES-256-GCM (the service
//!   layer) and XChaCha20-Poly1305 (the infrastructure layer of double encryption).

use std::rc::Rc;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit};
use base64::Engine as _;
use chacha20poly1305::XChaCha20Poly1305;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use rsa::traits::PublicKeyParts;
use rsa::{Oaep, Pkcs1v15Encrypt, Pkcs1v15Sign, Pss, RsaPrivateKey, RsaPublicKey};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// ChaCha20-based CSPRNG. Cloning it forks the stream (used for transactional rollback).
#[derive(Clone, Debug, PartialEq)]
pub struct Csprng(ChaCha20Rng);

impl Csprng {
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Csprng(ChaCha20Rng::from_seed(seed))
    }

    /// Another ChaCha20 stream of the same seed, independent of the main one: secrets drawn
    /// from it leave the main stream (and every id it gives) untouched.
    pub fn side_stream(seed: [u8; 32], stream: u64) -> Self {
        let mut rng = ChaCha20Rng::from_seed(seed);
        rng.set_stream(stream);
        Csprng(rng)
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        self.0.fill_bytes(buf);
    }

    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        self.fill(&mut b);
        b
    }

    /// A random (version 4) GUID in its canonical lower-case form.
    pub fn guid(&mut self) -> String {
        let mut b: [u8; 16] = self.bytes();
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h = hex(&b);
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }

    /// `n` random bytes as lower-case hex (Key Vault key versions are 16 bytes, 32 hex digits).
    pub fn hex(&mut self, n: usize) -> String {
        let mut b = vec![0u8; n];
        self.fill(&mut b);
        hex(&b)
    }

    /// Uniform in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        let span = hi - lo + 1;
        // Rejection sampling avoids modulo bias.
        let zone = u64::MAX - (u64::MAX % span);
        loop {
            let v = self.0.next_u64();
            if v < zone {
                return lo + v % span;
            }
        }
    }

    /// The underlying generator, for crates that take a `rand_core` RNG.
    fn rng(&mut self) -> &mut ChaCha20Rng {
        &mut self.0
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Standard base64 with padding (how Log Analytics writes a workspace's shared keys).
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes base64url with or without padding (Key Vault accepts both); `None` if invalid.
pub fn from_b64url(s: &str) -> Option<Vec<u8>> {
    let trimmed = s.trim().trim_end_matches('=');
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(trimmed)
        .ok()
}

/// Decodes standard base64 (with padding); `None` if invalid.
pub fn from_b64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
}

/// HMAC-SHA256 (RFC 2104): access-token signatures, Data Collector API signatures.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    use hmac::Mac;
    // HMAC takes a key of any length, so `new_from_slice` cannot fail.
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Whether `tag` is the HMAC-SHA256 of `data` under `key`, compared in constant time.
pub fn hmac_sha256_verify(key: &[u8], data: &[u8], tag: &[u8]) -> bool {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    mac.update(data);
    mac.verify_slice(tag).is_ok()
}

/// The RSA key-wrap algorithms Key Vault offers for RSA keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum WrapAlg {
    #[serde(rename = "RSA-OAEP-256")]
    RsaOaep256,
    #[serde(rename = "RSA-OAEP")]
    RsaOaep,
    #[serde(rename = "RSA1_5")]
    Rsa15,
}

impl WrapAlg {
    pub fn parse(s: &str) -> Option<WrapAlg> {
        match s {
            "RSA-OAEP-256" => Some(WrapAlg::RsaOaep256),
            "RSA-OAEP" => Some(WrapAlg::RsaOaep),
            "RSA1_5" => Some(WrapAlg::Rsa15),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WrapAlg::RsaOaep256 => "RSA-OAEP-256",
            WrapAlg::RsaOaep => "RSA-OAEP",
            WrapAlg::Rsa15 => "RSA1_5",
        }
    }

    /// Longest plaintext the padding allows for a modulus of `k` bytes.
    pub fn max_plaintext(self, k: usize) -> usize {
        match self {
            WrapAlg::RsaOaep256 => k.saturating_sub(2 * 32 + 2),
            WrapAlg::RsaOaep => k.saturating_sub(2 * 20 + 2),
            WrapAlg::Rsa15 => k.saturating_sub(11),
        }
    }
}

/// The RSA signature algorithms Key Vault offers for RSA keys (JWA names), each over a digest
/// the caller computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignAlg {
    Rs256,
    Rs384,
    Rs512,
    Ps256,
    Ps384,
    Ps512,
}

impl SignAlg {
    pub fn parse(s: &str) -> Option<SignAlg> {
        match s {
            "RS256" => Some(SignAlg::Rs256),
            "RS384" => Some(SignAlg::Rs384),
            "RS512" => Some(SignAlg::Rs512),
            "PS256" => Some(SignAlg::Ps256),
            "PS384" => Some(SignAlg::Ps384),
            "PS512" => Some(SignAlg::Ps512),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SignAlg::Rs256 => "RS256",
            SignAlg::Rs384 => "RS384",
            SignAlg::Rs512 => "RS512",
            SignAlg::Ps256 => "PS256",
            SignAlg::Ps384 => "PS384",
            SignAlg::Ps512 => "PS512",
        }
    }

    /// The length of the digest the algorithm signs (SHA-256, SHA-384 or SHA-512).
    pub fn digest_len(self) -> usize {
        match self {
            SignAlg::Rs256 | SignAlg::Ps256 => 32,
            SignAlg::Rs384 | SignAlg::Ps384 => 48,
            SignAlg::Rs512 | SignAlg::Ps512 => 64,
        }
    }
}

/// Why a wrap or unwrap failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CryptoError {
    /// The plaintext is longer than the padding scheme allows for this key size.
    TooLong,
    /// The ciphertext did not decrypt (wrong key, wrong algorithm, or tampered).
    Decrypt,
}

/// An RSA private key, shared cheaply between engine snapshots.
///
/// The key is drawn as a 32-byte seed from the engine's CSPRNG when the version is created and
/// generated from that seed the first time it is needed (a public-key read, a wrap or an unwrap).
/// The same seed always gives the same key, so when it is generated changes nothing; what it buys
/// is that versions nobody uses cost no prime search (a weekly rotation policy run over decades
/// would otherwise generate thousands of keys no caller ever asks for).
#[derive(Clone)]
pub struct RsaKey(Rc<LazyRsa>);

struct LazyRsa {
    seed: [u8; 32],
    bits: usize,
    key: std::cell::OnceCell<RsaPrivateKey>,
}

impl Drop for LazyRsa {
    fn drop(&mut self) {
        // The seed is the key: wipe it like the key itself (rsa zeroizes its own on drop).
        self.seed.zeroize();
    }
}

impl PartialEq for RsaKey {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
            || (self.0.seed == other.0.seed && self.0.bits == other.0.bits)
    }
}

/// Never prints key material: a failing `assert_eq!` on engine state must not write private
/// keys into a test log.
impl std::fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RsaKey({} bits, …)", self.0.bits)
    }
}

fn generate_from_seed(seed: &[u8; 32], bits: usize) -> RsaPrivateKey {
    #[cfg(fuzzing)]
    if let Some(k) = fuzzing_cache::get(seed, bits) {
        return k;
    }
    let mut rng = ChaCha20Rng::from_seed(*seed);
    let key = match RsaPrivateKey::new(&mut rng, bits) {
        Ok(k) => k,
        // `new` fails only for unsupported sizes; callers validate the size first.
        Err(e) => unreachable!("RSA key generation failed for {bits} bits: {e}"),
    };
    #[cfg(fuzzing)]
    fuzzing_cache::put(seed, bits, &key);
    key
}

/// Fuzz builds only (`--cfg fuzzing`): every input rebuilds its world from the same seeds, so
/// the same keys would be generated over and over; the same seed gives the same key, so a cache
/// changes no result and makes the request fuzzer about ten times faster.
#[cfg(fuzzing)]
mod fuzzing_cache {
    use super::RsaPrivateKey;
    use std::cell::RefCell;
    use std::collections::HashMap;

    thread_local! {
        static KEYS: RefCell<HashMap<([u8; 32], usize), RsaPrivateKey>> = RefCell::new(HashMap::new());
    }

    pub fn get(seed: &[u8; 32], bits: usize) -> Option<RsaPrivateKey> {
        KEYS.with(|k| k.borrow().get(&(*seed, bits)).cloned())
    }

    pub fn put(seed: &[u8; 32], bits: usize, key: &RsaPrivateKey) {
        KEYS.with(|k| {
            let mut k = k.borrow_mut();
            if k.len() < 4096 {
                k.insert((*seed, bits), key.clone());
            }
        });
    }
}

impl RsaKey {
    /// A fresh key from the engine's CSPRNG (`bits` must be a size Key Vault offers: callers
    /// validate it). Generation itself is deferred to first use, and costs then about 0.1-0.4 s
    /// natively for 2048 bits and up to several seconds for 4096; 3-10x that in wasm.
    pub fn generate(rng: &mut Csprng, bits: usize) -> RsaKey {
        RsaKey(Rc::new(LazyRsa {
            seed: rng.bytes(),
            bits,
            key: std::cell::OnceCell::new(),
        }))
    }

    fn key(&self) -> &RsaPrivateKey {
        self.0
            .key
            .get_or_init(|| generate_from_seed(&self.0.seed, self.0.bits))
    }

    /// Whether the key has been generated yet (for tests and benchmarks).
    pub fn is_generated(&self) -> bool {
        self.0.key.get().is_some()
    }

    pub fn bits(&self) -> usize {
        self.0.bits
    }

    /// JWK `n`: the modulus, base64url.
    pub fn n(&self) -> String {
        b64url(&self.key().n().to_bytes_be())
    }

    /// JWK `e`: the public exponent, base64url.
    pub fn e(&self) -> String {
        b64url(&self.key().e().to_bytes_be())
    }

    fn public(&self) -> RsaPublicKey {
        RsaPublicKey::from(self.key())
    }

    pub fn wrap(
        &self,
        rng: &mut Csprng,
        alg: WrapAlg,
        plain: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        if plain.len() > alg.max_plaintext(self.key().size()) {
            return Err(CryptoError::TooLong);
        }
        let key = self.public();
        let out = match alg {
            WrapAlg::RsaOaep256 => key.encrypt(rng.rng(), Oaep::new::<sha2::Sha256>(), plain),
            WrapAlg::RsaOaep => key.encrypt(rng.rng(), Oaep::new::<sha1::Sha1>(), plain),
            WrapAlg::Rsa15 => key.encrypt(rng.rng(), Pkcs1v15Encrypt, plain),
        };
        out.map_err(|_| CryptoError::TooLong)
    }

    pub fn unwrap(&self, alg: WrapAlg, wrapped: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let out = match alg {
            WrapAlg::RsaOaep256 => self.key().decrypt(Oaep::new::<sha2::Sha256>(), wrapped),
            WrapAlg::RsaOaep => self.key().decrypt(Oaep::new::<sha1::Sha1>(), wrapped),
            WrapAlg::Rsa15 => self.key().decrypt(Pkcs1v15Encrypt, wrapped),
        };
        out.map_err(|_| CryptoError::Decrypt)
    }

    /// Signs a digest; `None` when the digest is not as long as the algorithm's hash. PSS salts
    /// are as long as the digest (RFC 7518, 3.5) and drawn from the engine's CSPRNG.
    pub fn sign(&self, rng: &mut Csprng, alg: SignAlg, digest: &[u8]) -> Option<Vec<u8>> {
        if digest.len() != alg.digest_len() {
            return None;
        }
        let key = self.key();
        let out = match alg {
            SignAlg::Rs256 => key.sign(Pkcs1v15Sign::new::<sha2::Sha256>(), digest),
            SignAlg::Rs384 => key.sign(Pkcs1v15Sign::new::<sha2::Sha384>(), digest),
            SignAlg::Rs512 => key.sign(Pkcs1v15Sign::new::<sha2::Sha512>(), digest),
            SignAlg::Ps256 => key.sign_with_rng(rng.rng(), Pss::new::<sha2::Sha256>(), digest),
            SignAlg::Ps384 => key.sign_with_rng(rng.rng(), Pss::new::<sha2::Sha384>(), digest),
            SignAlg::Ps512 => key.sign_with_rng(rng.rng(), Pss::new::<sha2::Sha512>(), digest),
        };
        out.ok()
    }

    /// Whether `signature` is this key's signature of `digest` under `alg`.
    pub fn verify(&self, alg: SignAlg, digest: &[u8], signature: &[u8]) -> bool {
        if digest.len() != alg.digest_len() {
            return false;
        }
        let key = self.public();
        let out = match alg {
            SignAlg::Rs256 => key.verify(Pkcs1v15Sign::new::<sha2::Sha256>(), digest, signature),
            SignAlg::Rs384 => key.verify(Pkcs1v15Sign::new::<sha2::Sha384>(), digest, signature),
            SignAlg::Rs512 => key.verify(Pkcs1v15Sign::new::<sha2::Sha512>(), digest, signature),
            SignAlg::Ps256 => key.verify(Pss::new::<sha2::Sha256>(), digest, signature),
            SignAlg::Ps384 => key.verify(Pss::new::<sha2::Sha384>(), digest, signature),
            SignAlg::Ps512 => key.verify(Pss::new::<sha2::Sha512>(), digest, signature),
        };
        out.is_ok()
    }
}

/// A 256-bit symmetric key; its bytes are wiped when it is dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SymKey([u8; 32]);

impl SymKey {
    pub fn random(rng: &mut Csprng) -> SymKey {
        SymKey(rng.bytes())
    }

    pub fn from_bytes(b: &[u8]) -> Option<SymKey> {
        Some(SymKey(b.try_into().ok()?))
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl PartialEq for SymKey {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl std::fmt::Debug for SymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SymKey(…)")
    }
}

pub const GCM_NONCE: usize = 12;
pub const XCHACHA_NONCE: usize = 24;
pub const TAG: usize = 16;

/// HKDF-SHA256 (RFC 5869): a data key from an account key, bound to `info` (the block's identity).
pub fn derive_key(ikm: &SymKey, salt: &[u8], info: &[u8]) -> SymKey {
    let mut okm = [0u8; 32];
    // 32 bytes is far below HKDF-SHA256's 8160-byte limit, so expand cannot fail.
    hkdf::Hkdf::<sha2::Sha256>::new(Some(salt), ikm.bytes())
        .expand(info, &mut okm)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    let k = SymKey(okm);
    okm.zeroize();
    k
}

/// AES-256-GCM: returns ciphertext followed by the 16-byte tag (the layout WebCrypto uses too).
pub fn gcm_seal(key: &SymKey, nonce: &[u8; GCM_NONCE], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let cipher = Aes256Gcm::new(&(*key.bytes()).into());
    let mut buf = Vec::with_capacity(plaintext.len() + TAG);
    buf.extend_from_slice(plaintext);
    // Encryption only fails for inputs beyond 64 GiB, which a block never reaches.
    cipher
        .encrypt_in_place(&(*nonce).into(), aad, &mut buf)
        .expect("AES-GCM input within limits");
    buf
}

pub fn gcm_open(
    key: &SymKey,
    nonce: &[u8; GCM_NONCE],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let cipher = Aes256Gcm::new(&(*key.bytes()).into());
    let mut buf = sealed.to_vec();
    cipher
        .decrypt_in_place(&(*nonce).into(), aad, &mut buf)
        .map_err(|_| CryptoError::Decrypt)?;
    Ok(buf)
}

/// XChaCha20-Poly1305 with a 192-bit nonce: a different algorithm family from AES-GCM.
pub fn xchacha_seal(
    key: &SymKey,
    nonce: &[u8; XCHACHA_NONCE],
    aad: &[u8],
    plaintext: &[u8],
) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(&(*key.bytes()).into());
    let mut buf = Vec::with_capacity(plaintext.len() + TAG);
    buf.extend_from_slice(plaintext);
    cipher
        .encrypt_in_place(&(*nonce).into(), aad, &mut buf)
        .expect("XChaCha20-Poly1305 input within limits");
    buf
}

pub fn xchacha_open(
    key: &SymKey,
    nonce: &[u8; XCHACHA_NONCE],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let cipher = XChaCha20Poly1305::new(&(*key.bytes()).into());
    let mut buf = sealed.to_vec();
    cipher
        .decrypt_in_place(&(*nonce).into(), aad, &mut buf)
        .map_err(|_| CryptoError::Decrypt)?;
    Ok(buf)
}

/// A crypto kernel for benchmarks: runs `name` ("aes-gcm", "xchacha20-poly1305", "hkdf") over
/// `size`-byte messages `iterations` times and returns a checksum (so the work is not elided).
/// Timing is the caller's (the engine reads no clock).
pub fn kernel(name: &str, size: usize, iterations: u32) -> Result<u32, String> {
    let mut rng = Csprng::from_seed([42; 32]);
    let key = SymKey::random(&mut rng);
    let msg = vec![0x5au8; size];
    let mut sum = 0u32;
    for i in 0..iterations {
        let out = match name {
            "aes-gcm" => gcm_seal(&key, &rng.bytes(), b"aad", &msg),
            "xchacha20-poly1305" => xchacha_seal(&key, &rng.bytes(), b"aad", &msg),
            "hkdf" => derive_key(&key, b"salt", &i.to_le_bytes()).bytes().to_vec(),
            other => return Err(format!("unknown kernel {other}")),
        };
        sum = sum.wrapping_add(out[out.len() - 1] as u32);
    }
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NIST SP 800-38D / McGrew-Viega test case 16 (AES-256, 96-bit IV, AAD).
    #[test]
    fn aes_gcm_matches_the_published_vector() {
        let h = |s: &str| {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect::<Vec<u8>>()
        };
        let key = SymKey::from_bytes(&h(
            "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
        ))
        .unwrap();
        let nonce: [u8; 12] = h("cafebabefacedbaddecaf888").try_into().unwrap();
        let pt = h(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        );
        let aad = h("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let ct = gcm_seal(&key, &nonce, &aad, &pt);
        let expect = h(
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662\
76fc6ece0f4e1768cddf8853bb2d551b",
        );
        assert_eq!(ct, expect);
        assert_eq!(gcm_open(&key, &nonce, &aad, &ct).unwrap(), pt);
    }

    #[test]
    fn aead_layers_detect_any_flipped_byte() {
        let mut r = Csprng::from_seed([8; 32]);
        let (k1, k2) = (SymKey::random(&mut r), SymKey::random(&mut r));
        let (n1, n2): ([u8; 12], [u8; 24]) = (r.bytes(), r.bytes());
        let inner = gcm_seal(&k1, &n1, b"hdr", b"log rows");
        let outer = xchacha_seal(&k2, &n2, b"hdr", &inner);
        assert_eq!(outer.len(), b"log rows".len() + 2 * TAG);
        for i in 0..outer.len() {
            let mut t = outer.clone();
            t[i] ^= 0x01;
            assert_eq!(
                xchacha_open(&k2, &n2, b"hdr", &t),
                Err(CryptoError::Decrypt),
                "byte {i}"
            );
        }
        assert_eq!(
            xchacha_open(&k2, &n2, b"hdR", &outer),
            Err(CryptoError::Decrypt)
        );
        let back = xchacha_open(&k2, &n2, b"hdr", &outer).unwrap();
        assert_eq!(gcm_open(&k1, &n1, b"hdr", &back).unwrap(), b"log rows");
        assert_eq!(
            gcm_open(&k2, &n1, b"hdr", &back),
            Err(CryptoError::Decrypt),
            "wrong key"
        );
    }

    #[test]
    fn derived_keys_depend_on_every_input() {
        let mut r = Csprng::from_seed([9; 32]);
        let aek = SymKey::random(&mut r);
        let a = derive_key(&aek, b"salt", b"block 1");
        assert_eq!(a, derive_key(&aek, b"salt", b"block 1"));
        assert_ne!(a, derive_key(&aek, b"salt", b"block 2"));
        assert_ne!(a, derive_key(&aek, b"salt2", b"block 1"));
        assert_ne!(a, derive_key(&SymKey::random(&mut r), b"salt", b"block 1"));
    }

    /// RFC 5869 test case 1, to check the HKDF wiring.
    #[test]
    fn hkdf_matches_rfc_5869() {
        let ikm = [0x0bu8; 22];
        let mut okm = [0u8; 42];
        hkdf::Hkdf::<sha2::Sha256>::new(Some(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), &ikm)
            .expand(
                &[0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9],
                &mut okm,
            )
            .unwrap();
        assert_eq!(hex(&okm[..8]), "3cb25f25faacd57a");
    }

    #[test]
    fn guid_is_version_4() {
        let mut r = Csprng::from_seed([1; 32]);
        let g = r.guid();
        assert_eq!(g.len(), 36);
        assert_eq!(&g[14..15], "4");
        assert!(matches!(&g[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn same_seed_same_stream() {
        let (mut a, mut b) = (Csprng::from_seed([9; 32]), Csprng::from_seed([9; 32]));
        assert_eq!(a.hex(16), b.hex(16));
        assert_eq!(a.between(6, 60), b.between(6, 60));
    }

    #[test]
    fn between_stays_in_range() {
        let mut r = Csprng::from_seed([3; 32]);
        for _ in 0..1000 {
            let v = r.between(6, 60);
            assert!((6..=60).contains(&v));
        }
        assert_eq!(r.between(5, 5), 5);
    }

    #[test]
    fn b64url_round_trip_with_or_without_padding() {
        let data = [0xfbu8, 0xff, 0x00, 0x10];
        let s = b64url(&data);
        assert!(!s.contains('='));
        assert_eq!(from_b64url(&s).unwrap(), data);
        assert_eq!(from_b64url(&format!("{s}==")).unwrap(), data);
        assert!(from_b64url("not base64!").is_none());
    }

    #[test]
    fn rsa_wrap_unwrap_all_algorithms() {
        let mut r = Csprng::from_seed([5; 32]);
        let key = RsaKey::generate(&mut r, 2048);
        assert_eq!(key.bits(), 2048);
        let aek = r.bytes::<32>();
        for alg in [WrapAlg::RsaOaep256, WrapAlg::RsaOaep, WrapAlg::Rsa15] {
            let wrapped = key.wrap(&mut r, alg, &aek).unwrap();
            assert_eq!(wrapped.len(), 256);
            assert_eq!(key.unwrap(alg, &wrapped).unwrap(), aek);
        }
        let wrapped = key.wrap(&mut r, WrapAlg::RsaOaep256, &aek).unwrap();
        assert_eq!(
            key.unwrap(WrapAlg::RsaOaep, &wrapped),
            Err(CryptoError::Decrypt)
        );
        let mut tampered = wrapped.clone();
        tampered[100] ^= 1;
        assert_eq!(
            key.unwrap(WrapAlg::RsaOaep256, &tampered),
            Err(CryptoError::Decrypt)
        );
        assert_eq!(
            key.wrap(&mut r, WrapAlg::RsaOaep256, &[0; 191]),
            Err(CryptoError::TooLong)
        );
    }
}
