//! File forms of chunks (QR PNG, SMS text, email text, raw datagram): writing
//! them, and recognising any of them, QR photos included, from a file's bytes.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::frame::{Chunk, FORMAT_VERSION};
use super::{Channel, ChunkError};

/// First line of an email block.
const BEGIN: &str = "-----BEGIN GAVAH CHUNK-----";
/// Last line of an email block.
const END: &str = "-----END GAVAH CHUNK-----";
/// Email lines are wrapped at this many columns (RFC 2045's limit for base64).
const EMAIL_COLUMNS: usize = 76;

/// Pixels per QR module in the PNGs we write: sharp on screens and printers,
/// and still decodable after a photo shrinks it to half.
const QR_MODULE_PIXELS: u32 = 6;
/// Light modules around the code, as ISO/IEC 18004 asks.
const QR_QUIET_MODULES: u32 = 4;

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
const JPEG_MAGIC: &[u8] = b"\xff\xd8\xff";

/// Largest photo side we decode, and the decoder's memory cap: enough for any
/// phone camera, small enough that a hostile file cannot exhaust memory.
const MAX_IMAGE_SIDE: u32 = 16_384;
const MAX_IMAGE_ALLOC: u64 = 512 * 1024 * 1024;

impl Chunk {
    /// The chunk in `channel`'s file form: a QR code PNG, SMS text, an email
    /// block or the raw bytes. Fails only for a QR code of a chunk over
    /// 2,953 bytes.
    pub fn to_file_bytes(&self, channel: Channel) -> Result<Vec<u8>, ChunkError> {
        match channel {
            Channel::Qr => qr_png(self.as_bytes()),
            Channel::Sms => Ok(URL_SAFE_NO_PAD.encode(self.as_bytes()).into_bytes()),
            Channel::Email => Ok(email_block(self.as_bytes()).into_bytes()),
            Channel::Udp => Ok(self.as_bytes().to_vec()),
        }
    }

    /// The chunk's file name for `channel`: `BUNDLEID-INDEX` and the form's
    /// extension, e.g. `0a1b2c3d4e-0000042.png`. Names sort by bundle, then index.
    pub fn file_name(&self, channel: Channel) -> String {
        let extension = match channel {
            Channel::Qr => "png",
            Channel::Sms => "sms.txt",
            Channel::Email => "email.txt",
            Channel::Udp => "udp",
        };
        format!("{}-{:07}.{extension}", self.bundle_id(), self.index())
    }
}

/// Writes each chunk into `dir` (which must exist) as its own file, named by
/// [`Chunk::file_name`]; each is written to a temporary name and renamed, so
/// a crash never leaves a half-written chunk. Returns the paths written.
pub fn write_dir(
    dir: &Path,
    chunks: &[Chunk],
    channel: Channel,
) -> Result<Vec<PathBuf>, ChunkError> {
    let mut written = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        let bytes = chunk.to_file_bytes(channel)?;
        let path = dir.join(chunk.file_name(channel));
        let temporary = dir.join(format!(".{}.partial", chunk.file_name(channel)));
        let io_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ChunkError::Io { path, source }
        };
        write_new(&temporary, &bytes).map_err(io_error(&temporary))?;
        std::fs::rename(&temporary, &path).map_err(io_error(&path))?;
        written.push(path);
    }
    Ok(written)
}

fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Which form a file's chunks were found in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileForm {
    /// A PNG or JPEG image holding QR codes (ours, or a photo of them).
    Image,
    /// SMS text: one chunk in base64url.
    Sms,
    /// Text with one or more BEGIN/END blocks.
    Email,
    /// A raw binary chunk (UDP datagram).
    Binary,
}

/// Whether a file is one of the chunk file forms, without reading its chunks:
/// a PNG or JPEG image, UTF-8 text, or a binary chunk whose header checksum
/// holds. A sealed bundle (random bytes, at least 4 KiB) is none of these but
/// with a chance of about 2⁻³², so this tells chunks from bundles whose size
/// they happen to share.
pub fn is_chunk_file(bytes: &[u8]) -> bool {
    bytes.starts_with(PNG_MAGIC)
        || bytes.starts_with(JPEG_MAGIC)
        || std::str::from_utf8(bytes).is_ok()
        || Chunk::from_bytes(bytes).is_ok()
}

/// The chunks found in one file, and those that were found but rejected.
#[derive(Debug)]
pub struct ParsedFile {
    /// The form recognised.
    pub form: FileForm,
    /// Chunks that passed every check, in the order found.
    pub chunks: Vec<Chunk>,
    /// Chunks (QR codes, email blocks) that were found but failed a check.
    pub rejected: Vec<ChunkError>,
}

/// Recognises chunks in a file's bytes, whatever the form: a QR code PNG or a
/// photo of QR codes (PNG or JPEG; every code in the picture is read), SMS
/// text, email text (blocks may be quoted with `> `, re-wrapped, have CRLF or
/// trailing spaces, or quoted-printable soft line breaks), or a raw chunk.
///
/// Never panics, whatever the bytes. Fails when the file holds no valid chunk:
/// with [`ChunkError::is_damaged_chunk`] true when it held a damaged one.
pub fn parse_file(bytes: &[u8]) -> Result<ParsedFile, ChunkError> {
    let (form, found) = if bytes.starts_with(PNG_MAGIC) || bytes.starts_with(JPEG_MAGIC) {
        (FileForm::Image, qr_payloads(bytes)?)
    } else if bytes.first().is_some_and(|b| b >> 4 == FORMAT_VERSION) {
        (FileForm::Binary, vec![Ok(bytes.to_vec())])
    } else {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Err(ChunkError::NotAChunk {
                what: "neither an image, a binary chunk nor UTF-8 text",
            });
        };
        if text.contains(BEGIN) {
            (FileForm::Email, email_payloads(text))
        } else {
            (FileForm::Sms, vec![sms_payload(text)])
        }
    };
    let mut parsed = ParsedFile {
        form,
        chunks: Vec::new(),
        rejected: Vec::new(),
    };
    for payload in found {
        match payload.and_then(|bytes| Chunk::from_bytes(&bytes)) {
            Ok(chunk) => parsed.chunks.push(chunk),
            Err(error) => parsed.rejected.push(error),
        }
    }
    if parsed.chunks.is_empty() {
        // Report the first problem: for one-chunk forms it is the only one.
        return Err(parsed
            .rejected
            .into_iter()
            .next()
            .unwrap_or(ChunkError::NoQrCode));
    }
    Ok(parsed)
}

fn base64url_decode(text: &str) -> Result<Vec<u8>, ChunkError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|error| ChunkError::Text {
            reason: error.to_string(),
        })
}

fn sms_payload(text: &str) -> Result<Vec<u8>, ChunkError> {
    const NOT_SMS: ChunkError = ChunkError::NotAChunk {
        what: "text that is neither a base64url chunk nor has a BEGIN GAVAH CHUNK line",
    };
    // Phones may break a long text into lines, but never put spaces inside it.
    let mut compact = String::with_capacity(text.len());
    for line in text.trim().lines() {
        let line = line.trim();
        if !line
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(NOT_SMS);
        }
        compact.push_str(line);
    }
    // Version 1 chunks are over 16 bytes and start with 0x1?, which base64url
    // writes as a first character from 'E' to 'H'; other text is not a chunk.
    if compact.len() < 23 || !compact.starts_with(['E', 'F', 'G', 'H']) {
        return Err(NOT_SMS);
    }
    base64url_decode(&compact)
}

fn email_block(bytes: &[u8]) -> String {
    let encoded = URL_SAFE_NO_PAD.encode(bytes);
    let mut text = String::with_capacity(encoded.len() + encoded.len() / EMAIL_COLUMNS + 64);
    text.push_str(BEGIN);
    text.push('\n');
    for line in encoded.as_bytes().chunks(EMAIL_COLUMNS) {
        // base64url output is ASCII, so every 76-byte slice is whole characters.
        text.extend(line.iter().map(|&b| char::from(b)));
        text.push('\n');
    }
    text.push_str(END);
    text.push('\n');
    text
}

/// The payloads of every BEGIN/END block in `text`, lines cleaned of what mail
/// clients add: quote marks, indentation, CR, trailing spaces, and `=` soft
/// line breaks (base64url has no `=`, so one at a line's end is never data).
fn email_payloads(text: &str) -> Vec<Result<Vec<u8>, ChunkError>> {
    let mut found = Vec::new();
    let mut block: Option<String> = None;
    for line in text.lines() {
        let line = line
            .trim_start_matches(|c: char| c == '>' || c.is_whitespace())
            .trim_end();
        if line.contains(BEGIN) {
            if block.is_some() {
                found.push(Err(ChunkError::UnterminatedBlock));
            }
            block = Some(String::new());
        } else if line.contains(END) {
            if let Some(body) = block.take() {
                found.push(base64url_decode(&body));
            }
        } else if let Some(body) = block.as_mut() {
            let line = line.strip_suffix('=').unwrap_or(line);
            body.extend(line.chars().filter(|c| !c.is_whitespace()));
        }
    }
    if block.is_some() {
        found.push(Err(ChunkError::UnterminatedBlock));
    }
    found
}

/// A QR code of `bytes` in byte mode, as a greyscale PNG.
fn qr_png(bytes: &[u8]) -> Result<Vec<u8>, ChunkError> {
    use image::ImageEncoder as _;
    let code = qr_code(bytes)?;
    let modules = code.width() as u32;
    let colors = code.to_colors();
    let side = (modules + 2 * QR_QUIET_MODULES) * QR_MODULE_PIXELS;
    let mut pixels = vec![255u8; (side as usize) * (side as usize)];
    for (at, color) in colors.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (mx, my) = (at as u32 % modules, at as u32 / modules);
        let (x0, y0) = (
            (mx + QR_QUIET_MODULES) * QR_MODULE_PIXELS,
            (my + QR_QUIET_MODULES) * QR_MODULE_PIXELS,
        );
        for y in y0..y0 + QR_MODULE_PIXELS {
            let row = (y * side) as usize;
            pixels[row + x0 as usize..row + (x0 + QR_MODULE_PIXELS) as usize].fill(0);
        }
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&pixels, side, side, image::ExtendedColorType::L8)
        .map_err(|error| ChunkError::QrEncode {
            len: bytes.len(),
            reason: error.to_string(),
        })?;
    Ok(png)
}

/// The smallest QR code holding `bytes` in one byte-mode segment, at level M
/// when that fits (15% damage), else at level L (7%).
pub(crate) fn qr_code(bytes: &[u8]) -> Result<qrcode::QrCode, ChunkError> {
    use qrcode::{EcLevel, Version, bits::Bits};
    let mut last_error = None;
    for level in [EcLevel::M, EcLevel::L] {
        for version in 1..=40 {
            let mut bits = Bits::new(Version::Normal(version));
            let fits = bits
                .push_byte_data(bytes)
                .and_then(|()| bits.push_terminator(level));
            match fits {
                Ok(()) => {
                    return qrcode::QrCode::with_bits(bits, level).map_err(|error| {
                        ChunkError::QrEncode {
                            len: bytes.len(),
                            reason: error.to_string(),
                        }
                    });
                }
                Err(error) => last_error = Some(error),
            }
        }
    }
    Err(ChunkError::QrEncode {
        len: bytes.len(),
        reason: last_error.map_or_else(String::new, |error| error.to_string()),
    })
}

/// The contents of every QR code found in a PNG or JPEG image.
fn qr_payloads(bytes: &[u8]) -> Result<Vec<Result<Vec<u8>, ChunkError>>, ChunkError> {
    let image_error = |reason: String| ChunkError::Image { reason };
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|error| image_error(error.to_string()))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_IMAGE_ALLOC);
    reader.limits(limits);
    let picture = reader
        .decode()
        .map_err(|error| image_error(error.to_string()))?
        .into_luma8();
    // A clean PNG of ours decodes as it is; a photo with uneven light or
    // sensor noise often needs our own smoothing and local thresholding first
    // (rqrr's thresholding is tuned for clean images).
    // Both passes run, so a photo of several codes yields every code either finds.
    let mut codes = scan_for_codes(&picture);
    for code in scan_for_codes(&binarize(&picture)) {
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    if codes.is_empty() {
        return Err(ChunkError::NoQrCode);
    }
    Ok(codes.into_iter().map(Ok).collect())
}

/// The contents of every QR code rqrr finds and decodes in `picture`.
fn scan_for_codes(picture: &image::GrayImage) -> Vec<Vec<u8>> {
    // rqrr has panicked on odd pictures in past releases; a photo from the
    // field must never bring the program down, so a panic there is taken as
    // "no code found" (the workspace builds with unwinding, never abort).
    let scan = std::panic::catch_unwind(|| {
        let (width, height) = (picture.width() as usize, picture.height() as usize);
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
            picture.get_pixel(x as u32, y as u32).0[0]
        });
        prepared
            .detect_grids()
            .into_iter()
            .filter_map(|grid| {
                let mut out = Vec::new();
                grid.decode_to(&mut out).ok().map(|_| out)
            })
            .collect::<Vec<_>>()
    });
    scan.unwrap_or_default()
}

/// Black and white by local mean: a pixel is dark when it is darker than 90%
/// of the mean of a window around it an eighth of the picture wide, after a
/// 3 × 3 blur against sensor noise. No image crate offers adaptive
/// thresholding without pulling in a large image-processing library, and it
/// is a few lines over an integral image.
fn binarize(picture: &image::GrayImage) -> image::GrayImage {
    let (width, height) = (picture.width() as usize, picture.height() as usize);
    if width == 0 || height == 0 {
        return picture.clone();
    }
    let pixels = picture.as_raw();
    // integral[(y + 1) * (width + 1) + x + 1] = sum of pixels[..=y][..=x].
    let stride = width + 1;
    let mut integral = vec![0u64; stride * (height + 1)];
    for y in 0..height {
        let mut row = 0u64;
        for x in 0..width {
            row += u64::from(pixels[y * width + x]);
            integral[(y + 1) * stride + x + 1] = integral[y * stride + x + 1] + row;
        }
    }
    let mean = |x: usize, y: usize, radius: usize| -> u64 {
        let (x0, y0) = (x.saturating_sub(radius), y.saturating_sub(radius));
        let (x1, y1) = ((x + radius + 1).min(width), (y + radius + 1).min(height));
        let sum = integral[y1 * stride + x1] + integral[y0 * stride + x0]
            - integral[y0 * stride + x1]
            - integral[y1 * stride + x0];
        sum / ((x1 - x0) * (y1 - y0)) as u64
    };
    let window = (width.min(height) / 16).max(7);
    image::GrayImage::from_fn(picture.width(), picture.height(), |x, y| {
        let (x, y) = (x as usize, y as usize);
        let smooth = mean(x, y, 1);
        let local = mean(x, y, window);
        image::Luma([if smooth * 10 < local * 9 { 0 } else { 255 }])
    })
}
