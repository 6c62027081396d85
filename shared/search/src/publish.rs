//! The index on S3. tantivy's segment files never change once written, so each is uploaded once,
//! under `<prefix>files/<name>`; a version is the small pointer object `<prefix>current.json`,
//! written last, that names its files and carries the index's `meta.json`. A reader that read a
//! pointer finds every file it names (files leave S3 only two publications after they leave the
//! index: see [`Pointer::retired`]), so it never opens half an index.
//!
//! One writer at a time: the indexer runs with reserved concurrency 1, and the pointer is written
//! only if it is still the one the writer started from (`If-Match`, or `If-None-Match: *` for
//! the first), so a second writer gets [`SearchError::Superseded`] instead of losing changes.

use crate::SearchError;
use aws_sdk_s3::primitives::ByteStream;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const POINTER: &str = "current.json";
const META: &str = "meta.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pointer {
    /// 1 for the first publication, then one more each time.
    pub version: u64,
    /// The analyzers' language (ISO 639-1): readers analyse queries as the writer did.
    pub language: String,
    /// The index's `meta.json`.
    pub meta: String,
    /// The segment files of this version.
    pub files: Vec<String>,
    /// Files of the previous version that this one no longer uses: deleted from S3 by the next
    /// publication, so a reader of the previous pointer still finds them for one more round.
    pub retired: Vec<String>,
    pub docs: u64,
    /// Unix milliseconds.
    pub published_at: u64,
}

/// A pointer as read, with the ETag a conditional write or read needs.
#[derive(Debug, Clone)]
pub struct Published {
    pub pointer: Pointer,
    pub etag: String,
}

#[derive(Debug, Clone)]
pub struct IndexStore {
    s3: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
}

fn storage<E: std::fmt::Debug>(what: &str, e: E) -> SearchError {
    SearchError::Storage(format!("{what}: {e:?}"))
}

/// The files a committed index in `dir` consists of (its segments, deletes included).
pub fn index_files(index: &tantivy::Index, dir: &Path) -> Result<Vec<String>, SearchError> {
    let mut files = BTreeSet::new();
    use tantivy::index::SegmentComponent as C;
    for meta in index.searchable_segment_metas()? {
        let mut components = vec![
            C::Postings,
            C::Positions,
            C::Terms,
            C::Store,
            C::FastFields,
            C::FieldNorms,
        ];
        if meta.delete_opstamp().is_some() {
            components.push(C::Delete);
        }
        for c in components {
            let path = meta.relative_path(c);
            if dir.join(&path).exists() {
                files.insert(path.to_string_lossy().into_owned());
            }
        }
    }
    Ok(files.into_iter().collect())
}

impl IndexStore {
    pub fn new(s3: aws_sdk_s3::Client, bucket: String, prefix: String) -> Self {
        Self { s3, bucket, prefix }
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn file_key(&self, name: &str) -> String {
        format!("{}files/{name}", self.prefix)
    }

    /// The current pointer, or `None` before the first publication.
    pub async fn current(&self) -> Result<Option<Published>, SearchError> {
        self.read_pointer(None).await
    }

    /// The current pointer if its ETag is no longer `etag` (a conditional GET: an unchanged
    /// pointer costs a 304 and no body).
    pub async fn newer_than(&self, etag: &str) -> Result<Option<Published>, SearchError> {
        self.read_pointer(Some(etag)).await
    }

    async fn read_pointer(&self, etag: Option<&str>) -> Result<Option<Published>, SearchError> {
        let out = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(self.key(POINTER))
            .set_if_none_match(etag.map(str::to_string))
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                if status == Some(304) {
                    return Ok(None);
                }
                if e.as_service_error().is_some_and(|s| s.is_no_such_key()) || status == Some(404) {
                    return Ok(None);
                }
                return Err(storage("reading the index pointer", e));
            }
        };
        let etag = out.e_tag().unwrap_or_default().to_string();
        let body = out
            .body
            .collect()
            .await
            .map_err(|e| storage("reading the index pointer", e))?
            .into_bytes();
        let pointer: Pointer = serde_json::from_slice(&body)
            .map_err(|e| SearchError::Corrupt(format!("index pointer: {e}")))?;
        Ok(Some(Published { pointer, etag }))
    }

    /// Makes `dir` hold the index `pointer` names: its files (fetched into `files_dir` unless
    /// already there, then hard-linked into `dir`) and its meta.json.
    pub async fn download(
        &self,
        pointer: &Pointer,
        files_dir: &Path,
        dir: &Path,
    ) -> Result<(), SearchError> {
        std::fs::create_dir_all(files_dir)?;
        std::fs::create_dir_all(dir)?;
        // The missing files at once: a cold start waits for the slowest GET, not their sum.
        futures_util::future::try_join_all(
            pointer
                .files
                .iter()
                .filter(|name| !files_dir.join(name).exists())
                .map(|name| self.fetch(name, files_dir)),
        )
        .await?;
        for name in &pointer.files {
            let linked = dir.join(name);
            if !linked.exists() && files_dir != dir {
                std::fs::hard_link(files_dir.join(name), &linked)?;
            }
        }
        std::fs::write(dir.join(META), &pointer.meta)?;
        Ok(())
    }

    /// One index file from S3 into `files_dir`.
    async fn fetch(&self, name: &str, files_dir: &Path) -> Result<(), SearchError> {
        let out = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(self.file_key(name))
            .send()
            .await
            .map_err(|e| storage(&format!("reading index file {name}"), e))?;
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| storage(&format!("reading index file {name}"), e))?
            .into_bytes();
        // Written whole under a temporary name, then renamed: a crash never leaves a truncated
        // file that a later run would take for the real one.
        let partial = files_dir.join(format!("{name}.partial"));
        std::fs::write(&partial, &bytes)?;
        std::fs::rename(&partial, files_dir.join(name))?;
        Ok(())
    }

    /// Publishes the committed index in `dir` as the version after `previous` (`None`: the first):
    /// uploads the files S3 does not have yet, then writes the pointer, if `previous` is still
    /// current; then deletes what `previous` retired.
    pub async fn publish(
        &self,
        index: &tantivy::Index,
        dir: &Path,
        language: &str,
        previous: Option<&Published>,
        now_ms: u64,
    ) -> Result<Published, SearchError> {
        let files = index_files(index, dir)?;
        let had: BTreeSet<&str> = previous
            .map(|p| p.pointer.files.iter().map(String::as_str).collect())
            .unwrap_or_default();
        for name in files.iter().filter(|f| !had.contains(f.as_str())) {
            let body = ByteStream::from_path(dir.join(name))
                .await
                .map_err(|e| storage(&format!("opening index file {name}"), e))?;
            self.s3
                .put_object()
                .bucket(&self.bucket)
                .key(self.file_key(name))
                .body(body)
                .send()
                .await
                .map_err(|e| storage(&format!("uploading index file {name}"), e))?;
        }
        let now: BTreeSet<&str> = files.iter().map(String::as_str).collect();
        let pointer = Pointer {
            version: previous.map_or(1, |p| p.pointer.version + 1),
            language: language.to_string(),
            meta: std::fs::read_to_string(dir.join(META))?,
            retired: had.difference(&now).map(|s| s.to_string()).collect(),
            files: files.clone(),
            docs: index.reader()?.searcher().num_docs(),
            published_at: now_ms,
        };
        let body = serde_json::to_vec(&pointer)
            .map_err(|e| SearchError::Corrupt(format!("index pointer: {e}")))?;
        let put = self
            .s3
            .put_object()
            .bucket(&self.bucket)
            .key(self.key(POINTER))
            .content_type("application/json")
            .body(ByteStream::from(body));
        let put = match previous {
            Some(p) => put.if_match(&p.etag),
            None => put.if_none_match("*"),
        };
        let etag = match put.send().await {
            Ok(out) => out.e_tag().unwrap_or_default().to_string(),
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                if matches!(status, Some(412 | 409)) {
                    return Err(SearchError::Superseded);
                }
                return Err(storage("writing the index pointer", e));
            }
        };
        if let Some(p) = previous {
            for name in p
                .pointer
                .retired
                .iter()
                .filter(|f| !now.contains(f.as_str()))
            {
                // Best effort: a file left behind costs storage, never correctness.
                if let Err(e) = self
                    .s3
                    .delete_object()
                    .bucket(&self.bucket)
                    .key(self.file_key(name))
                    .send()
                    .await
                {
                    tracing::warn!(file = %name, error = ?e, "could not delete a retired index file");
                }
            }
        }
        Ok(Published { pointer, etag })
    }
}

/// Where a reader keeps a version: `<root>/v<version>`, beside the shared `<root>/files`.
pub fn version_dir(root: &Path, version: u64) -> PathBuf {
    root.join(format!("v{version}"))
}

pub fn files_dir(root: &Path) -> PathBuf {
    root.join("files")
}

/// Removes the reader's other versions and the cached files `keep` does not name.
pub fn prune(root: &Path, keep: &Pointer) -> Result<(), SearchError> {
    let current = version_dir(root, keep.version);
    for entry in std::fs::read_dir(root)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with('v') && path != current {
            std::fs::remove_dir_all(&path)?;
        }
    }
    let names: BTreeSet<&str> = keep.files.iter().map(String::as_str).collect();
    for entry in std::fs::read_dir(files_dir(root))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !names.contains(name) {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}
