//! Segment files: append-only, checksummed, compressed frames of event bodies.
//!
//! # Format (version 1, integers big-endian)
//!
//! A segment `segments/<20-digit number>.seg` starts with a 16-byte header: the magic
//! `KPCISEG1` and the segment number (u64). Frames follow back to back:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic `KPFR` |
//! | 4 | 1 | frame version, `1` |
//! | 5 | 3 | reserved, zero |
//! | 8 | 4 | number of leaf records `n` |
//! | 12 | 4 | length `l` of the compressed leaf records |
//! | 16 | 4 | compressed block length `c` |
//! | 20 | 4 | decompressed block length `u` |
//! | 24 | 8 | sequence number of the first leaf |
//! | 32 | 8 | smallest event time in the frame (Unix ns) |
//! | 40 | 8 | largest event time in the frame (Unix ns) |
//! | 48 | 4 | reserved, zero |
//! | 52 | 4 | CRC-32C of bytes 0..52 and of the payload |
//! | 56 | l | zstd frame: the `n` leaf records (see [`crate::leaf`]), a copy of those in `leaves` |
//! | 56+l | c | zstd frame: the event bodies back to back, exactly as received |
//!
//! One frame holds one batch's new events; a group commit appends the frames of every batch
//! that arrived while the previous group was being synced, then syncs once. A frame whose bytes
//! are incomplete or whose CRC does not match is a torn write (when it is the last frame) or
//! damage (anywhere else).
//!
//! Next to each segment, `<number>.idx` is its time index: one 48-byte entry per frame
//! (frame offset u64, first sequence u64, leaf count u32, reserved u32, smallest and largest
//! event time i64, frame length u64). It is derived data, rebuilt from the frames when missing.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::leaf::LEAF_SIZE;

/// Segment file magic.
pub const SEGMENT_MAGIC: &[u8; 8] = b"KPCISEG1";
/// Size of the segment header.
pub const SEGMENT_HEADER: u64 = 16;
/// Frame magic.
pub const FRAME_MAGIC: &[u8; 4] = b"KPFR";
/// Size of a frame header.
pub const FRAME_HEADER: usize = 56;
/// Size of an index entry.
pub const IDX_ENTRY: usize = 48;
/// Largest decompressed block a reader accepts (a frame holds one group commit, bounded far
/// below this by the writer).
pub const MAX_BLOCK: usize = 512 * 1024 * 1024;
/// Most leaves a reader accepts in one frame.
pub const MAX_FRAME_LEAVES: usize = 1 << 20;

/// Path of segment `n`.
pub fn segment_path(dir: &Path, n: u64) -> PathBuf {
    dir.join("segments").join(format!("{n:020}.seg"))
}

/// Path of segment `n`'s time index.
pub fn index_path(dir: &Path, n: u64) -> PathBuf {
    dir.join("segments").join(format!("{n:020}.idx"))
}

/// Segment numbers present in the data directory, ascending.
pub fn list_segments(dir: &Path) -> std::io::Result<Vec<u64>> {
    let mut out = Vec::new();
    let seg_dir = dir.join("segments");
    if !seg_dir.exists() {
        return Ok(out);
    }
    for entry in std::fs::read_dir(seg_dir)? {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        if let Some(num) = name.strip_suffix(".seg")
            && num.len() == 20
            && let Ok(n) = num.parse::<u64>()
        {
            out.push(n);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// The segment header bytes.
pub fn segment_header(n: u64) -> [u8; SEGMENT_HEADER as usize] {
    let mut h = [0u8; SEGMENT_HEADER as usize];
    h[..8].copy_from_slice(SEGMENT_MAGIC);
    h[8..].copy_from_slice(&n.to_be_bytes());
    h
}

/// A decoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Number of leaves.
    pub leaf_count: u32,
    /// Length of the compressed leaf records.
    pub leaves_len: u32,
    /// Compressed block length.
    pub compressed_len: u32,
    /// Decompressed block length.
    pub uncompressed_len: u32,
    /// First sequence number.
    pub first_seq: u64,
    /// Smallest event time.
    pub min_time_ns: i64,
    /// Largest event time.
    pub max_time_ns: i64,
    /// Stored CRC.
    pub crc: u32,
}

impl FrameHeader {
    /// Payload length (leaves plus compressed block).
    pub fn payload_len(&self) -> usize {
        self.leaves_len as usize + self.compressed_len as usize
    }

    /// Whole frame length.
    pub fn frame_len(&self) -> usize {
        FRAME_HEADER + self.payload_len()
    }
}

/// Why a frame could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The bytes end inside the frame (a torn tail when it is the last frame).
    #[error("frame is incomplete")]
    Truncated,
    /// The frame does not start with the magic or has impossible lengths.
    #[error("frame header is invalid")]
    BadHeader,
    /// The CRC does not match.
    #[error("frame checksum mismatch")]
    Checksum,
    /// The block does not decompress to the announced length.
    #[error("frame block does not decompress")]
    Decompress,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[at..at + 4]);
    u32::from_be_bytes(x)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_be_bytes(x)
}

/// Parses a frame header (checks magic and bounds, not the CRC).
pub fn parse_header(b: &[u8]) -> Result<FrameHeader, FrameError> {
    if b.len() < FRAME_HEADER {
        return Err(FrameError::Truncated);
    }
    if &b[..4] != FRAME_MAGIC || b[4] != 1 || b[5..8] != [0, 0, 0] {
        return Err(FrameError::BadHeader);
    }
    let header = FrameHeader {
        leaf_count: u32_at(b, 8),
        leaves_len: u32_at(b, 12),
        compressed_len: u32_at(b, 16),
        uncompressed_len: u32_at(b, 20),
        first_seq: u64_at(b, 24),
        min_time_ns: u64_at(b, 32) as i64,
        max_time_ns: u64_at(b, 40) as i64,
        crc: u32_at(b, 52),
    };
    if b[48..52] != [0, 0, 0, 0]
        || header.leaf_count as usize > MAX_FRAME_LEAVES
        || header.leaves_len as usize > MAX_BLOCK
        || header.uncompressed_len as usize > MAX_BLOCK
        || header.compressed_len as usize > MAX_BLOCK
    {
        return Err(FrameError::BadHeader);
    }
    Ok(header)
}

/// Builds a frame from encoded leaves and the bodies' concatenation.
pub fn encode_frame(
    leaves: &[[u8; LEAF_SIZE]],
    first_seq: u64,
    min_time_ns: i64,
    max_time_ns: i64,
    block: &[u8],
    level: i32,
) -> std::io::Result<Vec<u8>> {
    let compressed = crate::store::CompressedBlock {
        compressed: zstd::bulk::compress(block, level)?,
        uncompressed_len: u32::try_from(block.len())
            .map_err(|_| std::io::Error::other("block larger than 4 GiB"))?,
    };
    encode_frame_precompressed(
        leaves,
        first_seq,
        min_time_ns,
        max_time_ns,
        &compressed,
        level,
    )
}

/// Builds a frame around a block compressed beforehand (see
/// [`crate::store::IncomingBatch::precompress`]); the leaf records are compressed here.
pub fn encode_frame_precompressed(
    leaves: &[[u8; LEAF_SIZE]],
    first_seq: u64,
    min_time_ns: i64,
    max_time_ns: i64,
    block: &crate::store::CompressedBlock,
    level: i32,
) -> std::io::Result<Vec<u8>> {
    let leaves_z = zstd::bulk::compress(leaves.as_flattened(), level)?;
    let mut out = Vec::with_capacity(FRAME_HEADER + leaves_z.len() + block.compressed.len());
    out.extend_from_slice(FRAME_MAGIC);
    out.extend_from_slice(&[1, 0, 0, 0]);
    out.extend_from_slice(&(leaves.len() as u32).to_be_bytes());
    out.extend_from_slice(&(leaves_z.len() as u32).to_be_bytes());
    out.extend_from_slice(&(block.compressed.len() as u32).to_be_bytes());
    out.extend_from_slice(&block.uncompressed_len.to_be_bytes());
    out.extend_from_slice(&first_seq.to_be_bytes());
    out.extend_from_slice(&min_time_ns.to_be_bytes());
    out.extend_from_slice(&max_time_ns.to_be_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&leaves_z);
    out.extend_from_slice(&block.compressed);
    let crc = frame_crc(&out);
    out[52..56].copy_from_slice(&crc.to_be_bytes());
    Ok(out)
}

/// CRC over a whole frame, skipping the CRC field itself.
pub fn frame_crc(frame: &[u8]) -> u32 {
    let crc = crc32c::crc32c(&frame[..52]);
    crc32c::crc32c_append(crc, &frame[FRAME_HEADER..])
}

/// A fully read frame.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Its header.
    pub header: FrameHeader,
    /// Its leaf records.
    pub leaves: Vec<[u8; LEAF_SIZE]>,
    /// The compressed block (decompress with [`Frame::decompress`]).
    pub compressed: Vec<u8>,
}

impl Frame {
    /// Checks and splits a whole frame's bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FrameError> {
        let header = parse_header(bytes)?;
        if bytes.len() < header.frame_len() {
            return Err(FrameError::Truncated);
        }
        let bytes = &bytes[..header.frame_len()];
        if frame_crc(bytes) != header.crc {
            return Err(FrameError::Checksum);
        }
        let leaves_end = FRAME_HEADER + header.leaves_len as usize;
        let want = header.leaf_count as usize * LEAF_SIZE;
        let raw = zstd::bulk::decompress(&bytes[FRAME_HEADER..leaves_end], want)
            .map_err(|_| FrameError::Decompress)?;
        if raw.len() != want {
            return Err(FrameError::Decompress);
        }
        let leaves = raw
            .chunks_exact(LEAF_SIZE)
            .map(|c| {
                let mut leaf = [0u8; LEAF_SIZE];
                leaf.copy_from_slice(c);
                leaf
            })
            .collect();
        Ok(Frame {
            header,
            leaves,
            compressed: bytes[leaves_end..].to_vec(),
        })
    }

    /// The decompressed block.
    pub fn decompress(&self) -> Result<Vec<u8>, FrameError> {
        let block = zstd::bulk::decompress(&self.compressed, self.header.uncompressed_len as usize)
            .map_err(|_| FrameError::Decompress)?;
        if block.len() != self.header.uncompressed_len as usize {
            return Err(FrameError::Decompress);
        }
        Ok(block)
    }
}

/// Reads the frame starting at the reader's position. `Ok(None)` at a clean end of file.
pub fn read_frame(reader: &mut impl Read) -> Result<Option<Frame>, FrameError> {
    let mut header = [0u8; FRAME_HEADER];
    let mut got = 0;
    while got < FRAME_HEADER {
        match reader.read(&mut header[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(FrameError::Truncated),
        }
    }
    if got == 0 {
        return Ok(None);
    }
    if got < FRAME_HEADER {
        return Err(FrameError::Truncated);
    }
    let parsed = parse_header(&header)?;
    let mut bytes = vec![0u8; parsed.frame_len()];
    bytes[..FRAME_HEADER].copy_from_slice(&header);
    reader
        .read_exact(&mut bytes[FRAME_HEADER..])
        .map_err(|_| FrameError::Truncated)?;
    Frame::from_bytes(&bytes).map(Some)
}

/// One time-index entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexEntry {
    /// Offset of the frame in its segment.
    pub frame_offset: u64,
    /// First sequence number in the frame.
    pub first_seq: u64,
    /// Leaves in the frame.
    pub leaf_count: u32,
    /// Smallest event time.
    pub min_time_ns: i64,
    /// Largest event time.
    pub max_time_ns: i64,
    /// Frame length in bytes.
    pub frame_len: u64,
}

impl IndexEntry {
    /// Encodes the entry.
    pub fn encode(&self) -> [u8; IDX_ENTRY] {
        let mut b = [0u8; IDX_ENTRY];
        b[0..8].copy_from_slice(&self.frame_offset.to_be_bytes());
        b[8..16].copy_from_slice(&self.first_seq.to_be_bytes());
        b[16..20].copy_from_slice(&self.leaf_count.to_be_bytes());
        b[24..32].copy_from_slice(&self.min_time_ns.to_be_bytes());
        b[32..40].copy_from_slice(&self.max_time_ns.to_be_bytes());
        b[40..48].copy_from_slice(&self.frame_len.to_be_bytes());
        b
    }

    /// Decodes an entry.
    pub fn decode(b: &[u8]) -> Option<Self> {
        if b.len() != IDX_ENTRY {
            return None;
        }
        Some(IndexEntry {
            frame_offset: u64_at(b, 0),
            first_seq: u64_at(b, 8),
            leaf_count: u32_at(b, 16),
            min_time_ns: u64_at(b, 24) as i64,
            max_time_ns: u64_at(b, 32) as i64,
            frame_len: u64_at(b, 40),
        })
    }
}

/// Reads a whole segment's bytes as frames; the body of the `audit_segment` fuzz target. It
/// must never panic, whatever the bytes.
pub fn fuzz_segment(data: &[u8]) {
    let mut reader = data.get(SEGMENT_HEADER as usize..).unwrap_or_default();
    let mut frames = 0;
    while let Ok(Some(frame)) = read_frame(&mut reader) {
        frames += 1;
        if let Ok(block) = frame.decompress() {
            for leaf in &frame.leaves {
                if let Ok(record) = crate::leaf::LeafRecord::decode(leaf) {
                    let start = record.body_offset as usize;
                    let _ = block.get(start..start.saturating_add(record.body_len as usize));
                }
            }
        }
        if frames > 1000 {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_round_trip_and_damage() {
        let leaves = [[3u8; LEAF_SIZE], [4u8; LEAF_SIZE]];
        let frame = encode_frame(&leaves, 10, 5, 9, b"hello world", 1).expect("compresses");
        let decoded = Frame::from_bytes(&frame).expect("valid frame");
        assert_eq!(decoded.leaves, leaves);
        assert_eq!(decoded.decompress().expect("valid block"), b"hello world");
        assert_eq!(decoded.header.first_seq, 10);
        assert_eq!(
            Frame::from_bytes(&frame[..frame.len() - 1]).err(),
            Some(FrameError::Truncated)
        );
        let mut bad = frame.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(Frame::from_bytes(&bad).err(), Some(FrameError::Checksum));
        let mut reader = &frame[..];
        assert!(read_frame(&mut reader).expect("reads").is_some());
        assert!(read_frame(&mut reader).expect("clean end").is_none());
    }
}
