//! A reader's index: the published version, downloaded into `/tmp` on the first request of a
//! sandbox and swapped for a newer one at most every `SEARCH_REFRESH_SECONDS` (a conditional GET
//! of the pointer: a 304 when nothing changed). Before the first publication it is an empty index.

use crate::publish::{self, IndexStore, Published};
use crate::{Catalog, SearchError, schema};
use ferrocart::settings::ConfigError;
use ferrocart::startup::Startup;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One opened version.
pub struct Loaded {
    pub catalog: Catalog,
    /// `None`: nothing has been published yet.
    pub published: Option<Published>,
}

impl Loaded {
    pub fn version(&self) -> u64 {
        self.published.as_ref().map_or(0, |p| p.pointer.version)
    }
}

struct State {
    loaded: Option<Arc<Loaded>>,
    checked: Option<Instant>,
}

pub struct LiveIndex {
    store: IndexStore,
    root: PathBuf,
    refresh: Duration,
    state: tokio::sync::Mutex<State>,
}

impl LiveIndex {
    /// `SEARCH_BUCKET`, `SEARCH_INDEX_PREFIX` (required), `SEARCH_REFRESH_SECONDS` (default 5),
    /// `SEARCH_CACHE_DIR` (default `$TMPDIR/search`, `/tmp/search` in Lambda).
    pub fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self::new(
            IndexStore::new(
                startup.s3(),
                startup.required("SEARCH_BUCKET")?,
                startup.required("SEARCH_INDEX_PREFIX")?,
            ),
            startup
                .settings()
                .get("SEARCH_CACHE_DIR")
                .map_or_else(|| std::env::temp_dir().join("search"), PathBuf::from),
            Duration::from_secs(startup.number("SEARCH_REFRESH_SECONDS", 5)?),
        ))
    }

    pub fn new(store: IndexStore, root: PathBuf, refresh: Duration) -> Self {
        Self {
            store,
            root,
            refresh,
            state: tokio::sync::Mutex::new(State {
                loaded: None,
                checked: None,
            }),
        }
    }

    /// The index to answer this request from. Only the first load's failure is an error; a
    /// failed refresh keeps serving what is loaded (logged), and is tried again next interval.
    pub async fn current(&self) -> Result<Arc<Loaded>, SearchError> {
        let mut state = self.state.lock().await;
        let due = state.checked.is_none_or(|t| t.elapsed() >= self.refresh);
        match (&state.loaded, due) {
            (Some(l), false) => Ok(l.clone()),
            (Some(l), true) => {
                let l = l.clone();
                state.checked = Some(Instant::now());
                let etag = l.published.as_ref().map(|p| p.etag.clone());
                let newer = match &etag {
                    Some(e) => self.store.newer_than(e).await,
                    None => self.store.current().await,
                };
                match newer {
                    Ok(Some(p)) => match self.open(p).await {
                        Ok(fresh) => {
                            let fresh = Arc::new(fresh);
                            state.loaded = Some(fresh.clone());
                            return Ok(fresh);
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "could not open the newer search index")
                        }
                    },
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "could not check for a newer search index")
                    }
                }
                Ok(l)
            }
            (None, _) => {
                let loaded = match self.store.current().await? {
                    Some(p) => self.open(p).await?,
                    None => Loaded {
                        catalog: Catalog::in_ram(crate::Language::English)?,
                        published: None,
                    },
                };
                let loaded = Arc::new(loaded);
                state.loaded = Some(loaded.clone());
                state.checked = Some(Instant::now());
                Ok(loaded)
            }
        }
    }

    async fn open(&self, published: Published) -> Result<Loaded, SearchError> {
        let p = &published.pointer;
        let language = schema::language(&p.language).ok_or_else(|| {
            SearchError::Corrupt(format!("index language {:?} is unknown", p.language))
        })?;
        let dir = publish::version_dir(&self.root, p.version);
        self.store
            .download(p, &publish::files_dir(&self.root), &dir)
            .await?;
        let catalog = Catalog::open(&dir, language)?;
        // Open files stay readable after they are unlinked; only the disk space waits.
        if let Err(e) = publish::prune(&self.root, p) {
            tracing::warn!(error = %e, "could not prune older search index files");
        }
        Ok(Loaded {
            catalog,
            published: Some(published),
        })
    }
}
