//! A sealed block: its header (part of the authenticated data of every chunk at every layer)
//! and its column chunks' bytes, one after the other.

use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::engine::crypto::{self, GCM_NONCE, SymKey, XCHACHA_NONCE};

/// What protects the account key (AEK) a block's data key was derived from, at write time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum KeySource {
    /// Microsoft-managed key (shared storage, or a cluster before its key identifier is set).
    #[serde(rename = "MMK")]
    Mmk { key_id: String },
    /// The customer's key in Key Vault, by vault, name and the version that wrapped the AEK.
    #[serde(rename = "CMK")]
    Cmk {
        vault_uri: String,
        key_name: String,
        key_version: String,
    },
}

impl KeySource {
    pub fn is_cmk(&self) -> bool {
        matches!(self, KeySource::Cmk { .. })
    }

    pub fn describe(&self) -> String {
        match self {
            KeySource::Mmk { key_id } => format!("Microsoft-managed key {key_id}"),
            KeySource::Cmk {
                vault_uri,
                key_name,
                key_version,
            } => {
                format!("customer-managed key {vault_uri}/keys/{key_name}/{key_version}")
            }
        }
    }
}

/// One encryption layer as the header records it (each column chunk has its own nonces).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    pub alg: String,
    /// The key's identity (a data key's derivation, or an infrastructure key id).
    pub key: String,
}

/// One column chunk: its own AEAD message under the block's data key (and, with double
/// encryption, under the infrastructure key), with the header and the column's name as its
/// associated data, so a reader decrypts only the columns it reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    pub column: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub encoding: String,
    /// Plaintext bytes.
    pub bytes: u32,
    /// Hex: the service layer's nonce.
    pub nonce: String,
    /// Hex: the infrastructure layer's nonce (double encryption).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infra_nonce: Option<String>,
}

/// The block header. Its JSON bytes are part of the associated data of every chunk at both
/// layers, so changing any byte of it makes every chunk fail authentication.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockHeader {
    pub format: u8,
    pub block: u64,
    pub workspace: String,
    pub table: String,
    pub account: String,
    pub aek_id: String,
    pub key_source: KeySource,
    /// Service layer: AES-256-GCM under the block's data key (HKDF-SHA256 of the AEK).
    pub service: Layer,
    /// Infrastructure layer (double encryption): XChaCha20-Poly1305 under an infrastructure key.
    pub infrastructure: Option<Layer>,
    pub rows: u32,
    /// TimeGenerated range of the rows, in milliseconds.
    pub min_time: i64,
    pub max_time: i64,
    /// The column chunks, in the order their ciphertexts follow one another.
    pub columns: Vec<Chunk>,
}

pub const SERVICE_ALG: &str = "AES-256-GCM";
pub const INFRA_ALG: &str = "XChaCha20-Poly1305";
pub const DEK_SALT: &[u8] = b"cmk-playground/dek/v1";

impl BlockHeader {
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serializing plain data to JSON cannot fail.
        serde_json::to_vec(self).expect("block header serializes")
    }

    pub fn from_bytes(b: &[u8]) -> Option<BlockHeader> {
        serde_json::from_slice(b).ok()
    }

    /// The HKDF info that binds a data key to this block.
    pub fn dek_info(workspace: &str, table: &str, block: u64) -> String {
        format!("block|{workspace}|{table}|{block}")
    }

    /// Where each chunk's ciphertext sits in the block's bytes (each layer adds a 16-byte tag).
    pub fn chunk_ranges(&self) -> Vec<std::ops::Range<usize>> {
        let tags = crypto::TAG * (1 + self.infrastructure.is_some() as usize);
        let mut at = 0;
        self.columns
            .iter()
            .map(|c| {
                let r = at..at + c.bytes as usize + tags;
                at = r.end;
                r
            })
            .collect()
    }
}

/// A chunk's associated data: the header's bytes, then the column's name.
pub fn chunk_aad(header_bytes: &[u8], column: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(header_bytes.len() + 1 + column.len());
    aad.extend_from_slice(header_bytes);
    aad.push(b'|');
    aad.extend_from_slice(column.as_bytes());
    aad
}

pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// A block in storage.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub id: u64,
    pub account: String,
    /// Lower-cased workspace resource id.
    pub workspace: String,
    pub customer_id: String,
    pub table: String,
    pub header: Rc<[u8]>,
    /// The column chunks' ciphertexts one after the other (zeros while a chunk is being sealed
    /// outside the engine, in SubtleCrypto).
    pub sealed: Rc<[u8]>,
    /// The columns, in chunk order (the header's clear-text metadata, kept parsed).
    pub columns: Rc<[String]>,
    pub pending: bool,
    pub rows: u32,
    pub plain_len: u32,
    pub min_time: i64,
    pub max_time: i64,
    pub ingested: u64,
    pub key_source: KeySource,
    pub double: bool,
}

/// Why a block could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpenError {
    /// The header is not a valid header (tampered or corrupted).
    Header,
    /// The infrastructure layer failed authentication.
    Infrastructure,
    /// The service layer failed authentication.
    Service,
    /// Authenticated bytes that are not a column chunk (cannot happen without a bug).
    Decode,
}

impl OpenError {
    pub fn describe(&self, block: u64) -> String {
        match self {
            OpenError::Header => {
                format!("block {block}: the header is not valid (tampered or corrupted)")
            }
            OpenError::Infrastructure => format!(
                "block {block}: the infrastructure layer ({INFRA_ALG}) failed authentication"
            ),
            OpenError::Service => {
                format!("block {block}: the service layer ({SERVICE_ALG}) failed authentication")
            }
            OpenError::Decode => {
                format!("block {block}: authenticated data is not a column chunk")
            }
        }
    }
}

/// A block's data key, from its account key.
pub fn dek(aek: &SymKey, h: &BlockHeader) -> SymKey {
    crypto::derive_key(
        aek,
        DEK_SALT,
        BlockHeader::dek_info(&h.workspace, &h.table, h.block).as_bytes(),
    )
}

/// Removes both layers of chunk `i`: infrastructure first (outermost), then the service layer.
pub fn open_chunk(
    header_bytes: &[u8],
    h: &BlockHeader,
    i: usize,
    sealed: &[u8],
    dek: &SymKey,
    infra: Option<&SymKey>,
) -> Result<Vec<u8>, OpenError> {
    let c = h.columns.get(i).ok_or(OpenError::Header)?;
    let range = h.chunk_ranges().swap_remove(i);
    let bytes = sealed.get(range).ok_or(OpenError::Service)?;
    let aad = chunk_aad(header_bytes, &c.column);
    let service = match (&h.infrastructure, infra) {
        (Some(_), Some(k)) => {
            let n: [u8; XCHACHA_NONCE] = c
                .infra_nonce
                .as_deref()
                .and_then(from_hex)
                .and_then(|n| n.try_into().ok())
                .ok_or(OpenError::Header)?;
            crypto::xchacha_open(k, &n, &aad, bytes).map_err(|_| OpenError::Infrastructure)?
        }
        (Some(_), None) => return Err(OpenError::Infrastructure),
        (None, _) => bytes.to_vec(),
    };
    let n: [u8; GCM_NONCE] = from_hex(&c.nonce)
        .and_then(|n| n.try_into().ok())
        .ok_or(OpenError::Header)?;
    crypto::gcm_open(dek, &n, &aad, &service).map_err(|_| OpenError::Service)
}
