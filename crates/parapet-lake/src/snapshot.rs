//! What a query may read: the lake's files as the ledger knew them at one moment.
//!
//! Writers publish a batch in steps (rename the new files into place, delete the files they
//! replace, then close the batch in the ledger), so a directory listing taken mid-way can hold
//! both a compacted file and the small files it replaces, or a restated bill next to the old
//! one. A [`LakeFiles`] snapshot fixes that: in the tables parapet writes, a query sees only the
//! files the ledger has as live, or as being retired by a batch not yet closed (the state before
//! that batch). A listing that lacks a file the snapshot names (a writer deleted it since) fails
//! with "not found", as does reading one; [`crate::LakeSession`] then takes a new snapshot and
//! runs the query again. So a query reads one published state of each table, or says why not.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use datafusion::object_store::path::Path as ObjectPath;
use datafusion::object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};

/// The lake's files a query may read.
#[derive(Clone, Debug, Default)]
pub struct LakeFiles {
    /// Top-level folders whose files the ledger keeps (a file there that is not in `visible` is
    /// hidden); other folders (`accounts`) are read as they are.
    pub managed: HashSet<String>,
    /// Paths relative to the lake root, `/`-separated.
    pub visible: BTreeSet<String>,
}

impl LakeFiles {
    /// The tables whose files go through the ledger: every table of the catalog and the bills.
    pub fn managed_tables() -> HashSet<String> {
        crate::catalog()
            .iter()
            .map(|t| t.name.to_string())
            .chain([crate::cost::TABLE.to_string()])
            .collect()
    }

    /// A snapshot of the ledger's readable files (relative paths) in the managed tables.
    pub fn from_visible(paths: impl IntoIterator<Item = String>) -> LakeFiles {
        LakeFiles {
            managed: LakeFiles::managed_tables(),
            visible: paths.into_iter().collect(),
        }
    }

    fn shows(&self, relative: &str) -> bool {
        let table = relative.split('/').next().unwrap_or_default();
        !self.managed.contains(table) || self.visible.contains(relative)
    }
}

/// Takes a snapshot (reads the ledger); called again when a query lost a race with a writer.
#[derive(Clone)]
pub struct Snapshot(Arc<dyn Fn() -> std::result::Result<LakeFiles, String> + Send + Sync>);

impl Snapshot {
    pub fn new(
        take: impl Fn() -> std::result::Result<LakeFiles, String> + Send + Sync + 'static,
    ) -> Snapshot {
        Snapshot(Arc::new(take))
    }

    pub(crate) fn take(&self) -> std::result::Result<LakeFiles, String> {
        (self.0)()
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Snapshot")
    }
}

/// The local file system as a query sees it under a snapshot: listings leave out what the
/// snapshot hides; everything else is the file system's.
#[derive(Clone)]
pub(crate) struct SnapshotStore {
    inner: Arc<dyn ObjectStore>,
    /// The lake root as an object path (listed locations start with it).
    root: ObjectPath,
    files: Arc<LakeFiles>,
}

impl SnapshotStore {
    pub(crate) fn new(inner: Arc<dyn ObjectStore>, root: ObjectPath, files: LakeFiles) -> SnapshotStore {
        SnapshotStore {
            inner,
            root,
            files: Arc::new(files),
        }
    }

    /// `location` relative to the lake root, if it is under it.
    fn relative(root: &ObjectPath, location: &ObjectPath) -> Option<String> {
        let parts: Vec<String> = location
            .prefix_match(root)?
            .map(|p| p.as_ref().to_string())
            .collect();
        Some(parts.join("/"))
    }

    fn keep(root: &ObjectPath, files: &LakeFiles, location: &ObjectPath) -> bool {
        match SnapshotStore::relative(root, location) {
            Some(relative) => files.shows(&relative),
            None => true,
        }
    }

    /// The snapshot's files under `prefix` (directly under it when `direct`), as object paths;
    /// none when `prefix` is not inside a table the ledger keeps.
    fn expected(
        root: &ObjectPath,
        files: &LakeFiles,
        prefix: Option<&ObjectPath>,
        direct: bool,
    ) -> Vec<ObjectPath> {
        let Some(relative) = prefix.and_then(|p| SnapshotStore::relative(root, p)) else {
            return Vec::new();
        };
        let table = relative.split('/').next().unwrap_or_default();
        if relative.is_empty() || !files.managed.contains(table) {
            return Vec::new();
        }
        let start = format!("{relative}/");
        files
            .visible
            .range(start.clone()..)
            .take_while(|p| p.starts_with(&start))
            .filter(|p| !direct || !p[start.len()..].contains('/'))
            .map(|p| {
                let mut out = root.clone();
                for part in p.split('/') {
                    out = out.join(part);
                }
                out
            })
            .collect()
    }

    /// A listing that lacks a file the snapshot names: a writer removed it since.
    fn gone(location: &ObjectPath) -> datafusion::object_store::Error {
        datafusion::object_store::Error::NotFound {
            path: location.to_string(),
            source: "the ledger's snapshot has this file but it is no longer there".into(),
        }
    }

    /// `listed` filtered to the snapshot, or the first file of `expected` it lacks.
    fn check(&self, listed: Vec<ObjectMeta>, expected: Vec<ObjectPath>) -> Result<Vec<ObjectMeta>> {
        let kept: Vec<ObjectMeta> = listed
            .into_iter()
            .filter(|m| SnapshotStore::keep(&self.root, &self.files, &m.location))
            .collect();
        let present: HashSet<&ObjectPath> = kept.iter().map(|m| &m.location).collect();
        if let Some(missing) = expected.iter().find(|p| !present.contains(p)) {
            return Err(SnapshotStore::gone(missing));
        }
        Ok(kept)
    }
}

impl fmt::Display for SnapshotStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SnapshotStore({})", self.inner)
    }
}

impl fmt::Debug for SnapshotStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SnapshotStore {{ root: {}, visible: {} }}",
            self.root,
            self.files.visible.len()
        )
    }
}

#[async_trait::async_trait]
impl ObjectStore for SnapshotStore {
    async fn put_opts(
        &self,
        location: &ObjectPath,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &ObjectPath,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &ObjectPath, options: GetOptions) -> Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(&self, location: &ObjectPath, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<ObjectPath>>,
    ) -> BoxStream<'static, Result<ObjectPath>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&ObjectPath>) -> BoxStream<'static, Result<ObjectMeta>> {
        let expected = SnapshotStore::expected(&self.root, &self.files, prefix, false);
        let listing = self.inner.list(prefix);
        let this = self.clone();
        futures::stream::once(async move {
            let listed: Vec<ObjectMeta> = listing.try_collect().await?;
            this.check(listed, expected)
        })
        .map(|checked| match checked {
            Ok(metas) => futures::stream::iter(metas.into_iter().map(Ok)).boxed(),
            Err(e) => futures::stream::once(futures::future::ready(Err(e))).boxed(),
        })
        .flatten()
        .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&ObjectPath>) -> Result<ListResult> {
        let mut listed = self.inner.list_with_delimiter(prefix).await?;
        let expected = SnapshotStore::expected(&self.root, &self.files, prefix, true);
        listed.objects = self.check(std::mem::take(&mut listed.objects), expected)?;
        Ok(listed)
    }

    async fn copy_opts(&self, from: &ObjectPath, to: &ObjectPath, options: CopyOptions) -> Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_only_unlisted_files_of_managed_tables() {
        let files = LakeFiles {
            managed: ["cloudtrail".to_string(), "cost".to_string()].into(),
            visible: ["cloudtrail/region=us-east-1/a.parquet".to_string()].into(),
        };
        let root = ObjectPath::from("srv/lake");
        let keep = |p: &str| SnapshotStore::keep(&root, &files, &ObjectPath::from(p));
        assert!(keep("srv/lake/cloudtrail/region=us-east-1/a.parquet"));
        assert!(
            !keep("srv/lake/cloudtrail/region=us-east-1/b.parquet"),
            "not in the ledger"
        );
        assert!(!keep("srv/lake/cost/billingPeriod=202611/x.parquet"));
        assert!(keep("srv/lake/accounts/accounts.parquet"), "not a ledger table");
        assert!(keep("elsewhere/cloudtrail/b.parquet"), "outside the lake");
    }

    #[test]
    fn expects_the_snapshot_files_under_a_prefix() {
        let files = LakeFiles {
            managed: ["cloudtrail".to_string()].into(),
            visible: [
                "cloudtrail/region=eu-west-1/x.parquet",
                "cloudtrail/region=us-east-1/a/1.parquet",
                "cloudtrail/region=us-east-1/b.parquet",
                "cloudtrail/region=us-east-10/c.parquet",
                "cost/z.parquet",
            ]
            .map(String::from)
            .into(),
        };
        let root = ObjectPath::from("srv/lake");
        let names = |prefix: &str, direct| -> Vec<String> {
            SnapshotStore::expected(&root, &files, Some(&ObjectPath::from(prefix)), direct)
                .iter()
                .map(|p| p.to_string())
                .collect()
        };
        assert_eq!(
            names("srv/lake/cloudtrail/region=us-east-1", false),
            [
                "srv/lake/cloudtrail/region=us-east-1/a/1.parquet",
                "srv/lake/cloudtrail/region=us-east-1/b.parquet"
            ]
        );
        assert_eq!(
            names("srv/lake/cloudtrail/region=us-east-1", true),
            ["srv/lake/cloudtrail/region=us-east-1/b.parquet"]
        );
        assert_eq!(names("srv/lake/cloudtrail", false).len(), 4);
        assert!(names("srv/lake/cost", false).is_empty(), "not managed here");
        assert!(names("srv/lake", false).is_empty(), "the root is not one table");
        assert!(names("elsewhere", false).is_empty());
    }
}
