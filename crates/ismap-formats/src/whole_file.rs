//! Reading a whole file into memory, quickly when it is large. Most of the
//! kernel's work in reading a 10 MB OSCAL catalog is faulting in the fresh
//! buffer 4 KiB at a time; a buffer of its own mapping, advised to use
//! huge pages, takes a fraction of the faults (bench/oscal-validate.sh).
//! The file itself is read, not mapped: a mapped file that changes while
//! it is read would change the text under the parser.

use std::io::{self, Read};
use std::ops::Deref;
use std::path::Path;

use memmap2::{Advice, MmapMut};

use crate::limits;
use crate::source::SourceError;

/// From this size a file gets a buffer of its own mapping (one huge page).
const LARGE: u64 = 2 << 20;

/// The bytes of a file.
pub enum WholeFile {
    Small(Vec<u8>),
    Large(MmapMut),
}

impl Deref for WholeFile {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            WholeFile::Small(bytes) => bytes,
            WholeFile::Large(map) => map,
        }
    }
}

/// Reads all of `path`, at most `max` bytes: a regular file that is larger
/// is refused before it is read, and a pipe or device (`/dev/zero`) is read
/// to one byte past `max` at most ([`crate::limits`]).
pub fn read_limited(path: &Path, max: u64) -> Result<WholeFile, SourceError> {
    let name = path.display().to_string();
    let unreadable =
        |e: io::Error| SourceError::whole_file(&name, format!("cannot read the file: {e}"));
    let file = std::fs::File::open(path).map_err(unreadable)?;
    limits::check_declared_size(&name, &file, max)?;
    let len = file.metadata().map_err(unreadable)?.len();
    if len < LARGE {
        return limits::read_bounded(&name, file, max).map(WholeFile::Small);
    }
    let read = read_large(file, len, max).map_err(unreadable)?;
    if read.len() as u64 > max {
        return Err(limits::exceeded(&name, 0, limits::Limit::Size { max }));
    }
    Ok(read)
}

/// Reads all of `path`, at most [`limits::DEFAULT_MAX_INPUT_BYTES`].
pub fn read(path: &Path) -> Result<WholeFile, SourceError> {
    read_limited(path, limits::DEFAULT_MAX_INPUT_BYTES)
}

/// A regular file of `len` bytes (at most the limit) into its own mapping.
fn read_large(mut file: std::fs::File, len: u64, max: u64) -> io::Result<WholeFile> {
    let room = max.saturating_sub(len);
    let len = usize::try_from(len).map_err(|_| io::Error::other("file too large"))?;
    let mut map = MmapMut::map_anon(len)?;
    // Only advice: without huge pages the read is as it would be anyway.
    let _ = map.advise(Advice::HugePage);
    file.read_exact(&mut map)?;
    // A file that grew since its size was taken is read as it is now, up to
    // a byte past the limit (the caller checks).
    let mut rest = Vec::new();
    (&mut file)
        .take(room.saturating_add(1))
        .read_to_end(&mut rest)?;
    if rest.is_empty() {
        Ok(WholeFile::Large(map))
    } else {
        let mut bytes = map.to_vec();
        bytes.extend(rest);
        Ok(WholeFile::Small(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_large_files_read_back_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        for len in [
            0,
            17,
            LARGE as usize - 1,
            LARGE as usize,
            LARGE as usize + 4097,
        ] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let path = dir.path().join(format!("f{len}"));
            std::fs::write(&path, &bytes).unwrap();
            let read = read(&path).unwrap();
            assert_eq!(matches!(read, WholeFile::Large(_)), len >= LARGE as usize);
            assert!(*read == *bytes, "{len} bytes");
        }
        let missing = read(&dir.path().join("missing")).err().unwrap();
        assert!(
            missing.to_string().contains("cannot read the file"),
            "{missing}"
        );
        let over = read_limited(&dir.path().join(format!("f{}", LARGE + 4097)), LARGE)
            .err()
            .unwrap();
        assert_eq!(over.limit, Some(limits::Limit::Size { max: LARGE }));
    }
}
