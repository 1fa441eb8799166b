//! A minimal zip writer: deflated entries, in the order given, with fixed timestamps, so the
//! same files always make the same bytes (and hashes). No zip64: at most 65535 entries and
//! 4 GiB, which `archive_file` folders never approach.

use std::io::Write;

/// One file in the archive.
pub struct Entry {
    /// Path inside the archive, `/`-separated.
    pub name: String,
    /// Unix permission bits (`0o644`).
    pub mode: u32,
    /// The bytes.
    pub data: Vec<u8>,
}

/// 1980-01-01 00:00:00, the earliest MS-DOS timestamp: every entry gets it, so archives do
/// not change when only modification times do.
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;

struct Written {
    crc: u32,
    compressed: u32,
    size: u32,
    offset: u32,
    flags: u16,
}

fn u32_of(n: usize, what: &str) -> Result<u32, String> {
    u32::try_from(n).map_err(|_| format!("{what} is too large for a zip without zip64"))
}

fn deflate(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).map_err(|e| e.to_string())?;
    e.finish().map_err(|e| e.to_string())
}

/// The zip archive of `entries`.
pub fn write(entries: &[Entry]) -> Result<Vec<u8>, String> {
    let count = u16::try_from(entries.len()).map_err(|_| "more than 65535 files".to_owned())?;
    let mut out = Vec::new();
    let mut written = Vec::with_capacity(entries.len());
    for e in entries {
        let packed = deflate(&e.data)?;
        let mut crc = flate2::Crc::new();
        crc.update(&e.data);
        let w = Written {
            crc: crc.sum(),
            compressed: u32_of(packed.len(), &e.name)?,
            size: u32_of(e.data.len(), &e.name)?,
            offset: u32_of(out.len(), "the archive")?,
            // Bit 11: the name is UTF-8.
            flags: if e.name.is_ascii() { 0 } else { 0x0800 },
        };
        local_header(&mut out, e, &w)?;
        out.extend_from_slice(&packed);
        written.push(w);
    }
    let directory_start = u32_of(out.len(), "the archive")?;
    for (e, w) in entries.iter().zip(&written) {
        central_header(&mut out, e, w)?;
    }
    let directory_size = u32_of(out.len(), "the archive")? - directory_start;
    put32(&mut out, 0x0605_4b50);
    put16(&mut out, 0);
    put16(&mut out, 0);
    put16(&mut out, count);
    put16(&mut out, count);
    put32(&mut out, directory_size);
    put32(&mut out, directory_start);
    put16(&mut out, 0);
    Ok(out)
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// The fields local and central headers share, from "version needed" to the name length.
fn common(out: &mut Vec<u8>, e: &Entry, w: &Written) -> Result<(), String> {
    put16(out, 20);
    put16(out, w.flags);
    put16(out, 8); // deflate
    put16(out, DOS_TIME);
    put16(out, DOS_DATE);
    put32(out, w.crc);
    put32(out, w.compressed);
    put32(out, w.size);
    let len = u16::try_from(e.name.len()).map_err(|_| format!("name too long: {}", e.name))?;
    put16(out, len);
    put16(out, 0); // extra field length
    Ok(())
}

fn local_header(out: &mut Vec<u8>, e: &Entry, w: &Written) -> Result<(), String> {
    put32(out, 0x0403_4b50);
    common(out, e, w)?;
    out.extend_from_slice(e.name.as_bytes());
    Ok(())
}

fn central_header(out: &mut Vec<u8>, e: &Entry, w: &Written) -> Result<(), String> {
    put32(out, 0x0201_4b50);
    put16(out, (3 << 8) | 20); // made by Unix, zip 2.0: external attributes hold the mode
    common(out, e, w)?;
    put16(out, 0); // comment length
    put16(out, 0); // disk
    put16(out, 0); // internal attributes
    put32(out, (0o100_000 | (e.mode & 0o7777)) << 16);
    put32(out, w.offset);
    out.extend_from_slice(e.name.as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, data: &[u8]) -> Entry {
        Entry {
            name: name.into(),
            mode: 0o644,
            data: data.to_vec(),
        }
    }

    #[test]
    fn same_entries_same_bytes() {
        let a = write(&[entry("a.txt", b"hello"), entry("d/b.txt", b"world")]).expect("zip");
        let b = write(&[entry("a.txt", b"hello"), entry("d/b.txt", b"world")]).expect("zip");
        assert_eq!(a, b);
        assert_eq!(&a[..4], b"PK\x03\x04");
        assert_eq!(&a[a.len() - 22..a.len() - 18], b"PK\x05\x06");
    }

    #[test]
    fn unzip_reads_it_back_when_available() {
        // `unzip` is an independent reader; skip quietly where it is not installed.
        let Ok(dir) = tempfile::tempdir() else { return };
        let path = dir.path().join("t.zip");
        let bytes = write(&[entry("x/y.txt", b"hello zip\n")]).expect("zip");
        std::fs::write(&path, bytes).expect("write");
        let Ok(out) = std::process::Command::new("unzip")
            .arg("-p")
            .arg(&path)
            .output()
        else {
            return;
        };
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, b"hello zip\n");
    }
}
