//! Product search: a tantivy index of the active catalog, built by one writer (the
//! `search-indexer` function) and published to S3, opened read-only from `/tmp` by the `search`
//! and `search-suggest` functions.
//!
//! - [`schema`]: fields and analyzers; [`doc`]: what of a product is indexed, and when a change
//!   matters; [`query`]: search with filters, disjunctive facets, sorting and highlights;
//!   [`suggest`]: completions; [`publish`]: the index on S3 (immutable segment files, then a
//!   pointer written last, so a reader never opens half an index).
//!
//! Kept out of `ferrocart-shared` so that only the search functions link tantivy.

pub mod doc;
pub mod live;
pub mod publish;
pub mod query;
pub mod schema;
pub mod suggest;

use ferrocart::ids::ProductId;
use std::path::Path;
pub use tantivy::tokenizer::Language;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Term};

pub use doc::{Change, SearchDoc};
pub use query::{Filters, Results, SearchRequest, Sort};

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("index files: {0}")]
    Io(#[from] std::io::Error),
    #[error("index storage (S3): {0}")]
    Storage(String),
    #[error("index contents: {0}")]
    Corrupt(String),
    #[error("the index was published by another writer meanwhile")]
    Superseded,
}

impl From<tantivy::directory::error::OpenDirectoryError> for SearchError {
    fn from(e: tantivy::directory::error::OpenDirectoryError) -> Self {
        Self::Index(e.into())
    }
}

/// The writer's memory budget: tantivy's minimum for one indexing thread.
const WRITER_MEMORY: usize = 15_000_000;

/// An opened index with its reader.
pub struct Catalog {
    pub index: Index,
    pub reader: IndexReader,
    pub fields: schema::Fields,
    pub language: Language,
}

impl Catalog {
    fn from_index(index: Index, language: Language) -> Result<Self, SearchError> {
        schema::register(&index, language);
        let (_, fields) = schema::schema();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            index,
            reader,
            fields,
            language,
        })
    }

    /// An empty index in memory (tests, benchmarks, and readers before the first publication).
    pub fn in_ram(language: Language) -> Result<Self, SearchError> {
        Self::from_index(Index::create_in_ram(schema::schema().0), language)
    }

    /// A new, empty index in `dir` (which must be empty).
    pub fn create(dir: &Path, language: Language) -> Result<Self, SearchError> {
        std::fs::create_dir_all(dir)?;
        Self::from_index(Index::create_in_dir(dir, schema::schema().0)?, language)
    }

    /// The index in `dir`, read-only as far as this process is concerned.
    pub fn open(dir: &Path, language: Language) -> Result<Self, SearchError> {
        Self::from_index(Index::open_in_dir(dir)?, language)
    }

    pub fn writer(&self) -> Result<IndexWriter, SearchError> {
        Ok(self.index.writer_with_num_threads(1, WRITER_MEMORY)?)
    }

    /// Applies changes in order (the last change to a product wins), commits, and waits for
    /// merges, so the directory then holds exactly what the new meta names. Re-applying the same
    /// changes yields the same documents.
    pub fn apply(&mut self, changes: &[(ProductId, Change)]) -> Result<usize, SearchError> {
        let mut writer = self.writer()?;
        let mut applied = 0;
        for (id, change) in changes {
            let term = Term::from_field_text(self.fields.id, &id.to_string());
            match change {
                Change::Nothing => continue,
                Change::Remove => {
                    writer.delete_term(term);
                }
                Change::Upsert(doc) => {
                    writer.delete_term(term);
                    writer.add_document(doc.to_document(&self.fields))?;
                }
            }
            applied += 1;
        }
        if applied > 0 {
            writer.commit()?;
        }
        writer.wait_merging_threads()?;
        self.reader.reload()?;
        Ok(applied)
    }

    /// Adds every document to this (new) index in one commit: the full rebuild.
    pub fn fill(&mut self, docs: &[SearchDoc]) -> Result<(), SearchError> {
        let mut writer = self.writer()?;
        for d in docs {
            writer.add_document(d.to_document(&self.fields))?;
        }
        writer.commit()?;
        writer.wait_merging_threads()?;
        self.reader.reload()?;
        Ok(())
    }

    /// How many products the index holds.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the product is in the index.
    pub fn contains(&self, id: &ProductId) -> Result<bool, SearchError> {
        let searcher = self.reader.searcher();
        let term = Term::from_field_text(self.fields.id, &id.to_string());
        let q = tantivy::query::TermQuery::new(term, tantivy::schema::IndexRecordOption::Basic);
        Ok(searcher.search(&q, &tantivy::collector::Count)? > 0)
    }
}

#[cfg(test)]
mod tests;
