//! The `cost` table: one row per bill line, whatever format it came in, with exact money
//! (`Decimal128(38, 12)`), and the Parquet row reader the bill readers share.
//!
//! Layout: `cost/billingPeriod=<YYYYMM>/report=<slug>/<unique>.parquet`, one file per report and
//! billing period, replaced whole when the report delivers a new version of that period. The SQL
//! view `cost` adds the registry's `account_name`, `account_team`, `account_ou`,
//! `account_channel` (the bill's own account name where the registry has none).

use std::sync::Arc;

use bytes::Bytes;
use datafusion::arrow::array::{
    Array, ArrayRef, BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder, Int64Builder,
    MapArray, RecordBatch, StringArray, StringBuilder, TimestampMillisecondBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parapet_cost::DailySpend;
use parapet_model::cost::{ChargeCategory, CostLine, Day, Money, MONEY_SCALE};

pub const TABLE: &str = "cost";
/// The files as written; the view [`TABLE`] adds the registry's names.
pub const PHYSICAL: &str = "cost_lines";

const MONEY: DataType = DataType::Decimal128(38, MONEY_SCALE as i8);

/// The table's columns, in file order.
pub fn schema() -> SchemaRef {
    let utc: Arc<str> = Arc::from("UTC");
    let f = |n: &str, t: DataType, null: bool| Field::new(n, t, null);
    Arc::new(Schema::new(vec![
        f("time", DataType::Int64, false),
        f("usage_date", DataType::Date32, false),
        f(
            "charge_period_start",
            DataType::Timestamp(TimeUnit::Millisecond, Some(utc.clone())),
            false,
        ),
        f(
            "charge_period_end",
            DataType::Timestamp(TimeUnit::Millisecond, Some(utc)),
            false,
        ),
        f("billing_period", DataType::Utf8, false),
        f("provider", DataType::Utf8, false),
        f("billing_account_id", DataType::Utf8, false),
        f("account_id", DataType::Utf8, false),
        f("bill_account_name", DataType::Utf8, true),
        f("service", DataType::Utf8, false),
        f("service_code", DataType::Utf8, true),
        f("region_id", DataType::Utf8, true),
        f("usage_type", DataType::Utf8, true),
        f("operation", DataType::Utf8, true),
        f("resource_id", DataType::Utf8, true),
        f("charge_category", DataType::Utf8, false),
        f("charge_class", DataType::Utf8, true),
        f("line_item_type", DataType::Utf8, false),
        f("charge_frequency", DataType::Utf8, false),
        f("daily_usage", DataType::Boolean, false),
        f("description", DataType::Utf8, true),
        f("unblended_cost", MONEY, false),
        f("amortized_cost", MONEY, false),
        f("net_unblended_cost", MONEY, false),
        f("net_amortized_cost", MONEY, false),
        f("list_cost", MONEY, true),
        f("currency", DataType::Utf8, false),
        f("usage_quantity", DataType::Float64, true),
        f("usage_unit", DataType::Utf8, true),
        f("tags", DataType::Utf8, true),
        f("line_id", DataType::Utf8, true),
        f("format", DataType::Utf8, false),
        f("source_object", DataType::Utf8, false),
    ]))
}

/// Columns with long unique values (no dictionary, no statistics).
pub const BULKY_COLUMNS: &[&str] = &["resource_id", "line_id", "description", "tags"];

/// Lines as one record batch of [`schema`].
pub fn batch(lines: &[CostLine], source_object: &str) -> crate::Result<RecordBatch> {
    let n = lines.len();
    let mut time = Int64Builder::with_capacity(n);
    let mut date = Date32Builder::with_capacity(n);
    let utc = "UTC";
    let mut start = TimestampMillisecondBuilder::with_capacity(n).with_timezone(utc);
    let mut end = TimestampMillisecondBuilder::with_capacity(n).with_timezone(utc);
    let mut text: Vec<StringBuilder> = (0..22).map(|_| StringBuilder::new()).collect();
    let mut daily = BooleanBuilder::with_capacity(n);
    let money = || Decimal128Builder::with_capacity(n).with_data_type(MONEY);
    let (mut unblended, mut amortized, mut net_u, mut net_a, mut list) =
        (money(), money(), money(), money(), money());
    let mut quantity = Float64Builder::with_capacity(n);
    for l in lines {
        time.append_value(l.charge_start_ms);
        date.append_value(l.day() as i32);
        start.append_value(l.charge_start_ms);
        end.append_value(l.charge_end_ms);
        daily.append_value(l.is_daily_usage());
        unblended.append_value(l.costs.unblended.0);
        amortized.append_value(l.costs.amortized.0);
        net_u.append_value(l.costs.net_unblended.0);
        net_a.append_value(l.costs.net_amortized.0);
        list.append_option(l.list_cost.map(|m| m.0));
        quantity.append_option(l.usage_quantity);
        let tags = (!l.tags.is_empty()).then(|| {
            let map: serde_json::Map<String, serde_json::Value> = l
                .tags
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect();
            serde_json::Value::Object(map).to_string()
        });
        let values: [Option<&str>; 22] = [
            Some(&l.billing_period),
            Some(&l.provider),
            Some(&l.billing_account_id),
            Some(&l.account_id),
            l.account_name.as_deref(),
            Some(&l.service),
            l.service_code.as_deref(),
            l.region.as_deref(),
            l.usage_type.as_deref(),
            l.operation.as_deref(),
            l.resource_id.as_deref(),
            Some(l.category.as_str()),
            l.charge_class.as_deref(),
            Some(&l.line_item_type),
            Some(&l.charge_frequency),
            l.description.as_deref(),
            Some(&l.currency),
            l.usage_unit.as_deref(),
            tags.as_deref(),
            l.line_id.as_deref(),
            Some(l.format.as_str()),
            Some(source_object),
        ];
        for (b, v) in text.iter_mut().zip(values) {
            b.append_option(v);
        }
    }
    let mut t = text.into_iter().map(|mut b| Arc::new(b.finish()) as ArrayRef);
    let mut next = || t.next().expect("22 text columns");
    let columns: Vec<ArrayRef> = vec![
        Arc::new(time.finish()),
        Arc::new(date.finish()),
        Arc::new(start.finish()),
        Arc::new(end.finish()),
        next(), // billing_period
        next(), // provider
        next(), // billing_account_id
        next(), // account_id
        next(), // bill_account_name
        next(), // service
        next(), // service_code
        next(), // region_id
        next(), // usage_type
        next(), // operation
        next(), // resource_id
        next(), // charge_category
        next(), // charge_class
        next(), // line_item_type
        next(), // charge_frequency
        Arc::new(daily.finish()),
        next(), // description
        Arc::new(unblended.finish()),
        Arc::new(amortized.finish()),
        Arc::new(net_u.finish()),
        Arc::new(net_a.finish()),
        Arc::new(list.finish()),
        next(), // currency
        Arc::new(quantity.finish()),
        next(), // usage_unit
        next(), // tags
        next(), // line_id
        next(), // format
        next(), // source_object
    ];
    Ok(RecordBatch::try_new(schema(), columns)?)
}

/// The SQL of the `cost` view over [`PHYSICAL`].
pub fn view_sql() -> String {
    let mut cols: Vec<String> = schema()
        .fields()
        .iter()
        .map(|f| format!("\"{}\"", f.name()))
        .collect();
    cols.push(
        "coalesce(account_field(account_id, 'name'), bill_account_name, account_id) AS account_name".into(),
    );
    cols.push("account_field(account_id, 'team') AS account_team".into());
    cols.push("account_field(account_id, 'ou') AS account_ou".into());
    cols.push("account_field(account_id, 'channel') AS account_channel".into());
    cols.push("\"billingPeriod\" AS billingperiod".into());
    cols.push("report".into());
    format!(
        "CREATE VIEW {TABLE} AS SELECT {} FROM {PHYSICAL}",
        cols.join(", ")
    )
}

/// Why a Parquet bill could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ParquetRowsError {
    pub file: String,
    pub message: String,
}

/// Reads a Parquet file's rows as text cells: its column names, then each row (numbered from
/// 1). Scalars are cast to text (decimals exactly); maps and other nested values become JSON.
pub fn parquet_rows(
    file: &str,
    bytes: Bytes,
    header: &mut dyn FnMut(&[String]) -> Result<(), String>,
    row: &mut dyn FnMut(u64, &[Option<String>]),
) -> Result<(), ParquetRowsError> {
    let err = |message: String| ParquetRowsError {
        file: file.to_string(),
        message,
    };
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .map_err(|e| err(format!("not a Parquet file ({e})")))?;
    let names: Vec<String> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let reader = builder
        .with_batch_size(8192)
        .build()
        .map_err(|e| err(e.to_string()))?;
    header(&names).map_err(err)?;
    let mut n = 0u64;
    let mut cells: Vec<Option<String>> = vec![None; names.len()];
    for batch in reader {
        let batch = batch.map_err(|e| err(e.to_string()))?;
        let columns: Vec<Column> = batch
            .columns()
            .iter()
            .map(|c| Column::new(c).map_err(&err))
            .collect::<Result<_, _>>()?;
        for r in 0..batch.num_rows() {
            n += 1;
            for (cell, col) in cells.iter_mut().zip(&columns) {
                *cell = col.text(r);
            }
            row(n, &cells);
        }
    }
    Ok(())
}

enum Column {
    Text(StringArray),
    Map(Box<(MapArray, StringArray, StringArray)>),
    Json(ArrayRef),
}

impl Column {
    fn new(a: &ArrayRef) -> Result<Column, String> {
        match a.data_type() {
            DataType::Map(_, _) => {
                let map = a
                    .as_any()
                    .downcast_ref::<MapArray>()
                    .ok_or("a map column that is not a map")?
                    .clone();
                let keys = to_text(map.keys())?;
                let values = to_text(map.values())?;
                Ok(Column::Map(Box::new((map, keys, values))))
            }
            DataType::Struct(_) | DataType::List(_) | DataType::LargeList(_) => Ok(Column::Json(a.clone())),
            _ => Ok(Column::Text(to_text(a)?)),
        }
    }

    fn text(&self, r: usize) -> Option<String> {
        match self {
            Column::Text(s) => (!s.is_null(r)).then(|| s.value(r).to_string()),
            Column::Map(m) => {
                let (map, keys, values) = &**m;
                if map.is_null(r) {
                    return None;
                }
                let offsets = map.value_offsets();
                let (from, to) = (offsets[r] as usize, offsets[r + 1] as usize);
                let obj: serde_json::Map<String, serde_json::Value> = (from..to)
                    .filter(|i| !keys.is_null(*i))
                    .map(|i| {
                        let v = if values.is_null(i) {
                            serde_json::Value::Null
                        } else {
                            serde_json::Value::String(values.value(i).to_string())
                        };
                        (keys.value(i).to_string(), v)
                    })
                    .collect();
                Some(serde_json::Value::Object(obj).to_string())
            }
            Column::Json(a) => {
                if a.is_null(r) {
                    return None;
                }
                let slice = a.slice(r, 1);
                let batch = RecordBatch::try_from_iter([("v", slice)]).ok()?;
                let mut out = Vec::new();
                let mut w = datafusion::arrow::json::LineDelimitedWriter::new(&mut out);
                w.write(&batch).ok()?;
                w.finish().ok()?;
                let v: serde_json::Value = serde_json::from_slice(&out).ok()?;
                v.get("v").map(|x| x.to_string())
            }
        }
    }
}

fn to_text(a: &ArrayRef) -> Result<StringArray, String> {
    let c = cast(a, &DataType::Utf8).map_err(|e| format!("a {} column: {e}", a.data_type()))?;
    c.as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .ok_or_else(|| "cast to text failed".to_string())
}

/// What [`daily_spend`] sums.
#[derive(Clone, Debug)]
pub struct SpendQuery {
    /// `unblended_cost`, `amortized_cost`, `net_unblended_cost` or `net_amortized_cost`.
    pub column: &'static str,
    /// Days since 1970-01-01, inclusive.
    pub from_day: i64,
    pub to_day: i64,
    pub by_region: bool,
    pub by_tags: bool,
}

fn iso_day(day: i64) -> String {
    let (y, m, d) = parapet_model::time::civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Sums the `cost` table per day and group over a range of days (exact decimals).
pub async fn daily_spend(
    session: &crate::LakeSession,
    q: &SpendQuery,
) -> Result<Vec<DailySpend>, crate::QueryError> {
    use datafusion::arrow::array::{AsArray, Date32Array};
    use datafusion::arrow::datatypes::Decimal128Type;
    if ![
        "unblended_cost",
        "amortized_cost",
        "net_unblended_cost",
        "net_amortized_cost",
    ]
    .contains(&q.column)
    {
        return Err(crate::QueryError::Sql(format!("no cost column {}", q.column)));
    }
    let region = if q.by_region {
        "region_id"
    } else {
        "CAST(NULL AS VARCHAR)"
    };
    let tags = if q.by_tags {
        "tags"
    } else {
        "CAST(NULL AS VARCHAR)"
    };
    let sql = format!(
        "SELECT usage_date, account_id, max(bill_account_name) AS bill_account_name, service, charge_category, \
                daily_usage, {region} AS region, {tags} AS tags, currency, sum({col}) AS amount \
         FROM {PHYSICAL} \
         WHERE usage_date >= DATE '{from}' AND usage_date <= DATE '{to}' \
         GROUP BY usage_date, account_id, service, charge_category, daily_usage, {region}, {tags}, currency",
        col = q.column,
        from = iso_day(q.from_day),
        to = iso_day(q.to_day),
    );
    let batches = session.sql(&sql).await?;
    let bad = |what: &str| crate::QueryError::Sql(format!("cost sums: unexpected type of {what}"));
    let mut out = Vec::new();
    for b in &batches {
        let day = b
            .column(0)
            .as_any()
            .downcast_ref::<Date32Array>()
            .ok_or_else(|| bad("usage_date"))?;
        let text = |i: usize| -> Result<StringArray, crate::QueryError> {
            let c = cast(b.column(i), &DataType::Utf8).map_err(|e| crate::QueryError::Sql(e.to_string()))?;
            c.as_any()
                .downcast_ref::<StringArray>()
                .cloned()
                .ok_or_else(|| bad("a text column"))
        };
        let (account, name, service, category) = (text(1)?, text(2)?, text(3)?, text(4)?);
        let daily = b
            .column(5)
            .as_boolean_opt()
            .ok_or_else(|| bad("daily_usage"))?
            .clone();
        let (region, tags, currency) = (text(6)?, text(7)?, text(8)?);
        let amount = b
            .column(9)
            .as_primitive_opt::<Decimal128Type>()
            .ok_or_else(|| bad("amount"))?
            .clone();
        let opt = |a: &StringArray, r: usize| (!a.is_null(r)).then(|| a.value(r).to_string());
        for r in 0..b.num_rows() {
            // Tags come back as the JSON object the writer stored.
            let tags = opt(&tags, r)
                .and_then(|t| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&t).ok())
                .map(|m| {
                    m.into_iter()
                        .map(|(k, v)| (k, v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            out.push(DailySpend {
                day: Day(i64::from(day.value(r))),
                account_id: account.value(r).to_string(),
                bill_account_name: opt(&name, r),
                service: service.value(r).to_string(),
                category: ChargeCategory::parse(category.value(r)).unwrap_or(ChargeCategory::Adjustment),
                daily_usage: daily.value(r),
                region: opt(&region, r),
                tags,
                currency: currency.value(r).to_string(),
                amount: Money(if amount.is_null(r) { 0 } else { amount.value(r) }),
            });
        }
    }
    Ok(out)
}

/// The first and last day the `cost` table has lines for, if any.
pub async fn spend_span(session: &crate::LakeSession) -> Result<Option<(i64, i64)>, crate::QueryError> {
    use datafusion::arrow::array::Date32Array;
    let batches = session
        .sql(&format!(
            "SELECT min(usage_date), max(usage_date) FROM {PHYSICAL}"
        ))
        .await?;
    let Some(b) = batches.first() else {
        return Ok(None);
    };
    let col = |i: usize| b.column(i).as_any().downcast_ref::<Date32Array>().cloned();
    match (col(0), col(1)) {
        (Some(a), Some(z)) if b.num_rows() > 0 && !a.is_null(0) && !z.is_null(0) => {
            Ok(Some((i64::from(a.value(0)), i64::from(z.value(0)))))
        }
        _ => Ok(None),
    }
}
