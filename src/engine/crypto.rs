//! Cryptography: the only module that names cipher crates.
//!
//! * [`Csprng`]: the engine's one source of randomness, ChaCha20 seeded by the caller, so a run is
//!   reproducible from its seed (identifiers, key material, OAEP padding, timing jitter).
//! * [`RsaKey`]: Key Vault's RSA key-encryption keys, with real RSA-OAEP-256, RSA-OAEP (SHA-1)
//!   and RSA1_5 wrap/unwrap. The private half never leaves this type; callers get the public
//!   modulus and exponent and the results of wrap/unwrap.

use std::rc::Rc;

use base64::Engine as _;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use rsa::traits::PublicKeyParts;
use rsa::{Oaep, Pkcs1v15Encrypt, RsaPrivateKey, RsaPublicKey};

/// ChaCha20-based CSPRNG. Cloning it forks the stream (used for transactional rollback).
#[derive(Clone, Debug, PartialEq)]
pub struct Csprng(ChaCha20Rng);

impl Csprng {
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Csprng(ChaCha20Rng::from_seed(seed))
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

/// Decodes base64url with or without padding (Key Vault accepts both); `None` if invalid.
pub fn from_b64url(s: &str) -> Option<Vec<u8>> {
    let trimmed = s.trim().trim_end_matches('=');
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(trimmed)
        .ok()
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

/// Why a wrap or unwrap failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CryptoError {
    /// The plaintext is longer than the padding scheme allows for this key size.
    TooLong,
    /// The ciphertext did not decrypt (wrong key, wrong algorithm, or tampered).
    Decrypt,
}

/// An RSA private key, shared cheaply between engine snapshots.
#[derive(Clone, Debug)]
pub struct RsaKey(Rc<RsaPrivateKey>);

impl PartialEq for RsaKey {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl RsaKey {
    /// Generates a fresh key from the engine's CSPRNG. Cost grows steeply with size: natively
    /// about 0.1-0.4 s for 2048 bits and up to several seconds for 4096; 3-4x that in wasm.
    pub fn generate(rng: &mut Csprng, bits: usize) -> RsaKey {
        match RsaPrivateKey::new(rng.rng(), bits) {
            Ok(k) => RsaKey(Rc::new(k)),
            // `new` fails only for unsupported sizes; callers validate the size first.
            Err(e) => unreachable!("RSA key generation failed for {bits} bits: {e}"),
        }
    }

    pub fn bits(&self) -> usize {
        self.0.size() * 8
    }

    /// JWK `n`: the modulus, base64url.
    pub fn n(&self) -> String {
        b64url(&self.0.n().to_bytes_be())
    }

    /// JWK `e`: the public exponent, base64url.
    pub fn e(&self) -> String {
        b64url(&self.0.e().to_bytes_be())
    }

    fn public(&self) -> RsaPublicKey {
        RsaPublicKey::from(self.0.as_ref())
    }

    pub fn wrap(
        &self,
        rng: &mut Csprng,
        alg: WrapAlg,
        plain: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        if plain.len() > alg.max_plaintext(self.0.size()) {
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
            WrapAlg::RsaOaep256 => self.0.decrypt(Oaep::new::<sha2::Sha256>(), wrapped),
            WrapAlg::RsaOaep => self.0.decrypt(Oaep::new::<sha1::Sha1>(), wrapped),
            WrapAlg::Rsa15 => self.0.decrypt(Pkcs1v15Encrypt, wrapped),
        };
        out.map_err(|_| CryptoError::Decrypt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
