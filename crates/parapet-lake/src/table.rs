//! Tables described as data: a [`TableDef`] names a table, its OCSF class and its columns, and
//! [`Columns`] builds rows for any such table, checking as it goes that values arrive in
//! column order with the right types.
//!
//! Every table built this way shares a head (time, OCSF metadata and classification, cloud
//! account and region) and a tail (account enrichment, source object, original record); only
//! the columns between are its own. `cloudtrail` predates this and keeps a hand-written builder
//! with the same head and tail names.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, RecordBatch, StringBuilder,
    TimestampMillisecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parapet_model::activity::OCSF_VERSION;
use parapet_model::Account;

/// The type of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Utf8,
    Int32,
    Int64,
    Float64,
    Bool,
    /// Milliseconds since the epoch, UTC.
    TimeMs,
}

/// One column: name, type, and whether it may be null.
#[derive(Clone, Copy, Debug)]
pub struct Col {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
    /// Long, mostly unique values (raw JSON, ids, free text): written without dictionary or
    /// statistics, which would cost space and help no pruning.
    pub bulky: bool,
}

impl Col {
    /// The same column, marked [`Col::bulky`].
    pub const fn bulky(self) -> Col {
        Col { bulky: true, ..self }
    }
}

/// A nullable column.
pub const fn col(name: &'static str, kind: Kind) -> Col {
    Col {
        name,
        kind,
        nullable: true,
        bulky: false,
    }
}

/// A column that always has a value.
pub const fn req(name: &'static str, kind: Kind) -> Col {
    Col {
        name,
        kind,
        nullable: false,
        bulky: false,
    }
}

/// The view `<table>_latest`: the latest row (by `time`) of each `key` per account, i.e. the
/// current state of findings and events that are written once per update.
macro_rules! latest_view {
    ($table:literal, $key:literal) => {
        (
            concat!($table, "_latest"),
            concat!(
                "SELECT * EXCLUDE (latest) FROM (SELECT *, row_number() OVER (PARTITION BY cloud_account_uid, ",
                $key,
                " ORDER BY time DESC, source_object DESC) AS latest FROM ",
                $table,
                ") WHERE latest = 1"
            ),
        )
    };
}
pub(crate) use latest_view;

/// The columns every generic table starts with.
pub const HEAD: &[Col] = &[
    req("time", Kind::Int64),
    req("time_dt", Kind::TimeMs),
    col("metadata_uid", Kind::Utf8),
    req("metadata_version", Kind::Utf8),
    req("metadata_product_name", Kind::Utf8),
    req("metadata_product_vendor_name", Kind::Utf8),
    req("class_uid", Kind::Int32),
    req("category_uid", Kind::Int32),
    req("activity_id", Kind::Int32),
    req("activity_name", Kind::Utf8),
    req("type_uid", Kind::Int32),
    req("severity_id", Kind::Int32),
    req("cloud_provider", Kind::Utf8),
    col("cloud_region", Kind::Utf8),
    col("cloud_account_uid", Kind::Utf8),
];

/// The columns every generic table ends with.
pub const TAIL: &[Col] = &[
    col("account_name", Kind::Utf8),
    col("account_team", Kind::Utf8),
    col("account_env", Kind::Utf8),
    col("account_owner", Kind::Utf8),
    col("account_ou", Kind::Utf8),
    col("source_object", Kind::Utf8),
    req("raw", Kind::Utf8).bulky(),
];

/// A table of the lake.
#[derive(Debug)]
pub struct TableDef {
    /// The folder under the lake root and the SQL name of the view.
    pub name: &'static str,
    /// The OCSF class of its rows (0, the base event, where OCSF has no class for the source).
    pub class_uid: i32,
    pub category_uid: i32,
    /// What the table holds, for `parapet lake tables` and the docs.
    pub description: &'static str,
    /// The table's own columns, between [`HEAD`] and [`TAIL`].
    pub columns: &'static [Col],
    /// Extra names offered by the SQL view, `(alias, expression)`.
    pub aliases: &'static [(&'static str, &'static str)],
    /// Extra views over the table, `(name, SELECT … FROM <name>)`: derived tables such as the
    /// latest state of each resource.
    pub views: &'static [(&'static str, &'static str)],
}

impl TableDef {
    /// Every column in file order.
    pub fn all_columns(&self) -> impl Iterator<Item = &'static Col> {
        HEAD.iter().chain(self.columns.iter()).chain(TAIL.iter())
    }

    /// The Arrow schema of the table's files (partition columns live in the path).
    pub fn schema(&self) -> SchemaRef {
        let fields: Vec<Field> = self
            .all_columns()
            .map(|c| {
                let dt = match c.kind {
                    Kind::Utf8 => DataType::Utf8,
                    Kind::Int32 => DataType::Int32,
                    Kind::Int64 => DataType::Int64,
                    Kind::Float64 => DataType::Float64,
                    Kind::Bool => DataType::Boolean,
                    Kind::TimeMs => DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
                };
                Field::new(c.name, dt, c.nullable)
            })
            .collect();
        Arc::new(Schema::new(fields))
    }
}

enum Builder {
    Utf8(StringBuilder),
    Int32(Int32Builder),
    Int64(Int64Builder),
    Float64(Float64Builder),
    Bool(BooleanBuilder),
    TimeMs(TimestampMillisecondBuilder),
}

/// The head of a row: what every table records about an event.
#[derive(Clone, Debug)]
pub struct Head<'a> {
    pub time_ms: i64,
    pub uid: Option<&'a str>,
    pub product_name: &'a str,
    pub vendor_name: &'a str,
    pub activity_id: i32,
    pub activity_name: &'a str,
    /// OCSF severity_id: 0 unknown, 1 informational, 2 low, 3 medium, 4 high, 5 critical, 6 fatal.
    pub severity_id: i32,
    pub region: Option<&'a str>,
    pub account_id: Option<&'a str>,
}

/// Rows of one table, column by column.
pub struct Columns {
    def: &'static TableDef,
    schema: SchemaRef,
    kinds: Vec<(&'static str, Kind, bool)>,
    builders: Vec<Builder>,
    rows: usize,
    bytes: usize,
}

impl Columns {
    pub fn new(def: &'static TableDef, rows: usize) -> Columns {
        let kinds: Vec<_> = def.all_columns().map(|c| (c.name, c.kind, c.nullable)).collect();
        let builders = kinds
            .iter()
            .map(|(_, kind, _)| match kind {
                Kind::Utf8 => Builder::Utf8(StringBuilder::with_capacity(rows, 0)),
                Kind::Int32 => Builder::Int32(Int32Builder::with_capacity(rows)),
                Kind::Int64 => Builder::Int64(Int64Builder::with_capacity(rows)),
                Kind::Float64 => Builder::Float64(Float64Builder::with_capacity(rows)),
                Kind::Bool => Builder::Bool(BooleanBuilder::with_capacity(rows)),
                Kind::TimeMs => {
                    Builder::TimeMs(TimestampMillisecondBuilder::with_capacity(rows).with_timezone("UTC"))
                }
            })
            .collect();
        Columns {
            def,
            schema: def.schema(),
            kinds,
            builders,
            rows: 0,
            bytes: 0,
        }
    }

    pub fn def(&self) -> &'static TableDef {
        self.def
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Roughly the bytes the rows hold (string data plus eight per cell).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Starts a row: writes the head; the caller writes the table's own columns, then
    /// [`Row::tail`] ends it.
    pub fn row(&mut self, head: &Head<'_>) -> Row<'_> {
        let def = self.def;
        let mut row = Row { cols: self, next: 0 };
        row.i64(head.time_ms)
            .time_ms(head.time_ms)
            .str(head.uid)
            .str(Some(OCSF_VERSION))
            .str(Some(head.product_name))
            .str(Some(head.vendor_name))
            .i32(def.class_uid)
            .i32(def.category_uid)
            .i32(head.activity_id)
            .str(Some(head.activity_name))
            .i32(def.class_uid * 100 + head.activity_id)
            .i32(head.severity_id)
            .str(Some("AWS"))
            .str(head.region)
            .str(head.account_id);
        row
    }

    /// Finishes the rows so far into a batch and starts again.
    pub fn finish(&mut self) -> RecordBatch {
        let arrays: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(|b| -> ArrayRef {
                match b {
                    Builder::Utf8(b) => Arc::new(b.finish()),
                    Builder::Int32(b) => Arc::new(b.finish()),
                    Builder::Int64(b) => Arc::new(b.finish()),
                    Builder::Float64(b) => Arc::new(b.finish()),
                    Builder::Bool(b) => Arc::new(b.finish()),
                    Builder::TimeMs(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        self.rows = 0;
        self.bytes = 0;
        match RecordBatch::try_new(self.schema.clone(), arrays) {
            Ok(batch) => batch,
            // A required column left null is a bug in the table's append code.
            Err(e) => panic!("table {}: rows do not match the schema: {e}", self.def.name),
        }
    }
}

/// One row being written, column by column in schema order. Writing a value of the wrong type
/// or skipping a column is a bug in the table's code and panics with the column's name (every
/// table has tests that append rows).
pub struct Row<'a> {
    cols: &'a mut Columns,
    next: usize,
}

impl Row<'_> {
    fn slot(&mut self, kind: Kind) -> (&mut Builder, bool) {
        let i = self.next;
        let Some(&(name, expected, nullable)) = self.cols.kinds.get(i) else {
            panic!("table {}: more values than columns", self.cols.def.name);
        };
        assert!(
            expected == kind,
            "table {}: column {name} is {expected:?}, written as {kind:?}",
            self.cols.def.name
        );
        self.next += 1;
        self.cols.bytes += 8;
        (&mut self.cols.builders[i], nullable)
    }

    fn check_null(&self, nullable: bool) {
        let (name, _, _) = self.cols.kinds[self.next - 1];
        assert!(
            nullable,
            "table {}: column {name} may not be null",
            self.cols.def.name
        );
    }

    pub fn str(&mut self, v: Option<&str>) -> &mut Self {
        let len = v.map_or(0, str::len);
        let (b, nullable) = self.slot(Kind::Utf8);
        let Builder::Utf8(b) = b else { unreachable!() };
        b.append_option(v);
        if v.is_none() {
            self.check_null(nullable);
        }
        self.cols.bytes += len;
        self
    }

    pub fn i32(&mut self, v: impl Into<Option<i32>>) -> &mut Self {
        let v = v.into();
        let (b, nullable) = self.slot(Kind::Int32);
        let Builder::Int32(b) = b else { unreachable!() };
        b.append_option(v);
        if v.is_none() {
            self.check_null(nullable);
        }
        self
    }

    pub fn i64(&mut self, v: impl Into<Option<i64>>) -> &mut Self {
        let v = v.into();
        let (b, nullable) = self.slot(Kind::Int64);
        let Builder::Int64(b) = b else { unreachable!() };
        b.append_option(v);
        if v.is_none() {
            self.check_null(nullable);
        }
        self
    }

    pub fn f64(&mut self, v: impl Into<Option<f64>>) -> &mut Self {
        let v = v.into();
        let (b, nullable) = self.slot(Kind::Float64);
        let Builder::Float64(b) = b else { unreachable!() };
        b.append_option(v);
        if v.is_none() {
            self.check_null(nullable);
        }
        self
    }

    pub fn bool(&mut self, v: impl Into<Option<bool>>) -> &mut Self {
        let v = v.into();
        let (b, nullable) = self.slot(Kind::Bool);
        let Builder::Bool(b) = b else { unreachable!() };
        b.append_option(v);
        if v.is_none() {
            self.check_null(nullable);
        }
        self
    }

    pub fn time_ms(&mut self, v: impl Into<Option<i64>>) -> &mut Self {
        let v = v.into();
        let (b, nullable) = self.slot(Kind::TimeMs);
        let Builder::TimeMs(b) = b else { unreachable!() };
        b.append_option(v);
        if v.is_none() {
            self.check_null(nullable);
        }
        self
    }

    /// Ends the row with the enrichment columns, the source object and the original record.
    pub fn tail(mut self, account: Option<&Account>, source_object: &str, raw: &str) {
        let field = |f: fn(&Account) -> &str| account.map(f).filter(|s| !s.is_empty());
        self.str(field(|a| &a.name))
            .str(field(|a| &a.team))
            .str(field(|a| &a.env))
            .str(field(|a| &a.owner))
            .str(field(|a| &a.ou))
            .str(Some(source_object))
            .str(Some(raw));
        assert!(
            self.next == self.cols.kinds.len(),
            "table {}: row has {} values for {} columns",
            self.cols.def.name,
            self.next,
            self.cols.kinds.len()
        );
        self.cols.rows += 1;
    }
}

/// A decoded record that knows its table and how to write itself as one row of it.
///
/// Decoders (in `parapet-sources`) produce domain records (in `parapet-model`); this trait,
/// implemented here beside each table's definition, is the only place that maps a record to
/// columns.
pub trait LakeRecord {
    fn table(&self) -> &'static TableDef;
    /// The event time, milliseconds since the epoch: the row's `time` and its partition day.
    fn time_ms(&self) -> i64;
    /// The account the record is about, when the record says (else the object key decides).
    fn account_id(&self) -> Option<&str>;
    /// The region the record is about, when the record says (else the object key decides).
    fn region(&self) -> Option<&str>;
    /// Appends the record as one row: [`Columns::row`] with a [`Head`] that takes account and
    /// region from `at`, the table's own columns, then [`Row::tail`].
    fn append(&self, cols: &mut Columns, at: &RowContext<'_>);
}

/// What the ingest pipeline knows about a row beyond the record itself.
#[derive(Clone, Copy, Debug)]
pub struct RowContext<'a> {
    /// The row's account and region: the record's own, else the object key's; `None` when
    /// neither says (the partition is then `unknown`).
    pub account_id: Option<&'a str>,
    pub region: Option<&'a str>,
    /// The account's entry in the directory, for the enrichment columns.
    pub account: Option<&'a Account>,
    /// The object the record came from.
    pub source_object: &'a str,
}

/// The account the tables' unit tests enrich their rows with: 111122223333, named "prod".
#[cfg(test)]
pub(crate) fn test_account() -> parapet_model::Account {
    parapet_model::Account {
        name: "prod".into(),
        ..parapet_model::Account::new(parapet_model::AccountId::parse("111122223333").expect("a valid id"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static T: TableDef = TableDef {
        name: "t",
        class_uid: 4001,
        category_uid: 4,
        description: "test",
        columns: &[
            col("a", Kind::Utf8),
            req("b", Kind::Int32),
            col("c", Kind::Float64),
        ],
        aliases: &[],
        views: &[],
    };

    fn head() -> Head<'static> {
        Head {
            time_ms: 1_700_000_000_000,
            uid: None,
            product_name: "p",
            vendor_name: "AWS",
            activity_id: 6,
            activity_name: "Traffic",
            severity_id: 1,
            region: Some("eu-west-1"),
            account_id: Some("111122223333"),
        }
    }

    #[test]
    fn rows_round_trip_through_the_schema() {
        let mut cols = Columns::new(&T, 4);
        let mut r = cols.row(&head());
        r.str(Some("x")).i32(7).f64(None);
        r.tail(None, "obj", "{}");
        let batch = cols.finish();
        assert_eq!(batch.num_rows(), 1);
        assert_eq!(batch.schema(), T.schema());
        let type_uid = batch.column_by_name("type_uid").unwrap();
        assert_eq!(
            type_uid
                .as_any()
                .downcast_ref::<datafusion::arrow::array::Int32Array>()
                .unwrap()
                .value(0),
            400106
        );
        assert!(cols.is_empty());
    }

    #[test]
    #[should_panic(expected = "column b is Int32, written as Utf8")]
    fn wrong_type_names_the_column() {
        let mut cols = Columns::new(&T, 1);
        let mut r = cols.row(&head());
        r.str(None).str(Some("oops"));
    }

    #[test]
    #[should_panic(expected = "column b may not be null")]
    fn null_in_a_required_column_names_it() {
        let mut cols = Columns::new(&T, 1);
        let mut r = cols.row(&head());
        r.str(None).i32(None);
    }

    #[test]
    #[should_panic(expected = "row has 24 values for 25 columns")]
    fn a_short_row_is_caught() {
        static S: TableDef = TableDef {
            name: "s",
            columns: &[col("a", Kind::Utf8), col("b", Kind::Utf8), col("c", Kind::Utf8)],
            ..T
        };
        let mut cols = Columns::new(&S, 1);
        let mut r = cols.row(&head());
        r.str(None).str(None);
        r.tail(None, "o", "{}");
    }
}
