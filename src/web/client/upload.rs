//! Upload: every file checked before a byte is sent, then one multipart request (or the URL
//! form). A plain-text file is read and offered as the prompt instead of being uploaded.
//!
//! Progress: in a browser (no `fetch` option given), the request goes through `XMLHttpRequest`,
//! whose upload events give byte progress, shared out to the files in send order. `fetch`
//! reports none (request-body streams would need HTTP/2 and `duplex: "half"`), so elsewhere
//! each file reports its start (0 bytes) and its finish (all bytes).

use std::rc::Rc;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, File, FormData};

use super::{Call, Client};
use crate::core::api::{self, ApiConfig, Auth, Endpoint, UploadedFile};
use crate::core::error::NemoError;
use crate::core::upload::{self, FileKind, UploadProgress};
use crate::web::cancel::{Cancel, Raced};

/// Where an upload's progress goes, file by file.
pub(crate) type OnUpload<'a> = &'a dyn Fn(&UploadProgress);

/// What to upload.
pub(crate) enum UploadInput {
    /// Files or blobs.
    Files(Vec<Blob>),
    /// URLs the service fetches itself.
    Urls(Vec<String>),
}

/// One result: a file the service now has, or a text file offered as the prompt.
pub(crate) struct Uploaded {
    /// The server's description (for a text prompt, only the file name).
    pub file: UploadedFile,
    /// `video`, `image`, `audio` or `text`.
    pub kind: &'static str,
    /// The text of a plain-text file.
    pub prompt: Option<String>,
}

fn name_of(blob: &Blob) -> String {
    blob.dyn_ref::<File>()
        .map(File::name)
        .unwrap_or_else(|| "blob".to_owned())
}

fn progress(file: &str, loaded: f64, total: f64, done: bool) -> UploadProgress {
    UploadProgress {
        file: file.to_owned(),
        loaded,
        total,
        done,
    }
}

impl Client {
    /// Uploads files or URLs.
    pub async fn upload(
        self: &Rc<Self>,
        input: UploadInput,
        on_progress: OnUpload<'_>,
        cancel: &Cancel,
    ) -> Result<Vec<Uploaded>, NemoError> {
        match input {
            UploadInput::Urls(urls) => {
                upload::check_urls(&urls)?;
                let build = |api: &ApiConfig, auth: Auth<'_>, sid: Option<&str>| {
                    api.request(
                        &Endpoint::UploadUrls {
                            session_id: sid.unwrap_or_default(),
                            urls: &urls,
                        },
                        auth,
                    )
                };
                let d = self.call_json(Call::new(self, &build), cancel).await?;
                let files = api::parse_upload(&d.data)?;
                Ok(files
                    .into_iter()
                    .map(|file| Uploaded {
                        kind: "video",
                        file,
                        prompt: None,
                    })
                    .collect())
            }
            UploadInput::Files(blobs) => {
                if blobs.is_empty() {
                    return Err(NemoError::refused("NO_FILES", "no files to upload")
                        .with_user_message("Choose a file first."));
                }
                // Every file is checked before anything is sent.
                let mut checked = Vec::new();
                for b in &blobs {
                    let name = name_of(b);
                    let kind = upload::check_file(&name, b.size() as u64, Some(&b.type_()))?;
                    checked.push((b, name, kind));
                }
                let mut out = Vec::new();
                let form = FormData::new()
                    .map_err(|_| NemoError::refused("NO_FORMDATA", "FormData is missing"))?;
                let mut media = Vec::new();
                for (b, name, kind) in checked {
                    if kind == FileKind::TextPrompt {
                        let text = match cancel.race(&b.text(), None).await {
                            Raced::Value(v) => v.as_string().unwrap_or_default(),
                            Raced::Aborted => return Err(NemoError::aborted()),
                            _ => {
                                return Err(NemoError::refused(
                                    "UNREADABLE",
                                    format!("could not read {name}"),
                                ));
                            }
                        };
                        let file = UploadedFile {
                            filename: name,
                            ..Default::default()
                        };
                        out.push(Uploaded {
                            file,
                            kind: kind.as_str(),
                            prompt: Some(text),
                        });
                    } else {
                        form.append_with_blob_and_filename("files", b, &name)
                            .map_err(|_| {
                                NemoError::refused("NO_FORMDATA", "could not build the upload")
                            })?;
                        media.push((name, b.size(), kind));
                    }
                }
                if media.is_empty() {
                    return Ok(out);
                }
                for (name, size, _) in &media {
                    on_progress(&progress(name, 0.0, *size, false));
                }
                let build = |api: &ApiConfig, auth: Auth<'_>, sid: Option<&str>| {
                    api.request(
                        &Endpoint::UploadFiles {
                            session_id: sid.unwrap_or_default(),
                        },
                        auth,
                    )
                };
                let body: JsValue = form.into();
                // Bytes sent so far, shared out to the files in the order they are sent.
                let by_file = |loaded: f64, _total: f64| {
                    let mut offset = 0.0;
                    for (name, size, _) in &media {
                        let mine = (loaded - offset).max(0.0).min(*size);
                        if mine > 0.0 && mine < *size {
                            on_progress(&progress(name, mine, *size, false));
                        }
                        offset += size;
                    }
                };
                let call = Call {
                    body: Some(&body),
                    ms: None,
                    progress: Some(&by_file),
                    ..Call::new(self, &build)
                };
                let d = self.call_json(call, cancel).await?;
                let files = api::parse_upload(&d.data)?;
                for (name, size, _) in &media {
                    on_progress(&progress(name, *size, *size, true));
                }
                for (i, file) in files.into_iter().enumerate() {
                    let kind = media.get(i).map_or("video", |m| m.2.as_str());
                    out.push(Uploaded {
                        file,
                        kind,
                        prompt: None,
                    });
                }
                Ok(out)
            }
        }
    }
}
