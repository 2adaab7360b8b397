//! NumPy `.npy` files (format version 1.0), written as a stream.
//!
//! [`NpyWriter`] appends 1-D elements or fixed-width rows and, on every [`NpyWriter::flush`],
//! writes the buffered data and rewrites the header's shape in place. The header is padded to a
//! fixed length wide enough for any 64-bit shape, so after each flush the file on disk is a valid
//! `.npy` holding exactly what was written so far: a run killed after a flush leaves readable
//! files. The readers return errors naming the file and what is wrong; they never panic.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// Total header length (magic + version + length field + dict), a multiple of 64, with room for
/// a two-dimensional shape of two 20-digit numbers.
const HEADER_LEN: usize = 128;

/// Element types that can be stored.
pub trait NpyElem: Copy {
    /// NumPy type string, little-endian.
    const DESCR: &'static str;
    const SIZE: usize;
    fn write_le(self, out: &mut Vec<u8>);
    fn read_le(bytes: &[u8]) -> Self;
}

macro_rules! elem {
    ($t:ty, $descr:expr) => {
        impl NpyElem for $t {
            const DESCR: &'static str = $descr;
            const SIZE: usize = std::mem::size_of::<$t>();
            fn write_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn read_le(bytes: &[u8]) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(&bytes[..std::mem::size_of::<$t>()]);
                <$t>::from_le_bytes(a)
            }
        }
    };
}
elem!(f64, "<f8");
elem!(f32, "<f4");
elem!(u32, "<u4");
elem!(u64, "<u8");
elem!(i64, "<i8");

fn header_bytes(descr: &str, shape: &[usize]) -> Vec<u8> {
    let shape_txt = match shape {
        [n] => format!("({n},)"),
        dims => format!(
            "({})",
            dims.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_txt}, }}");
    let mut h = Vec::with_capacity(HEADER_LEN);
    h.extend_from_slice(MAGIC);
    h.extend_from_slice(&[1, 0]);
    h.extend_from_slice(&((HEADER_LEN - 10) as u16).to_le_bytes());
    h.extend_from_slice(dict.as_bytes());
    h.resize(HEADER_LEN - 1, b' ');
    h.push(b'\n');
    h
}

/// A streaming `.npy` writer for 1-D arrays or 2-D arrays with a fixed number of columns.
pub struct NpyWriter<T: NpyElem> {
    path: PathBuf,
    file: File,
    /// 0 for a 1-D array, else the number of columns.
    columns: usize,
    /// Elements on disk.
    written: usize,
    buffer: Vec<u8>,
    _t: PhantomData<T>,
}

impl<T: NpyElem> NpyWriter<T> {
    /// Creates (truncates) a 1-D array file.
    pub fn create(path: impl AsRef<Path>) -> io::Result<Self> {
        Self::create_with(path.as_ref(), 0)
    }

    /// Creates (truncates) a 2-D array file with `columns` columns; rows are appended.
    pub fn create_2d(path: impl AsRef<Path>, columns: usize) -> io::Result<Self> {
        Self::create_with(path.as_ref(), columns.max(1))
    }

    fn create_with(path: &Path, columns: usize) -> io::Result<Self> {
        let file = File::create(path).map_err(|e| with_path(path, e))?;
        let mut w = Self {
            path: path.to_path_buf(),
            file,
            columns,
            written: 0,
            buffer: Vec::new(),
            _t: PhantomData,
        };
        w.write_header()?;
        Ok(w)
    }

    /// Opens an existing file written by this module to continue it after `keep` elements
    /// (rows for 2-D): later data is cut off. Used to resume an interrupted run.
    pub fn open_append(path: impl AsRef<Path>, keep: usize) -> io::Result<Self> {
        let path = path.as_ref();
        let (descr, fortran, shape) = read_npy_header(path)?;
        let bad = |what: String| invalid(path, what);
        if descr != T::DESCR || fortran {
            return Err(bad(format!("holds '{descr}', expected '{}'", T::DESCR)));
        }
        let (columns, rows) = match shape.as_slice() {
            [n] => (0, *n),
            [r, c] => (*c, *r),
            _ => return Err(bad(format!("shape {shape:?} is not 1-D or 2-D"))),
        };
        if keep > rows {
            return Err(bad(format!(
                "has {rows} entries, fewer than the {keep} to keep"
            )));
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| with_path(path, e))?;
        let elems = keep * columns.max(1);
        file.set_len((HEADER_LEN + elems * T::SIZE) as u64)
            .map_err(|e| with_path(path, e))?;
        let mut w = Self {
            path: path.to_path_buf(),
            file,
            columns,
            written: elems,
            buffer: Vec::new(),
            _t: PhantomData,
        };
        w.write_header()?;
        Ok(w)
    }

    fn shape(&self) -> Vec<usize> {
        match self.written.checked_div(self.columns) {
            None => vec![self.written],
            Some(rows) => vec![rows, self.columns],
        }
    }

    fn write_header(&mut self) -> io::Result<()> {
        let h = header_bytes(T::DESCR, &self.shape());
        self.file
            .seek(SeekFrom::Start(0))
            .and_then(|_| self.file.write_all(&h))
            .map_err(|e| with_path(&self.path, e))
    }

    /// Appends elements (for a 2-D array, whole rows, row-major) to the buffer.
    pub fn append(&mut self, values: &[T]) {
        self.buffer.reserve(values.len() * T::SIZE);
        for &v in values {
            v.write_le(&mut self.buffer);
        }
    }

    /// Elements (1-D) or rows (2-D) appended so far, flushed or not.
    pub fn len(&self) -> usize {
        let total = self.written + self.buffer.len() / T::SIZE;
        total.checked_div(self.columns).unwrap_or(total)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the buffered data, then the header with the new shape.
    pub fn flush(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let offset = (HEADER_LEN + self.written * T::SIZE) as u64;
        self.file
            .seek(SeekFrom::Start(offset))
            .and_then(|_| self.file.write_all(&self.buffer))
            .map_err(|e| with_path(&self.path, e))?;
        self.written += self.buffer.len() / T::SIZE;
        self.buffer.clear();
        self.write_header()
    }
}

fn with_path(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

fn invalid(path: &Path, what: String) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: not a readable .npy file: {what}", path.display()),
    )
}

/// Writes a complete 1-D array.
pub fn write_npy_1d<T: NpyElem>(path: impl AsRef<Path>, values: &[T]) -> io::Result<()> {
    let mut w = NpyWriter::<T>::create(path)?;
    w.append(values);
    w.flush()
}

/// Writes a complete 2-D array (row-major values, `columns` per row).
pub fn write_npy_2d<T: NpyElem>(
    path: impl AsRef<Path>,
    columns: usize,
    values: &[T],
) -> io::Result<()> {
    let mut w = NpyWriter::<T>::create_2d(path, columns)?;
    w.append(values);
    w.flush()
}

/// Reads the header: (descr, fortran_order, shape), and checks the file holds that much data.
pub fn read_npy_header(path: impl AsRef<Path>) -> io::Result<(String, bool, Vec<usize>)> {
    let path = path.as_ref();
    let mut f = File::open(path).map_err(|e| with_path(path, e))?;
    let (descr, fortran, shape, _) = parse_header(path, &mut f)?;
    Ok((descr, fortran, shape))
}

fn parse_header(path: &Path, f: &mut File) -> io::Result<(String, bool, Vec<usize>, usize)> {
    let bad = |what: &str| invalid(path, what.to_string());
    let mut pre = [0u8; 10];
    f.read_exact(&mut pre)
        .map_err(|_| bad("shorter than a header"))?;
    if &pre[..6] != MAGIC {
        return Err(bad("no NUMPY magic"));
    }
    let (dict_len, start) = match pre[6] {
        1 => (u16::from_le_bytes([pre[8], pre[9]]) as usize, 10),
        2 | 3 => {
            let mut more = [0u8; 2];
            f.read_exact(&mut more)
                .map_err(|_| bad("truncated header length"))?;
            (
                u32::from_le_bytes([pre[8], pre[9], more[0], more[1]]) as usize,
                12,
            )
        }
        v => return Err(invalid(path, format!("unsupported format version {v}"))),
    };
    if dict_len > 1 << 20 {
        return Err(bad("header longer than 1 MiB"));
    }
    let mut dict = vec![0u8; dict_len];
    f.read_exact(&mut dict)
        .map_err(|_| bad("truncated header"))?;
    let dict = String::from_utf8(dict).map_err(|_| bad("header is not text"))?;
    let field = |key: &str| -> Option<&str> {
        let at = dict.find(&format!("'{key}':"))? + key.len() + 3;
        Some(dict[at..].trim_start())
    };
    let descr = field("descr")
        .and_then(|s| s.strip_prefix('\''))
        .and_then(|s| s.split('\'').next())
        .ok_or_else(|| bad("no 'descr'"))?
        .to_string();
    let fortran = match field("fortran_order") {
        Some(s) if s.starts_with("True") => true,
        Some(s) if s.starts_with("False") => false,
        _ => return Err(bad("no 'fortran_order'")),
    };
    let shape_txt = field("shape")
        .and_then(|s| s.strip_prefix('('))
        .and_then(|s| s.split(')').next())
        .ok_or_else(|| bad("no 'shape'"))?;
    let shape = shape_txt
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| bad("shape is not a tuple of integers"))?;
    Ok((descr, fortran, shape, start + dict_len))
}

fn read_array<T: NpyElem>(path: &Path) -> io::Result<Vec<T>> {
    let mut f = File::open(path).map_err(|e| with_path(path, e))?;
    let (descr, fortran, shape, data_start) = parse_header(path, &mut f)?;
    if descr != T::DESCR {
        return Err(invalid(
            path,
            format!("holds '{descr}', expected '{}'", T::DESCR),
        ));
    }
    if fortran && shape.len() > 1 {
        return Err(invalid(path, "Fortran order is not supported".into()));
    }
    let n = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| invalid(path, "shape overflows".into()))?;
    let len = f.metadata().map_err(|e| with_path(path, e))?.len() as usize;
    let need = n
        .checked_mul(T::SIZE)
        .and_then(|b| b.checked_add(data_start))
        .ok_or_else(|| invalid(path, "shape overflows".into()))?;
    if len < need {
        return Err(invalid(
            path,
            format!("header promises {n} elements but the file holds fewer"),
        ));
    }
    f.seek(SeekFrom::Start(data_start as u64))
        .map_err(|e| with_path(path, e))?;
    let mut bytes = vec![0u8; n * T::SIZE];
    f.read_exact(&mut bytes).map_err(|e| with_path(path, e))?;
    Ok(bytes.chunks_exact(T::SIZE).map(T::read_le).collect())
}

/// Reads a `<f8` array (any shape, flattened in C order).
pub fn read_npy_f64(path: impl AsRef<Path>) -> io::Result<Vec<f64>> {
    read_array(path.as_ref())
}

/// Reads a `<u4` array (any shape, flattened in C order).
pub fn read_npy_u32(path: impl AsRef<Path>) -> io::Result<Vec<u32>> {
    read_array(path.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("engram-npy-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d.join(name)
    }

    #[test]
    fn header_layout_matches_the_npy_format() {
        let h = header_bytes("<f8", &[3]);
        assert_eq!(h.len() % 64, 0);
        assert_eq!(&h[..8], b"\x93NUMPY\x01\x00");
        assert_eq!(u16::from_le_bytes([h[8], h[9]]) as usize, h.len() - 10);
        let dict = std::str::from_utf8(&h[10..]).unwrap();
        assert!(dict.starts_with("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }"));
        assert!(dict.ends_with('\n'));
        let big = header_bytes("<f8", &[usize::MAX, usize::MAX]);
        assert_eq!(big.len(), HEADER_LEN, "the widest 2-D shape still fits");
    }

    #[test]
    fn streamed_file_is_valid_after_every_flush() {
        let p = tmp("stream.npy");
        let mut w = NpyWriter::<f64>::create(&p).unwrap();
        assert_eq!(read_npy_f64(&p).unwrap(), Vec::<f64>::new());
        w.append(&[1.0, 2.5]);
        w.flush().unwrap();
        assert_eq!(read_npy_f64(&p).unwrap(), vec![1.0, 2.5]);
        w.append(&[-3.0]);
        // Not flushed yet: the file still says two elements.
        assert_eq!(read_npy_header(&p).unwrap().2, vec![2]);
        w.flush().unwrap();
        assert_eq!(read_npy_f64(&p).unwrap(), vec![1.0, 2.5, -3.0]);
    }

    #[test]
    fn two_dimensional_rows_and_resume_truncation() {
        let p = tmp("rows.npy");
        let mut w = NpyWriter::<f64>::create_2d(&p, 2).unwrap();
        w.append(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        w.flush().unwrap();
        assert_eq!(
            read_npy_header(&p).unwrap(),
            ("<f8".to_string(), false, vec![3, 2])
        );
        drop(w);
        let mut w = NpyWriter::<f64>::open_append(&p, 1).unwrap();
        assert_eq!(w.len(), 1);
        w.append(&[7.0, 8.0]);
        w.flush().unwrap();
        assert_eq!(read_npy_f64(&p).unwrap(), vec![1.0, 2.0, 7.0, 8.0]);
        assert!(NpyWriter::<f64>::open_append(&p, 5).is_err());
        assert!(NpyWriter::<u32>::open_append(&p, 0).is_err());
    }

    #[test]
    fn malformed_files_are_errors_not_panics() {
        let cases: [&[u8]; 5] = [
            b"",
            b"not numpy at all",
            b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f8'",
            b"\x93NUMPY\x01\x00\x30\x00{'descr': '<f8', 'fortran_order': False, 'shape': (x,)}",
            b"\x93NUMPY\x01\x00\x40\x00{'descr': '<f8', 'fortran_order': False, 'shape': (99,), }       \n",
        ];
        for (k, bytes) in cases.iter().enumerate() {
            let p = tmp(&format!("bad{k}.npy"));
            std::fs::write(&p, bytes).unwrap();
            let e = read_npy_f64(&p).unwrap_err();
            assert!(e.to_string().contains("bad"), "{e}");
        }
        let p = tmp("u32.npy");
        write_npy_1d(&p, &[1u32, 2, 3]).unwrap();
        assert_eq!(read_npy_u32(&p).unwrap(), vec![1, 2, 3]);
        assert!(read_npy_f64(&p).is_err(), "wrong dtype is an error");
    }
}
