//! COMPRESS=DEFLATE (RFC 4978): raw deflate both ways, pure Rust (miniz_oxide), so it
//! builds for wasm. Each write is sync-flushed so the server can act on it at once.

use miniz_oxide::deflate::core::{CompressorOxide, create_comp_flags_from_zip_params};
use miniz_oxide::inflate::stream::InflateState;
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

/// Output grows in steps of this many bytes.
const CHUNK: usize = 16 * 1024;

/// Why received compressed data cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InflateError {
    /// It inflates past the limit (a decompression bomb, or a server gone wrong).
    TooLarge,
    /// It is not a valid deflate stream; the text says how.
    Corrupt(String),
}

impl InflateError {
    fn corrupt(why: &str) -> Self {
        Self::Corrupt(why.to_owned())
    }
}

/// Both directions of a compressed session.
pub(crate) struct Deflate {
    inflater: Box<InflateState>,
    deflater: Box<CompressorOxide>,
}

impl std::fmt::Debug for Deflate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Deflate")
    }
}

impl Deflate {
    pub(crate) fn new() -> Self {
        // Level 6, raw deflate (negative window bits), default strategy.
        let flags = create_comp_flags_from_zip_params(6, -15, 0);
        Self {
            inflater: InflateState::new_boxed(DataFormat::Raw),
            deflater: Box::new(CompressorOxide::new(flags)),
        }
    }

    /// Decompresses received bytes, refusing to write more than `limit` bytes
    /// (a few compressed kilobytes can claim gigabytes).
    pub(crate) fn inflate(&mut self, mut input: &[u8], out: &mut Vec<u8>, limit: usize) -> Result<(), InflateError> {
        loop {
            let start = out.len();
            if start > limit {
                return Err(InflateError::TooLarge);
            }
            let space = CHUNK.max(input.len() * 4).min((limit - start).saturating_add(1));
            out.resize(start + space, 0);
            let result =
                miniz_oxide::inflate::stream::inflate(&mut self.inflater, input, &mut out[start..], MZFlush::Sync);
            out.truncate(start + result.bytes_written);
            input = &input[result.bytes_consumed..];
            match result.status {
                Ok(MZStatus::Ok) => {}
                Ok(MZStatus::StreamEnd) => return Err(InflateError::corrupt("the server ended the compressed stream")),
                Ok(MZStatus::NeedDict) => return Err(InflateError::corrupt("a preset dictionary was requested")),
                // Buf: no progress possible until more input arrives.
                Err(MZError::Buf) => return Ok(()),
                Err(MZError::Data) => return Err(InflateError::corrupt("invalid deflate data")),
                Err(_) => return Err(InflateError::corrupt("the decompressor failed")),
            }
            // Output that filled the space may have more behind it, even with no input left.
            if input.is_empty() && result.bytes_written < space {
                return Ok(());
            }
        }
    }

    /// Compresses bytes to send, ending with a sync flush.
    pub(crate) fn deflate(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        loop {
            let start = out.len();
            let space = CHUNK.max(input.len() + 64);
            out.resize(start + space, 0);
            let result =
                miniz_oxide::deflate::stream::deflate(&mut self.deflater, input, &mut out[start..], MZFlush::Sync);
            out.truncate(start + result.bytes_written);
            input = &input[result.bytes_consumed..];
            // Done once all input is consumed and the flush fit in the space given.
            if result.status.is_err() || (input.is_empty() && result.bytes_written < space) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_sync_flushes() {
        let mut client = Deflate::new();
        let mut server = Deflate::new();
        let mut wire = Vec::new();
        client.deflate(b"a1 NOOP\r\n", &mut wire);
        let first = wire.len();
        client.deflate(&b"a2 FETCH 1:* (UID FLAGS)\r\n".repeat(1000), &mut wire);
        let mut plain = Vec::new();
        server.inflate(&wire[..first], &mut plain, usize::MAX).unwrap();
        assert_eq!(
            plain, b"a1 NOOP\r\n",
            "a sync flush makes each write decodable on its own"
        );
        server.inflate(&wire[first..], &mut plain, usize::MAX).unwrap();
        assert_eq!(plain.len(), 9 + 26 * 1000);
    }

    #[test]
    fn a_decompression_bomb_stops_at_the_limit() {
        let mut server = Deflate::new();
        let mut bomb = Vec::new();
        server.deflate(&vec![b'x'; 4 << 20], &mut bomb);
        assert!(bomb.len() < 64 * 1024, "4 MiB in {} bytes", bomb.len());
        let mut client = Deflate::new();
        let mut plain = Vec::new();
        assert_eq!(client.inflate(&bomb, &mut plain, 1 << 20), Err(InflateError::TooLarge));
        assert!(plain.len() <= (1 << 20) + 1, "held {} bytes", plain.len());
    }

    #[test]
    fn corrupt_input_is_an_error_not_a_panic() {
        let mut inflater = Deflate::new();
        let mut out = Vec::new();
        assert!(inflater.inflate(&[0xff; 64], &mut out, usize::MAX).is_err());
    }
}
