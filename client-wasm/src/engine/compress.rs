//! COMPRESS=DEFLATE (RFC 4978): raw deflate both ways, pure Rust (miniz_oxide), so it
//! builds for wasm. Each write is sync-flushed so the server can act on it at once.

use miniz_oxide::deflate::core::{CompressorOxide, create_comp_flags_from_zip_params};
use miniz_oxide::inflate::stream::InflateState;
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

/// Output grows in steps of this many bytes.
const CHUNK: usize = 16 * 1024;

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

    /// Decompresses received bytes.
    pub(crate) fn inflate(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        loop {
            let start = out.len();
            let space = CHUNK.max(input.len() * 4);
            out.resize(start + space, 0);
            let result =
                miniz_oxide::inflate::stream::inflate(&mut self.inflater, input, &mut out[start..], MZFlush::Sync);
            out.truncate(start + result.bytes_written);
            input = &input[result.bytes_consumed..];
            match result.status {
                Ok(MZStatus::Ok) => {}
                Ok(MZStatus::StreamEnd) => return Err("the server ended the compressed stream".into()),
                Ok(MZStatus::NeedDict) => return Err("a preset dictionary was requested".into()),
                // Buf: no progress possible until more input arrives.
                Err(MZError::Buf) => return Ok(()),
                Err(MZError::Data) => return Err("invalid deflate data".into()),
                Err(_) => return Err("the decompressor failed".into()),
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
        server.inflate(&wire[..first], &mut plain).unwrap();
        assert_eq!(
            plain, b"a1 NOOP\r\n",
            "a sync flush makes each write decodable on its own"
        );
        server.inflate(&wire[first..], &mut plain).unwrap();
        assert_eq!(plain.len(), 9 + 26 * 1000);
    }

    #[test]
    fn corrupt_input_is_an_error_not_a_panic() {
        let mut inflater = Deflate::new();
        let mut out = Vec::new();
        assert!(inflater.inflate(&[0xff; 64], &mut out).is_err());
    }
}
