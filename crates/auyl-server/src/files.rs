//! Files the server makes and sends as downloads.

use crate::error::{ApiError, ApiResult};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::path::Path;

/// `bytes` as a download named `name`.
pub(crate) fn attachment(bytes: Vec<u8>, mime: &'static str, name: &str) -> Response {
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// The file `write` makes at a path named `name` (the io crate's writers take paths and pick
/// the format by extension), made in a temporary folder off the async threads, as a download.
pub(crate) async fn made_file(
    name: String,
    mime: &'static str,
    write: impl FnOnce(&Path) -> Result<(), String> + Send + 'static,
) -> ApiResult<Response> {
    let file = name.clone();
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let path = dir.path().join(&file);
        write(&path)?;
        std::fs::read(&path).map_err(|e| e.to_string())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok(attachment(bytes, mime, &name))
}
