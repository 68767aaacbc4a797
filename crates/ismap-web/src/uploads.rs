//! The one place that decides whether an uploaded file is accepted: size
//! limit, an allowed kind, and content that matches the declared kind (the
//! bytes are sniffed, so a renamed executable is not taken for a PDF).

use axum::extract::Multipart;

use crate::error::Failure;

/// Kinds of evidence people actually exchange in an audit.
const ALLOWED: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/plain",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/zip",
];

/// The content type a file is stored under, or why it is refused.
pub fn check(
    field: &str,
    file_name: &str,
    declared: &str,
    bytes: &[u8],
    max_bytes: usize,
) -> Result<String, Failure> {
    let invalid = |message: String| Failure::Invalid {
        field: field.to_owned(),
        message,
    };
    if bytes.is_empty() {
        return Err(invalid(format!("{file_name}: the file is empty")));
    }
    if bytes.len() > max_bytes {
        return Err(invalid(format!(
            "{file_name}: {} bytes is more than the limit of {} bytes",
            bytes.len(),
            max_bytes
        )));
    }
    let declared = declared
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let sniffed = infer::get(bytes).map(|kind| kind.mime_type().to_owned());
    let actual = match sniffed {
        Some(kind) => kind,
        // No signature: plain text is fine, anything else is not.
        None if std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0) => {
            if declared == "text/csv" || file_name.to_ascii_lowercase().ends_with(".csv") {
                "text/csv".to_owned()
            } else {
                "text/plain".to_owned()
            }
        }
        None => {
            return Err(invalid(format!(
                "{file_name}: the content is not a kind of file accepted here"
            )));
        }
    };
    if !ALLOWED.contains(&actual.as_str()) {
        return Err(invalid(format!(
            "{file_name}: {actual} files are not accepted (PDF, PNG, JPEG, text, CSV, Office documents, ZIP)"
        )));
    }
    let generic = declared.is_empty() || declared == "application/octet-stream";
    let both_text = declared.starts_with("text/") && actual.starts_with("text/");
    // Office files are ZIP archives; some browsers declare them as such.
    let office_as_zip =
        declared == "application/zip" && actual.starts_with("application/vnd.openxml");
    if !(generic || both_text || office_as_zip || declared == actual) {
        return Err(invalid(format!(
            "{file_name}: declared as {declared} but the content is {actual}"
        )));
    }
    Ok(actual)
}

/// The key that seals stored files, or why files cannot be stored here.
pub fn master_key(state: &crate::AppState) -> Result<&ismap_store::vault::MasterKey, Failure> {
    state.config.master_key.as_ref().ok_or_else(|| {
        Failure::Conflict("file storage is not configured on this server (master key)".into())
    })
}

/// An OSCAL document (JSON or XML text) sent to be read, not stored: the
/// size limit, and UTF-8 text that starts as JSON or XML does. What it says
/// is the OSCAL reader's business.
pub fn check_oscal(
    field: &str,
    file_name: &str,
    bytes: &[u8],
    max_bytes: usize,
) -> Result<(), Failure> {
    let invalid = |message: String| Failure::Invalid {
        field: field.to_owned(),
        message,
    };
    if bytes.is_empty() {
        return Err(invalid(format!("{file_name}: the file is empty")));
    }
    if bytes.len() > max_bytes {
        return Err(invalid(format!(
            "{file_name}: {} bytes is more than the limit of {} bytes",
            bytes.len(),
            max_bytes
        )));
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = text.iter().find(|b| !b.is_ascii_whitespace());
    if std::str::from_utf8(text).is_err() || !matches!(first, Some(b'{' | b'<')) {
        return Err(invalid(format!(
            "{file_name}: not an OSCAL document (JSON or XML text)"
        )));
    }
    Ok(())
}

/// The longest file name kept, in characters (most file systems allow 255
/// bytes; a name is for people, not for storage).
pub const MAX_FILE_NAME_CHARS: usize = 120;

/// Characters that change how text around them is shown without being seen:
/// bidi embeddings, overrides and isolates (a right-to-left override turns
/// `report\u{202E}fdp.exe` into "reportexe.pdf" on screen), marks,
/// zero-width characters, line/paragraph separators and the byte order mark.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// A sent file name as it is stored and shown: invisible formatting
/// characters and C0/C1 controls dropped, path separators replaced, spaces
/// collapsed, at most [`MAX_FILE_NAME_CHARS`] characters (the extension is
/// kept when the stem is cut), never a bare `.`/`..`. Only what a browser
/// sends is cleaned; an empty name stays empty (no file was chosen).
pub fn clean_file_name(sent: &str) -> String {
    let mut name = String::with_capacity(sent.len());
    for c in sent.chars() {
        if c.is_control() || is_invisible_format(c) {
            // Tabs and newlines separate words; other controls mean nothing.
            if c.is_whitespace() && !name.ends_with(' ') {
                name.push(' ');
            }
        } else if matches!(c, '/' | '\\') {
            name.push('_');
        } else if c.is_whitespace() {
            if !name.ends_with(' ') {
                name.push(' ');
            }
        } else {
            name.push(c);
        }
    }
    let name = name.trim();
    if name.chars().all(|c| c == '.') {
        return if sent.is_empty() {
            String::new()
        } else {
            "file".into()
        };
    }
    let count = name.chars().count();
    if count <= MAX_FILE_NAME_CHARS {
        return name.to_owned();
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| !e.is_empty() && e.chars().count() <= 10 && !e.contains(' '));
    match extension {
        Some(ext) => {
            let keep = MAX_FILE_NAME_CHARS - ext.chars().count() - 1;
            let stem: String = name.chars().take(keep).collect();
            format!("{}.{ext}", stem.trim_end())
        }
        None => name
            .chars()
            .take(MAX_FILE_NAME_CHARS)
            .collect::<String>()
            .trim_end()
            .to_owned(),
    }
}

/// A file a form sent: (file name, declared content type, bytes).
pub type SentFile = (String, String, Vec<u8>);

/// The text and file fields of a multipart form.
pub struct Upload {
    pub fields: std::collections::HashMap<String, String>,
    /// File fields by name; a field left empty in the form is absent.
    pub files: std::collections::HashMap<String, SentFile>,
}

impl Upload {
    pub fn text(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", |v| v.as_str())
    }

    /// The file of the field named `file`, the usual single upload.
    pub fn file(&self) -> Option<&SentFile> {
        self.files.get("file")
    }
}

/// File fields are named by what they carry; any other field is text.
const FILE_FIELDS: &[&str] = &[
    "file",
    "management_letter",
    "annex",
    "attachment",
    // An internal audit report (pages/internal_audits.rs).
    "report",
];

/// Reads a multipart form, refusing a file over `max_bytes` as soon as it
/// grows past the limit.
pub async fn read(mut multipart: Multipart, max_bytes: usize) -> Result<Upload, Failure> {
    let bad = |e: axum::extract::multipart::MultipartError| Failure::Invalid {
        field: "form".into(),
        message: e.body_text(),
    };
    let mut upload = Upload {
        fields: Default::default(),
        files: Default::default(),
    };
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_owned();
        if FILE_FIELDS.contains(&name.as_str()) {
            // Cleaned once here, so every stored file and every message naming it is safe to show.
            let file_name = clean_file_name(field.file_name().unwrap_or(""));
            let declared = field.content_type().unwrap_or("").to_owned();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(bad)? {
                if bytes.len() + chunk.len() > max_bytes {
                    return Err(Failure::Invalid {
                        field: "file".into(),
                        message: format!(
                            "{file_name}: the file is larger than the limit of {max_bytes} bytes"
                        ),
                    });
                }
                bytes.extend_from_slice(&chunk);
            }
            if !file_name.is_empty() || !bytes.is_empty() {
                upload.files.insert(name, (file_name, declared, bytes));
            }
        } else {
            let value = field.text().await.map_err(bad)?;
            upload.fields.insert(name, value);
        }
    }
    Ok(upload)
}

/// A stored file as a download: its type, its name kept to safe characters
/// in the header (the name is the uploader's), never cached by the way.
pub fn attachment(
    file: &ismap_store::files::StoredFile,
    bytes: Vec<u8>,
) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let safe: String = file
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, file.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 1024;

    #[test]
    fn accepts_what_it_sniffs_and_refuses_mismatches() {
        let pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n";
        assert_eq!(
            check("file", "a.pdf", "application/pdf", pdf, MAX).unwrap(),
            "application/pdf"
        );
        assert_eq!(
            check("file", "a.pdf", "", pdf, MAX).unwrap(),
            "application/pdf"
        );
        assert!(
            check("file", "a.png", "image/png", pdf, MAX).is_err(),
            "declared PNG, content PDF"
        );
        assert_eq!(
            check(
                "file",
                "notes.txt",
                "text/plain",
                "監査メモ".as_bytes(),
                MAX
            )
            .unwrap(),
            "text/plain"
        );
        assert_eq!(
            check("file", "s.csv", "text/csv", b"a,b\n1,2\n", MAX).unwrap(),
            "text/csv"
        );
    }

    #[test]
    fn refuses_empty_oversized_and_unknown_content() {
        assert!(check("file", "a.txt", "text/plain", b"", MAX).is_err());
        let big = vec![b'a'; MAX + 1];
        let error = check("file", "a.txt", "text/plain", &big, MAX).unwrap_err();
        assert!(matches!(error, Failure::Invalid { ref message, .. } if message.contains("limit")));
        let elf = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00";
        assert!(check("file", "a.pdf", "application/pdf", elf, MAX).is_err());
        assert!(check("file", "blob", "", &[0u8, 159, 146, 150, 0, 1], MAX).is_err());
    }

    #[test]
    fn file_names_lose_bidi_controls_controls_and_separators() {
        assert_eq!(clean_file_name("report\u{202E}fdp.exe"), "reportfdp.exe");
        assert_eq!(
            clean_file_name(
                "\u{2066}a\u{2069}\u{200E}b\u{200F}\u{061C}c\u{202A}\u{202B}\u{202C}\u{202D}.pdf"
            ),
            "abc.pdf"
        );
        // U+0085 is a line break (NEL): a space, like a newline.
        assert_eq!(
            clean_file_name("a\u{0}b\u{7}c\u{7F}d\u{85}e\u{9B}f.txt"),
            "abcd ef.txt"
        );
        assert_eq!(clean_file_name("line\none\r\ttwo.csv"), "line one two.csv");
        assert_eq!(clean_file_name("../../etc/passwd"), ".._.._etc_passwd");
        assert_eq!(
            clean_file_name("C:\\Users\\me\\監査 メモ.pdf"),
            "C:_Users_me_監査 メモ.pdf"
        );
        assert_eq!(clean_file_name(".."), "file");
        assert_eq!(clean_file_name("\u{202E}"), "file");
        assert_eq!(clean_file_name(""), "");
        assert_eq!(
            clean_file_name("  アクセスレビュー記録 2025.xlsx "),
            "アクセスレビュー記録 2025.xlsx"
        );
    }

    #[test]
    fn long_file_names_are_cut_keeping_the_extension() {
        let long = format!("{}.pdf", "報".repeat(500));
        let cleaned = clean_file_name(&long);
        assert_eq!(cleaned.chars().count(), MAX_FILE_NAME_CHARS);
        assert!(cleaned.ends_with("報.pdf"));
        let no_extension = "x".repeat(500);
        assert_eq!(clean_file_name(&no_extension).len(), MAX_FILE_NAME_CHARS);
        let exact = format!("{}.txt", "a".repeat(MAX_FILE_NAME_CHARS - 4));
        assert_eq!(clean_file_name(&exact), exact);
    }

    #[test]
    fn oscal_documents_are_json_or_xml_text() {
        assert!(check_oscal("file", "c.json", b" {\"catalog\": {}}", MAX).is_ok());
        assert!(check_oscal("file", "c.xml", b"\xEF\xBB\xBF<?xml version=\"1.0\"?>", MAX).is_ok());
        assert!(check_oscal("file", "a.pdf", b"%PDF-1.7", MAX).is_err());
        assert!(check_oscal("file", "c.json", b"", MAX).is_err());
        assert!(check_oscal("file", "c.json", &vec![b'{'; MAX + 1], MAX).is_err());
    }
}
