//! 大培训 evidence: photos and scans of a session (the signed sheet, the room, certificates),
//! taken for what the bytes are, never for the name or type the browser claims.
//!
//! Only JPEG, PNG and PDF. HEIC, the iPhone camera's own format, is not accepted: office PCs
//! and most browsers cannot show it, so phones must send JPEG (iOS converts when a page asks
//! for it). The rules, in order:
//! - empty or over [`MAX_EVIDENCE_BYTES`]: refused;
//! - a file name extension other than the three kinds' (`.exe`, `.html`, `.gif`), or a declared
//!   type other than theirs (`application/octet-stream` and none are ignored): `UnsupportedType`,
//!   as the name then says the file is something we do not take; no extension is fine;
//! - the content decides the kind; content of none of them is `UnsupportedType`;
//! - an extension or declared type naming another kind than the content is `Disguised`;
//! - the right start but a cut-short or malformed file is `Damaged`.

labelled_enum! {
    /// What an evidence file holds, decided by its content.
    EvidenceKind {
        Jpeg = "jpeg", "JPEG 图片";
        Png = "png", "PNG 图片";
        Pdf = "pdf", "PDF 文件";
    }
}

impl EvidenceKind {
    /// The type to serve the file with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Pdf => "application/pdf",
        }
    }

    /// File name extensions, lower case (compare case-insensitively); the first is the usual one.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Self::Jpeg => &["jpg", "jpeg"],
            Self::Png => &["png"],
            Self::Pdf => &["pdf"],
        }
    }

    fn from_extension(ext: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.extensions().iter().any(|e| e.eq_ignore_ascii_case(ext)))
    }

    /// Also the names older browsers send (image/jpg, image/pjpeg, image/x-png).
    fn from_content_type(media_type: &str) -> Option<Self> {
        match media_type {
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(Self::Jpeg),
            "image/png" | "image/x-png" => Some(Self::Png),
            "application/pdf" | "application/x-pdf" => Some(Self::Pdf),
            _ => None,
        }
    }
}

/// The largest evidence file.
pub const MAX_EVIDENCE_BYTES: usize = 10 * 1024 * 1024;
/// The most evidence files a session may have.
pub const MAX_EVIDENCE_FILES: usize = 10;
/// How much may follow a JPEG's last end-of-image marker: some phone cameras pad the file.
pub const JPEG_TRAILER_BYTES: usize = 4 * 1024;
/// How near the end a PDF's `%%EOF` must be: writers may add a little after it.
pub const PDF_EOF_WINDOW: usize = 2 * 1024;

const PNG_SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// Why an evidence file was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is too large (at most {max} bytes)")]
    TooLarge { max: usize },
    #[error("only JPEG, PNG and PDF files are accepted")]
    UnsupportedType,
    #[error("the {} file is damaged or cut short", .0.as_str())]
    Damaged(EvidenceKind),
    #[error("the file is a {} but its name or declared type says otherwise", found.as_str())]
    Disguised { found: EvidenceKind },
}

impl EvidenceError {
    /// The refusal in words a worker reads.
    pub fn message_zh(&self) -> String {
        match self {
            Self::Empty => "文件为空".into(),
            Self::TooLarge { max } => format!("文件过大（最大 {} MB）", max / (1024 * 1024)),
            Self::UnsupportedType => "只接受 JPEG、PNG 图片和 PDF 文件（苹果手机请选择 JPEG 格式）".into(),
            Self::Damaged(kind) => format!("{}已损坏或不完整，请重新拍摄或扫描", kind.label_zh()),
            Self::Disguised { found } => format!("文件内容是{}，与文件名或类型不符", found.label_zh()),
        }
    }
}

/// Checks an uploaded evidence file by the rules in the module doc; returns what it holds.
pub fn check(file_name: &str, declared_type: Option<&str>, bytes: &[u8]) -> Result<EvidenceKind, EvidenceError> {
    if bytes.is_empty() {
        return Err(EvidenceError::Empty);
    }
    if bytes.len() > MAX_EVIDENCE_BYTES {
        return Err(EvidenceError::TooLarge { max: MAX_EVIDENCE_BYTES });
    }
    let named = match extension(file_name) {
        Some(ext) => Some(EvidenceKind::from_extension(ext).ok_or(EvidenceError::UnsupportedType)?),
        None => None,
    };
    let media_type = declared_type.and_then(|t| t.split(';').next()).map(|t| t.trim().to_ascii_lowercase());
    let declared = match media_type.as_deref() {
        None | Some("" | "application/octet-stream" | "binary/octet-stream") => None,
        Some(t) => Some(EvidenceKind::from_content_type(t).ok_or(EvidenceError::UnsupportedType)?),
    };
    let found = sniff(bytes).ok_or(EvidenceError::UnsupportedType)?;
    if named.is_some_and(|k| k != found) || declared.is_some_and(|k| k != found) {
        return Err(EvidenceError::Disguised { found });
    }
    let intact = match found {
        EvidenceKind::Jpeg => jpeg_intact(bytes),
        EvidenceKind::Png => png_intact(bytes),
        EvidenceKind::Pdf => pdf_intact(bytes),
    };
    if intact {
        Ok(found)
    } else {
        Err(EvidenceError::Damaged(found))
    }
}

/// The file name without any folders a browser or an old Windows client left on it.
fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// The extension after the last dot of the base name, if any.
fn extension(file_name: &str) -> Option<&str> {
    let (_, ext) = base_name(file_name).trim().rsplit_once('.')?;
    Some(ext.trim()).filter(|e| !e.is_empty())
}

/// The kind by its first bytes.
fn sniff(bytes: &[u8]) -> Option<EvidenceKind> {
    if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some(EvidenceKind::Jpeg)
    } else if bytes.starts_with(PNG_SIGNATURE) {
        Some(EvidenceKind::Png)
    } else if bytes.starts_with(b"%PDF-1.") || bytes.starts_with(b"%PDF-2.") {
        // At the very start: a reader would skip leading junk, but a file that starts as
        // something else (HTML, say) is that too.
        Some(EvidenceKind::Pdf)
    } else {
        None
    }
}

fn tail(bytes: &[u8], len: usize) -> &[u8] {
    &bytes[bytes.len().saturating_sub(len)..]
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// An end-of-image marker (FF D9) after the start-of-image, at most `JPEG_TRAILER_BYTES`
/// before the end. Scan data cannot hold FF D9 (a data FF is followed by 00), so a cut-short
/// photo has none near its end.
fn jpeg_intact(bytes: &[u8]) -> bool {
    bytes.len() >= 6 && contains(tail(&bytes[3..], JPEG_TRAILER_BYTES + 2), b"\xFF\xD9")
}

fn be32(bytes: &[u8], at: usize) -> Option<usize> {
    let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
    usize::try_from(u32::from_be_bytes(b)).ok()
}

/// The chunks after the signature: IHDR (13 bytes, width and height not 0) first, then each
/// chunk whole, the last an empty IEND ending the file.
fn png_intact(bytes: &[u8]) -> bool {
    let header_ok = be32(bytes, 8) == Some(13)
        && bytes.get(12..16) == Some(b"IHDR")
        && be32(bytes, 16).is_some_and(|w| w > 0)
        && be32(bytes, 20).is_some_and(|h| h > 0);
    if !header_ok {
        return false;
    }
    let mut at = PNG_SIGNATURE.len();
    // Each chunk is its length, type, data and CRC; every step moves at least 12 bytes.
    while let Some(len) = be32(bytes, at) {
        let Some(end) = len.checked_add(at + 12).filter(|e| *e <= bytes.len()) else { return false };
        if bytes.get(at + 4..at + 8) == Some(b"IEND") {
            return len == 0 && end == bytes.len();
        }
        at = end;
    }
    false
}

/// `%%EOF` within the last `PDF_EOF_WINDOW` bytes.
fn pdf_intact(bytes: &[u8]) -> bool {
    contains(tail(bytes.get(b"%PDF-1.".len()..).unwrap_or_default(), PDF_EOF_WINDOW), b"%%EOF")
}

/// The most characters [`safe_file_name`] keeps.
pub const MAX_FILE_NAME_CHARS: usize = 100;

/// A file name safe to show and to send back in Content-Disposition: the base name only (no
/// folders), without control characters, bidirectional overrides (which make `gpj.exe` look
/// like `exe.jpg`) or double quotes, trimmed, at most 100 characters with the extension kept.
/// When no name is left, `evidence.{ext}`, or `evidence` without an extension either.
pub fn safe_file_name(name: &str) -> String {
    let bidi = |c: char| matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    let cleaned: String = base_name(name).chars().filter(|c| !c.is_control() && !bidi(*c) && *c != '"').collect();
    let cleaned = cleaned.trim();
    let cleaned = if cleaned.chars().all(|c| c == '.') { "" } else { cleaned };
    // An extension is short; a long tail after a dot is part of the name.
    let (stem, ext) = match cleaned.rsplit_once('.') {
        Some((stem, ext)) if !ext.is_empty() && ext.chars().count() <= 10 => (stem.trim(), Some(ext)),
        _ => (cleaned, None),
    };
    let ext_chars = ext.map_or(0, |e| e.chars().count() + 1);
    let stem: String = stem.chars().take(MAX_FILE_NAME_CHARS - ext_chars).collect();
    let stem = match stem.trim_end() {
        "" => "evidence",
        s => s,
    };
    match ext {
        Some(ext) => format!("{stem}.{ext}"),
        None => stem.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for b in data {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc32(&[kind.as_slice(), data].concat()).to_be_bytes());
        out
    }

    /// A real 1×1 grey PNG: IHDR, an IDAT of one stored deflate block, IEND.
    fn png() -> Vec<u8> {
        let ihdr = [0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0];
        // zlib header, a final stored block of 2 bytes (filter 0, pixel 0), Adler-32.
        let idat = [0x78, 0x01, 0x01, 0x02, 0x00, 0xFD, 0xFF, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01];
        [PNG_SIGNATURE.as_slice(), &chunk(b"IHDR", &ihdr), &chunk(b"IDAT", &idat), &chunk(b"IEND", &[])].concat()
    }

    /// Start of image, a JFIF APP0, a start of scan, some scan data, end of image.
    fn jpeg() -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        out.extend_from_slice(b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00");
        out.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
        out.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0x56, 0xFF, 0xD9]);
        out
    }

    fn pdf() -> Vec<u8> {
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
    }

    #[test]
    fn valid_files_by_content() {
        assert_eq!(check("签到.JPG", Some("image/jpeg"), &jpeg()), Ok(EvidenceKind::Jpeg));
        assert_eq!(check("photo.jpeg", None, &jpeg()), Ok(EvidenceKind::Jpeg));
        assert_eq!(check("现场", Some("application/octet-stream"), &png()), Ok(EvidenceKind::Png));
        assert_eq!(
            check("C:\\scans\\签到表.pdf", Some("application/pdf; charset=binary"), &pdf()),
            Ok(EvidenceKind::Pdf)
        );
        assert_eq!(
            check("scan.pdf", None, &[b"%PDF-2.0\n".as_slice(), &[0; 3000], b"%%EOF"].concat()),
            Ok(EvidenceKind::Pdf)
        );
        let padded = [jpeg(), vec![0; JPEG_TRAILER_BYTES]].concat();
        assert_eq!(check("a.jpg", None, &padded), Ok(EvidenceKind::Jpeg), "phone padding after FF D9");
        assert_eq!(EvidenceKind::Png.content_type(), "image/png");
        assert_eq!(EvidenceKind::parse("PDF 文件"), Ok(EvidenceKind::Pdf));
    }

    #[test]
    fn size_limits() {
        assert_eq!(check("a.jpg", None, &[]), Err(EvidenceError::Empty));
        let big = vec![0xFF; MAX_EVIDENCE_BYTES + 1];
        assert_eq!(check("a.jpg", None, &big), Err(EvidenceError::TooLarge { max: MAX_EVIDENCE_BYTES }));
        let mut at_limit = jpeg();
        at_limit.splice(3..3, std::iter::repeat_n(0, MAX_EVIDENCE_BYTES - at_limit.len()));
        assert_eq!(at_limit.len(), MAX_EVIDENCE_BYTES);
        assert_eq!(check("a.jpg", None, &at_limit), Ok(EvidenceKind::Jpeg));
    }

    #[test]
    fn other_kinds_are_unsupported() {
        let unsupported = Err(EvidenceError::UnsupportedType);
        assert_eq!(check("setup.jpg", None, b"MZ\x90\x00\x03\x00\x00\x00"), unsupported, "an EXE renamed");
        assert_eq!(check("a.zip", None, b"PK\x03\x04\x14\x00"), unsupported);
        assert_eq!(check("a.pdf", None, b"<html><body>%PDF-1.4</body></html>%%EOF"), unsupported);
        assert_eq!(check("a.svg", None, b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), unsupported);
        assert_eq!(check("a", None, b"GIF89a\x01\x00\x01\x00"), unsupported);
        assert_eq!(check("IMG_0001", None, b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"), unsupported, "HEIC");
        // A name or declared type of a kind we do not take, whatever the content.
        assert_eq!(check("a.exe", None, &png()), unsupported);
        assert_eq!(check("a.html", None, &jpeg()), unsupported);
        assert_eq!(check("a.png", Some("text/html"), &png()), unsupported);
    }

    #[test]
    fn cut_short_files_are_damaged() {
        let jpeg = jpeg();
        assert_eq!(check("a.jpg", None, &jpeg[..jpeg.len() - 2]), Err(EvidenceError::Damaged(EvidenceKind::Jpeg)));
        assert_eq!(check("a.jpg", None, b"\xFF\xD8\xFF"), Err(EvidenceError::Damaged(EvidenceKind::Jpeg)));
        let padded = [jpeg, vec![0; JPEG_TRAILER_BYTES + 1]].concat();
        assert_eq!(check("a.jpg", None, &padded), Err(EvidenceError::Damaged(EvidenceKind::Jpeg)));

        let png = png();
        let damaged = Err(EvidenceError::Damaged(EvidenceKind::Png));
        assert_eq!(check("a.png", None, &png[..png.len() - 12]), damaged, "no IEND");
        assert_eq!(check("a.png", None, &png[..png.len() - 1]), damaged, "IEND cut");
        assert_eq!(check("a.png", None, &png[..40]), damaged, "IDAT cut");
        assert_eq!(check("a.png", None, &png[..8]), damaged, "signature only");
        assert_eq!(check("a.png", None, &[png.as_slice(), b"junk"].concat()), damaged, "after IEND");
        let mut zero_width = png.clone();
        zero_width[16..20].copy_from_slice(&[0; 4]);
        assert_eq!(check("a.png", None, &zero_width), damaged);
        let mut huge_chunk = png.clone();
        huge_chunk[33..37].copy_from_slice(&[0xFF; 4]);
        assert_eq!(check("a.png", None, &huge_chunk), damaged, "a chunk longer than the file");

        let pdf = pdf();
        assert_eq!(check("a.pdf", None, &pdf[..pdf.len() - 7]), Err(EvidenceError::Damaged(EvidenceKind::Pdf)));
        let early_eof = [pdf.as_slice(), &[b' '; PDF_EOF_WINDOW]].concat();
        assert_eq!(check("a.pdf", None, &early_eof), Err(EvidenceError::Damaged(EvidenceKind::Pdf)));
        assert_eq!(check("a.pdf", None, b"%PDF-1."), Err(EvidenceError::Damaged(EvidenceKind::Pdf)));
    }

    #[test]
    fn names_and_types_must_agree_with_content() {
        let png_found = Err(EvidenceError::Disguised { found: EvidenceKind::Png });
        assert_eq!(check("photo.jpg", None, &png()), png_found);
        assert_eq!(check("photo", Some("image/jpeg"), &png()), png_found);
        assert_eq!(check("photo.png", Some("image/jpeg"), &png()), png_found);
        assert_eq!(
            check("scan.pdf", Some("image/jpeg"), &pdf()),
            Err(EvidenceError::Disguised { found: EvidenceKind::Pdf })
        );
        assert_eq!(check("a.pdf", None, &jpeg()), Err(EvidenceError::Disguised { found: EvidenceKind::Jpeg }));
        assert_eq!(check("a.PNG", Some("IMAGE/X-PNG"), &png()), Ok(EvidenceKind::Png));
        assert_eq!(check("a.jpg", Some("image/pjpeg"), &jpeg()), Ok(EvidenceKind::Jpeg));
        assert_eq!(check("a.jpg", Some(""), &jpeg()), Ok(EvidenceKind::Jpeg));
    }

    #[test]
    fn errors_in_words() {
        assert_eq!(EvidenceError::TooLarge { max: MAX_EVIDENCE_BYTES }.message_zh(), "文件过大（最大 10 MB）");
        assert_eq!(EvidenceError::Damaged(EvidenceKind::Jpeg).to_string(), "the jpeg file is damaged or cut short");
        assert!(EvidenceError::Disguised { found: EvidenceKind::Pdf }.message_zh().contains("PDF 文件"));
    }

    #[test]
    fn safe_file_names() {
        assert_eq!(safe_file_name("C:\\Users\\张三\\Desktop\\签到表.jpg"), "签到表.jpg");
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("  现场\u{0}照片\n.png  "), "现场照片.png");
        assert_eq!(safe_file_name("report\u{202E}gpj.exe"), "reportgpj.exe");
        assert_eq!(safe_file_name("say \"hi\".pdf"), "say hi.pdf");
        assert_eq!(safe_file_name("/uploads/.jpg"), "evidence.jpg");
        assert_eq!(safe_file_name("dir/"), "evidence");
        assert_eq!(safe_file_name(".."), "evidence");
        assert_eq!(safe_file_name(""), "evidence");
        let long = format!("{}.jpeg", "安".repeat(150));
        let kept = safe_file_name(&long);
        assert_eq!(kept.chars().count(), MAX_FILE_NAME_CHARS);
        assert!(kept.ends_with("安.jpeg"));
        let no_ext = "安".repeat(150);
        assert_eq!(safe_file_name(&no_ext).chars().count(), MAX_FILE_NAME_CHARS);
    }
}
