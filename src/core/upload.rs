//! What may be uploaded, decided before a byte is sent.
//!
//! Owns: the seed's accepted formats and the 500 MB limit ([`check_file`]), the plain-text
//! case (a `.txt`/`.md` file is offered as the prompt for text-to-video, not uploaded), and
//! the URL form ([`check_urls`]: http(s) only, a bounded count).
//!
//! Does not own: reading files or sending them (the shell), the server's own checks (4001 and
//! 4002 still come back as typed errors through the error table, `error/table.rs`).
//!
//! 500 MB is 500,000,000 bytes, as the seed says it: a file between that and 500 MiB would be
//! sent whole only for the server to refuse it (4002), so it is refused here, before a byte.

use super::error::{ErrorKind, NemoError};

/// Extensions the service accepts (the seed's list).
pub const ACCEPTED_EXTENSIONS: &[&str] = &[
    "mp4", "mov", "avi", "webm", "mkv", "jpg", "png", "gif", "webp", "mp3", "wav", "m4a", "aac",
];
/// Extensions read as a text prompt instead of uploaded.
pub const TEXT_EXTENSIONS: &[&str] = &["txt", "md", "markdown"];
/// Largest upload, bytes.
pub const MAX_UPLOAD_BYTES: u64 = 500_000_000;
/// Largest text file taken as a prompt, bytes.
pub const MAX_PROMPT_BYTES: u64 = 64 * 1024;
/// Most URLs in one upload request.
pub const MAX_URLS: usize = 20;

/// What a file is, once accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// Video: upload it.
    Video,
    /// Image: upload it.
    Image,
    /// Audio: upload it.
    Audio,
    /// Plain text: use its content as the prompt.
    TextPrompt,
}

/// What an upload's `onProgress` hears for one file: bytes sent of its size, and whether it
/// is done.
#[derive(Clone, Debug, PartialEq)]
pub struct UploadProgress {
    /// The file's name.
    pub file: String,
    /// Bytes sent.
    pub loaded: f64,
    /// Its size.
    pub total: f64,
    /// The service has it.
    pub done: bool,
}

impl FileKind {
    /// Stable name for JS.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Video => "video",
            FileKind::Image => "image",
            FileKind::Audio => "audio",
            FileKind::TextPrompt => "text",
        }
    }
}

fn kind_of_extension(ext: &str) -> Option<FileKind> {
    Some(match ext {
        "mp4" | "mov" | "avi" | "webm" | "mkv" => FileKind::Video,
        "jpg" | "png" | "gif" | "webp" => FileKind::Image,
        "mp3" | "wav" | "m4a" | "aac" => FileKind::Audio,
        "jpeg" => FileKind::Image,
        e if TEXT_EXTENSIONS.contains(&e) => FileKind::TextPrompt,
        _ => return None,
    })
}

fn kind_of_mime(mime: &str) -> Option<FileKind> {
    let mime = mime
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    Some(match mime.as_str() {
        "video/mp4" | "video/quicktime" | "video/x-msvideo" | "video/webm" | "video/x-matroska" => {
            FileKind::Video
        }
        "image/jpeg" | "image/png" | "image/gif" | "image/webp" => FileKind::Image,
        "audio/mpeg" | "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/mp4" | "audio/x-m4a"
        | "audio/aac" => FileKind::Audio,
        "text/plain" | "text/markdown" => FileKind::TextPrompt,
        _ => return None,
    })
}

/// The lower-case extension of a file name, if it has one.
pub fn extension(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let (stem, ext) = base.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
}

fn formats_sentence() -> String {
    format!("Accepted formats: {}.", ACCEPTED_EXTENSIONS.join(", "))
}

/// Checks one file by name, size and (optional) MIME type. The extension decides; the MIME
/// type is used only when the name has no extension.
pub fn check_file(name: &str, size: u64, mime: Option<&str>) -> Result<FileKind, NemoError> {
    let kind = match extension(name) {
        Some(ext) => kind_of_extension(&ext),
        None => mime.and_then(kind_of_mime),
    };
    let Some(kind) = kind else {
        let shown = extension(name)
            .map(|e| format!(".{e} files are"))
            .unwrap_or_else(|| "This file is".into());
        return Err(NemoError::new(
            ErrorKind::FileType,
            4001,
            false,
            format!("unsupported file type: {name}"),
        )
        .with_user_message(format!("{shown} not supported. {}", formats_sentence())));
    };
    if size == 0 {
        return Err(NemoError::new(
            ErrorKind::FileType,
            "EMPTY_FILE",
            false,
            format!("empty file: {name}"),
        )
        .with_user_message(format!("\"{name}\" is empty.")));
    }
    let limit = if kind == FileKind::TextPrompt {
        MAX_PROMPT_BYTES
    } else {
        MAX_UPLOAD_BYTES
    };
    if size > limit {
        let advice = if kind == FileKind::TextPrompt {
            format!(
                "Text prompts can be {} KB at most; shorter, clearer prompts also work better.",
                limit / 1024
            )
        } else {
            "Files can be 500 MB at most. Try compressing or trimming it.".to_owned()
        };
        return Err(NemoError::new(
            ErrorKind::FileSize,
            4002,
            false,
            format!("file too large: {name} ({size} bytes, limit {limit})"),
        )
        .with_user_message(format!(
            "\"{name}\" is too large ({}). {advice}",
            human_size(size)
        )));
    }
    Ok(kind)
}

/// Checks the URL form of an upload: 1 to [`MAX_URLS`] http(s) URLs without credentials.
pub fn check_urls(urls: &[String]) -> Result<(), NemoError> {
    if urls.is_empty() || urls.len() > MAX_URLS {
        return Err(NemoError::refused(
            "BAD_URLS",
            format!("between 1 and {MAX_URLS} URLs, got {}", urls.len()),
        )
        .with_user_message(format!("Give between 1 and {MAX_URLS} links to upload.")));
    }
    for url in urls {
        let lower = url.trim().to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"));
        let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
        let ok = matches!(host, Some(h) if !h.is_empty() && !h.contains('@') && !url.chars().any(char::is_whitespace));
        if !ok {
            return Err(
                NemoError::refused("BAD_URL", format!("not an http(s) URL: {url}"))
                    .with_user_message("Links must start with http:// or https://."),
            );
        }
    }
    Ok(())
}

fn human_size(bytes: u64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    if bytes as f64 >= MB {
        format!("{} MB", super::number::fixed(bytes as f64 / MB, 1))
    } else {
        format!("{} KB", super::number::fixed(bytes as f64 / 1024.0, 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_accepted_format() {
        for ext in ACCEPTED_EXTENSIONS {
            assert!(
                check_file(&format!("clip.{}", ext.to_uppercase()), 10, None).is_ok(),
                "{ext}"
            );
        }
        assert_eq!(check_file("a.mp4", 1, None), Ok(FileKind::Video));
        assert_eq!(check_file("a.png", 1, None), Ok(FileKind::Image));
        assert_eq!(check_file("a.m4a", 1, None), Ok(FileKind::Audio));
    }

    #[test]
    fn refused_types_list_the_formats() {
        for name in ["report.pdf", "doc.docx", "x.exe", "noext", ".mp4"] {
            let e = check_file(name, 10, None).unwrap_err();
            assert_eq!(e.kind, ErrorKind::FileType, "{name}");
            assert!(e.user_message.contains("mp4, mov"), "{name}");
        }
    }

    #[test]
    fn mime_only_without_extension() {
        assert_eq!(
            check_file("blob", 5, Some("video/mp4")),
            Ok(FileKind::Video)
        );
        assert_eq!(
            check_file("capture", 5, Some("image/png; charset=binary")),
            Ok(FileKind::Image)
        );
        assert!(
            check_file("a.pdf", 5, Some("video/mp4")).is_err(),
            "the extension decides"
        );
    }

    #[test]
    fn size_limit_exact() {
        // The seed's 500 MB, in bytes.
        assert!(check_file("a.mp4", 500_000_000, None).is_ok());
        let e = check_file("a.mp4", 500_000_001, None).unwrap_err();
        assert_eq!(
            (e.kind, e.code.to_string().as_str()),
            (ErrorKind::FileSize, "4002")
        );
        assert!(e.user_message.contains("compressing"));
        assert_eq!(
            check_file("a.mp4", 0, None).unwrap_err().kind,
            ErrorKind::FileType
        );
    }

    #[test]
    fn text_is_a_prompt() {
        assert_eq!(
            check_file("script.txt", 300, None),
            Ok(FileKind::TextPrompt)
        );
        assert_eq!(
            check_file("notes", 300, Some("text/plain")),
            Ok(FileKind::TextPrompt)
        );
        assert_eq!(
            check_file("big.txt", MAX_PROMPT_BYTES + 1, None)
                .unwrap_err()
                .kind,
            ErrorKind::FileSize
        );
    }

    #[test]
    fn urls() {
        assert!(check_urls(&["https://cdn.example/a.mp4".into(), "http://x.y/b".into()]).is_ok());
        for bad in [
            "ftp://x/a.mp4",
            "javascript:alert(1)",
            "https://",
            "https://user@host/a",
            "https://a b/c",
            "/local",
        ] {
            assert!(check_urls(&[bad.into()]).is_err(), "{bad}");
        }
        assert!(check_urls(&[]).is_err());
        assert!(check_urls(&vec!["https://a.b/c".to_owned(); MAX_URLS + 1]).is_err());
    }

    #[test]
    fn extensions() {
        assert_eq!(extension("dir.v1/clip.MP4").as_deref(), Some("mp4"));
        assert_eq!(extension("C:\\x\\a.Mov").as_deref(), Some("mov"));
        assert_eq!(extension(".hidden"), None);
        assert_eq!(extension("trailing."), None);
    }
}
