//! The registry in the lake: `accounts/accounts.parquet`, one row per account the registry
//! knows (those that left the organisation included, with `removed`), replaced whole by every
//! `parapet accounts sync` (write to a temporary file, then rename).
//!
//! Queries see it twice: as the table `accounts`, and through `account_field(id, 'name')`,
//! which the views use so that every row shows the account's *current* name, team, env,
//! owner, OU and channel — also for data ingested before the name was known. The columns
//! written at ingest (`account_name`, …) stay in the `_ocsf` tables as they were.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, RecordBatch, StringArray, StringBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::{exec_err, Result as DfResult, ScalarValue};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use parapet_model::Account;

use crate::{LakeError, Result};

/// The table's folder under the lake root.
pub const TABLE: &str = "accounts";
const FILE: &str = "accounts.parquet";

/// Fields `account_field` answers, in column order.
pub const FIELDS: &[&str] = &[
    "name", "team", "env", "owner", "ou", "channel", "email", "status", "ou_id",
];

pub fn schema() -> SchemaRef {
    let mut fields = vec![Field::new("id", DataType::Utf8, false)];
    fields.extend(FIELDS.iter().map(|f| Field::new(*f, DataType::Utf8, false)));
    fields.push(Field::new("tags", DataType::Utf8, false));
    fields.push(Field::new("removed", DataType::Boolean, false));
    Arc::new(Schema::new(fields))
}

fn field_value<'a>(a: &'a Account, field: &str) -> &'a str {
    match field {
        "name" => &a.name,
        "team" => &a.team,
        "env" => &a.env,
        "owner" => &a.owner,
        "ou" => &a.ou,
        "channel" => &a.channel,
        "email" => &a.email,
        "status" => a.status.as_str(),
        "ou_id" => &a.ou_id,
        _ => "",
    }
}

pub fn path(root: &Path) -> PathBuf {
    root.join(TABLE).join(FILE)
}

/// Replaces the snapshot with `accounts` (`removed` marks those no longer in the
/// organisation). Readers see the old file or the new one, never a partial one.
pub fn write_snapshot(root: &Path, accounts: &[(Account, bool)]) -> Result<()> {
    let dir = root.join(TABLE);
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| LakeError::Io { path, source }
    };
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let schema = schema();
    let mut columns: Vec<ArrayRef> = Vec::new();
    columns.push(Arc::new(StringArray::from_iter_values(
        accounts.iter().map(|(a, _)| a.id.as_str()),
    )));
    for f in FIELDS {
        let mut b = StringBuilder::new();
        for (a, _) in accounts {
            b.append_value(field_value(a, f));
        }
        columns.push(Arc::new(b.finish()));
    }
    columns.push(Arc::new(StringArray::from_iter_values(accounts.iter().map(
        |(a, _)| serde_json::to_string(&a.tags).unwrap_or_else(|_| "{}".into()),
    ))));
    columns.push(Arc::new(BooleanArray::from_iter(
        accounts.iter().map(|(_, r)| Some(*r)),
    )));
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    let tmp = dir.join(format!("{FILE}.{}.tmp", std::process::id()));
    let perr = |e: &dyn std::fmt::Display| LakeError::Parquet {
        path: tmp.display().to_string(),
        message: e.to_string(),
    };
    let file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build();
    let mut writer = ArrowWriter::try_new(file, schema, Some(props)).map_err(|e| perr(&e))?;
    writer.write(&batch).map_err(|e| perr(&e))?;
    let file = writer.into_inner().map_err(|e| perr(&e))?;
    file.sync_all().map_err(io(&tmp))?;
    let target = path(root);
    std::fs::rename(&tmp, &target).map_err(io(&target))?;
    Ok(())
}

/// The snapshot as a map from account id to field values (empty when there is none yet).
pub fn read_snapshot(root: &Path) -> Result<HashMap<String, Vec<String>>> {
    let file = path(root);
    if !file.exists() {
        return Ok(HashMap::new());
    }
    let mut out = HashMap::new();
    for batch in crate::read_parquet(&file)? {
        let col = |name: &str| -> Result<&StringArray> {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_string_opt::<i32>())
                .ok_or_else(|| LakeError::Parquet {
                    path: file.display().to_string(),
                    message: format!("column {name} is missing or not text"),
                })
        };
        let ids = col("id")?;
        let fields: Vec<&StringArray> = FIELDS.iter().map(|f| col(f)).collect::<Result<_>>()?;
        for row in 0..batch.num_rows() {
            out.insert(
                ids.value(row).to_string(),
                fields.iter().map(|c| c.value(row).to_string()).collect(),
            );
        }
    }
    Ok(out)
}

/// `account_field(account_id, field)`: the registry's value of `field` (one of [`FIELDS`]) for
/// the account, or NULL when the registry does not know the account or the value is empty.
#[derive(Debug)]
pub struct AccountField {
    signature: Signature,
    accounts: Arc<HashMap<String, Vec<String>>>,
}

impl AccountField {
    pub fn new(accounts: HashMap<String, Vec<String>>) -> AccountField {
        AccountField {
            signature: Signature::string(2, Volatility::Stable),
            accounts: Arc::new(accounts),
        }
    }
}

impl PartialEq for AccountField {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.accounts, &other.accounts)
    }
}

impl Eq for AccountField {}

impl std::hash::Hash for AccountField {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        Arc::as_ptr(&self.accounts).hash(state);
    }
}

impl ScalarUDFImpl for AccountField {
    fn name(&self) -> &str {
        "account_field"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let [ids, field] = args.args.as_slice() else {
            return exec_err!("account_field takes two arguments: an account id and a field name");
        };
        let field_name = match field {
            ColumnarValue::Scalar(s) => match s {
                ScalarValue::Utf8(Some(v))
                | ScalarValue::Utf8View(Some(v))
                | ScalarValue::LargeUtf8(Some(v)) => v.clone(),
                other => return exec_err!("account_field: the field must be a text literal, found {other}"),
            },
            ColumnarValue::Array(_) => {
                return exec_err!("account_field: the field must be a literal such as 'name'")
            }
        };
        let Some(index) = FIELDS.iter().position(|f| *f == field_name) else {
            return exec_err!(
                "account_field: unknown field {field_name:?}; expected one of {}",
                FIELDS.join(", ")
            );
        };
        let lookup = |id: &str| -> Option<&str> {
            self.accounts
                .get(id)
                .and_then(|v| v.get(index))
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        match ids {
            ColumnarValue::Scalar(s) => {
                let id = match s {
                    ScalarValue::Utf8(v) | ScalarValue::Utf8View(v) | ScalarValue::LargeUtf8(v) => {
                        v.as_deref()
                    }
                    _ => None,
                };
                Ok(ColumnarValue::Scalar(ScalarValue::Utf8(
                    id.and_then(lookup).map(String::from),
                )))
            }
            ColumnarValue::Array(array) => {
                let array = cast(array, &DataType::Utf8)?;
                let ids = array.as_string::<i32>();
                let mut out = StringBuilder::with_capacity(ids.len(), ids.len() * 8);
                for i in 0..ids.len() {
                    match (!ids.is_null(i)).then(|| ids.value(i)).and_then(lookup) {
                        Some(v) => out.append_value(v),
                        None => out.append_null(),
                    }
                }
                Ok(ColumnarValue::Array(Arc::new(out.finish())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_snapshot_round_trips_and_answers_lookups() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut a = crate::table::test_account();
        a.team = "payments".into();
        let mut gone =
            parapet_model::Account::new(parapet_model::AccountId::parse("999999999999").expect("id"));
        gone.name = "old".into();
        write_snapshot(dir.path(), &[(a, false), (gone, true)]).expect("write");
        let map = read_snapshot(dir.path()).expect("read");
        assert_eq!(map["111122223333"][0], "prod");
        assert_eq!(map["999999999999"][0], "old");
        let session = crate::LakeSession::open(dir.path()).await.expect("open");
        let batches = session
            .sql("SELECT account_field('111122223333', 'team') AS t, account_field('111122223333', 'owner') AS o, \
                  account_field('000000000000', 'name') AS n, (SELECT count(*) FROM accounts WHERE removed) AS r")
            .await
            .expect("query");
        let out = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
            .expect("fmt")
            .to_string();
        assert!(out.contains("| payments |   |   | 1 |"), "{out}");
        let err = session
            .sql("SELECT account_field('111122223333', 'colour')")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("unknown field \"colour\""), "{err}");
    }
}
