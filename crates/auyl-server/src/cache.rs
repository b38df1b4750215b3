//! Read responses made once per state of their data. The map layer and the dashboard are read far
//! more often than the registry, the works or the plans change, and building them (loading
//! thousands of rows, running the forecast) costs tens of milliseconds; serving stored bytes costs
//! microseconds. So a response is kept as JSON bytes, gzip-compressed once, under a key (endpoint,
//! the caller's scope, the query) and the version of the data it was made from (the registry's
//! last import, the audit head, the latest plan). A new version makes the next request build it
//! again; concurrent requests for the same key and version build it once and share it.
//! Clients revalidate with `If-None-Match` and get `304 Not Modified`.
//!
//! The versions themselves are read at most once per [`VERSION_TTL`] ([`Versions`]): every write
//! through this server forgets them at once, a write by another process (the cli, a second
//! server on the same PostgreSQL) is seen within that time.

use crate::error::{ApiError, ApiResult};
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::future::Future;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// Responses kept; beyond this the least recently used is dropped.
const MAX_ENTRIES: usize = 256;
/// Bodies below this size go uncompressed (gzip would not pay for its header).
const MIN_GZIP_BYTES: usize = 1024;

/// One response as sent.
struct Entry {
    etag: HeaderValue,
    json: Bytes,
    gzip: Option<Bytes>,
}

impl Entry {
    fn new(value: &impl Serialize) -> ApiResult<Entry> {
        let json = serde_json::to_vec(value).map_err(ApiError::internal)?;
        let digest = Sha256::digest(&json);
        let etag = HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..12])))
            .map_err(ApiError::internal)?;
        let gzip = if json.len() >= MIN_GZIP_BYTES {
            let mut enc = flate2::write::GzEncoder::new(
                Vec::with_capacity(json.len() / 4),
                flate2::Compression::new(6),
            );
            enc.write_all(&json).map_err(ApiError::internal)?;
            Some(Bytes::from(enc.finish().map_err(ApiError::internal)?))
        } else {
            None
        };
        Ok(Entry {
            etag,
            json: Bytes::from(json),
            gzip,
        })
    }

    fn respond(&self, request: &HeaderMap) -> Response {
        let mut headers = HeaderMap::new();
        headers.insert(header::ETAG, self.etag.clone());
        // Private: the bodies depend on who asks. no-cache: revalidate every time (a 304 is cheap).
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
        headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        if if_none_match(request, &self.etag) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        match &self.gzip {
            Some(gz) if accepts_gzip(request) => {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                (headers, gz.clone()).into_response()
            }
            _ => (headers, self.json.clone()).into_response(),
        }
    }
}

/// Whether `If-None-Match` names this entity tag (or `*`).
fn if_none_match(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let Ok(want) = etag.to_str() else {
        return false;
    };
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == want || t == "*")
}

/// Whether `Accept-Encoding` allows gzip (and does not refuse it with `q=0`).
fn accepts_gzip(request: &HeaderMap) -> bool {
    request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or("");
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

/// The slot of one key: the version it holds and the response, made at most once.
struct Slot {
    version: String,
    last_used: u64,
    cell: Arc<OnceCell<Arc<Entry>>>,
}

/// How long a version read from the database is taken as current.
pub(crate) const VERSION_TTL: Duration = Duration::from_secs(1);

/// Data versions recently read, by name (`registry`, `tracking`). Reading one is a database round
/// trip per request, which at 100 concurrent dashboard clients was most of a cached response's
/// cost. Writes through this server move the generation, which voids every version read before.
#[derive(Default)]
pub(crate) struct Versions {
    generation: AtomicU64,
    memo: Mutex<HashMap<&'static str, (String, Instant, u64)>>,
}

impl Versions {
    /// The version `name`, from memory when read under this generation within [`VERSION_TTL`],
    /// else from `read`.
    pub(crate) async fn get<F, Fut>(&self, name: &'static str, read: F) -> ApiResult<String>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = ApiResult<String>>,
    {
        let generation = self.generation.load(Ordering::Acquire);
        if let Some((v, at, g)) = self
            .memo
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            && *g == generation
            && at.elapsed() < VERSION_TTL
        {
            return Ok(v.clone());
        }
        let v = read().await?;
        let mut memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
        // A write that ended while this read ran may have moved the data after the read: keep
        // the value only if no write ended meanwhile.
        if self.generation.load(Ordering::Acquire) == generation {
            memo.insert(name, (v.clone(), Instant::now(), generation));
        }
        Ok(v)
    }

    /// A write went through this server: versions read before may be stale.
    pub(crate) fn wrote(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

/// Responses by key, each valid for one version of its data.
#[derive(Default)]
pub(crate) struct ResponseCache {
    inner: Mutex<(HashMap<String, Slot>, u64)>,
}

impl ResponseCache {
    /// The response under `key` for data at `version`: the stored one, or the JSON of `make`
    /// (built once however many requests ask at the same time), answered to the request's
    /// `If-None-Match` and `Accept-Encoding`.
    pub(crate) async fn json<T, F, Fut>(
        &self,
        key: String,
        version: String,
        request: &HeaderMap,
        make: F,
    ) -> ApiResult<Response>
    where
        T: Serialize + Send + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = ApiResult<T>>,
    {
        let cell = self.slot(key, version);
        let entry = cell
            .get_or_try_init(|| async {
                let value = make().await?;
                let entry = tokio::task::spawn_blocking(move || Entry::new(&value))
                    .await
                    .map_err(ApiError::internal)??;
                Ok::<_, ApiError>(Arc::new(entry))
            })
            .await?;
        Ok(entry.respond(request))
    }

    /// The cell for `key` at `version`, replacing one of an older version.
    fn slot(&self, key: String, version: String) -> Arc<OnceCell<Arc<Entry>>> {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (slots, tick) = &mut *guard;
        *tick += 1;
        let now = *tick;
        if let Some(s) = slots.get_mut(&key)
            && s.version == version
        {
            s.last_used = now;
            return s.cell.clone();
        }
        if slots.len() >= MAX_ENTRIES && !slots.contains_key(&key) {
            let oldest = slots
                .iter()
                .min_by_key(|(_, s)| s.last_used)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                slots.remove(&k);
            }
        }
        let cell = Arc::new(OnceCell::new());
        slots.insert(
            key,
            Slot {
                version,
                last_used: now,
                cell: cell.clone(),
            },
        );
        cell
    }

    /// Number of responses held (tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner.lock().map(|g| g.0.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    async fn body(r: Response) -> Vec<u8> {
        axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec()
    }

    #[tokio::test]
    async fn builds_once_per_version_and_again_when_the_data_moves() {
        let cache = ResponseCache::default();
        let built = AtomicUsize::new(0);
        let make = |n: u32| {
            built.fetch_add(1, Ordering::SeqCst);
            async move { Ok(serde_json::json!({ "n": n })) }
        };
        let none = HeaderMap::new();
        for _ in 0..3 {
            let r = cache
                .json("k".into(), "v1".into(), &none, || make(1))
                .await
                .unwrap();
            assert_eq!(body(r).await, br#"{"n":1}"#);
        }
        assert_eq!(built.load(Ordering::SeqCst), 1);
        let r = cache
            .json("k".into(), "v2".into(), &none, || make(2))
            .await
            .unwrap();
        assert_eq!(body(r).await, br#"{"n":2}"#);
        assert_eq!(built.load(Ordering::SeqCst), 2);
        assert_eq!(
            cache.len(),
            1,
            "the old version is replaced, not kept beside"
        );
    }

    #[tokio::test]
    async fn concurrent_requests_build_once() {
        let cache = Arc::new(ResponseCache::default());
        let built = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (cache, built) = (cache.clone(), built.clone());
                tokio::spawn(async move {
                    cache
                        .json("k".into(), "v".into(), &HeaderMap::new(), || async {
                            built.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                            Ok(vec![1u8; 10])
                        })
                        .await
                        .unwrap()
                        .status()
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), StatusCode::OK);
        }
        assert_eq!(built.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failed_build_is_not_kept() {
        let cache = ResponseCache::default();
        let none = HeaderMap::new();
        let e = cache
            .json("k".into(), "v".into(), &none, || async {
                Err::<u8, _>(ApiError::invalid("no"))
            })
            .await
            .unwrap_err();
        assert_eq!(e.code, "invalid_field");
        let r = cache
            .json("k".into(), "v".into(), &none, || async { Ok(7) })
            .await
            .unwrap();
        assert_eq!(body(r).await, b"7");
    }

    #[tokio::test]
    async fn gzip_when_accepted_and_304_when_unchanged() {
        let cache = ResponseCache::default();
        let big: Vec<String> = (0..500).map(|i| format!("settlement {i}")).collect();
        let make = || async { Ok(big.clone()) };
        let plain = cache
            .json("k".into(), "v".into(), &HeaderMap::new(), make)
            .await
            .unwrap();
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        let etag = plain.headers()[header::ETAG].to_str().unwrap().to_string();
        let json = body(plain).await;

        let gz = cache
            .json(
                "k".into(),
                "v".into(),
                &headers(&[(header::ACCEPT_ENCODING, "br, gzip;q=0.8")]),
                make,
            )
            .await
            .unwrap();
        assert_eq!(gz.headers()[header::CONTENT_ENCODING], "gzip");
        let packed = body(gz).await;
        assert!(packed.len() < json.len() / 2);
        let mut unpacked = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&packed[..]),
            &mut unpacked,
        )
        .unwrap();
        assert_eq!(unpacked, json);

        let refused = cache
            .json(
                "k".into(),
                "v".into(),
                &headers(&[(header::ACCEPT_ENCODING, "gzip;q=0")]),
                make,
            )
            .await
            .unwrap();
        assert!(refused.headers().get(header::CONTENT_ENCODING).is_none());

        let again = cache
            .json(
                "k".into(),
                "v".into(),
                &headers(&[(header::IF_NONE_MATCH, &etag)]),
                make,
            )
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert!(body(again).await.is_empty());
        let other = cache
            .json(
                "k".into(),
                "v".into(),
                &headers(&[(header::IF_NONE_MATCH, "\"stale\"")]),
                make,
            )
            .await
            .unwrap();
        assert_eq!(other.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn keeps_at_most_max_entries_dropping_the_least_recently_used() {
        let cache = ResponseCache::default();
        let none = HeaderMap::new();
        for i in 0..MAX_ENTRIES + 10 {
            cache
                .json(format!("k{i}"), "v".into(), &none, || async { Ok(1) })
                .await
                .unwrap();
            // k0 stays in use throughout.
            cache
                .json("k0".into(), "v".into(), &none, || async { Ok(1) })
                .await
                .unwrap();
        }
        assert_eq!(cache.len(), MAX_ENTRIES);
        assert!(cache.inner.lock().unwrap().0.contains_key("k0"));
    }

    #[tokio::test]
    async fn a_version_is_read_once_until_a_write_or_its_time_is_up() {
        let versions = Versions::default();
        let reads = AtomicUsize::new(0);
        let read = |v: &'static str| {
            reads.fetch_add(1, Ordering::SeqCst);
            async move { Ok::<_, ApiError>(v.to_string()) }
        };
        assert_eq!(versions.get("t", || read("a")).await.unwrap(), "a");
        assert_eq!(versions.get("t", || read("b")).await.unwrap(), "a");
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        // Another name is read on its own.
        assert_eq!(versions.get("r", || read("x")).await.unwrap(), "x");
        versions.wrote();
        assert_eq!(versions.get("t", || read("b")).await.unwrap(), "b");
        // A write ending during a read: that read is answered but not kept.
        let v = versions
            .get("u", || {
                versions.wrote();
                read("c")
            })
            .await
            .unwrap();
        assert_eq!(v, "c");
        assert_eq!(versions.get("u", || read("d")).await.unwrap(), "d");
        assert_eq!(versions.get("u", || read("e")).await.unwrap(), "d");
        tokio::time::sleep(VERSION_TTL + Duration::from_millis(50)).await;
        assert_eq!(versions.get("u", || read("f")).await.unwrap(), "f");
        assert_eq!(reads.load(Ordering::SeqCst), 6);
    }
}
