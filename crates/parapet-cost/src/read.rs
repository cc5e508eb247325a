//! Reading a bill's rows: CSV here (any reader; the caller decompresses), Parquet through the
//! lake crate's row reader and [`RowSink`]. A row that is not a line is rejected with its line
//! number and reason; its neighbours are read.

use std::io::Read;

use parapet_model::cost::{CostFormat, CostLine};

use crate::normalize::{Cells, Columns, HeaderError};

/// How many rejected rows a report keeps (it counts them all).
pub const KEPT_REJECTS: usize = 20;

/// A row that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RowReject {
    /// 1-based line of the file (the header is line 1) or row of a Parquet file.
    pub line: u64,
    pub reason: String,
}

/// What reading one file gave.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReadReport {
    pub format: Option<CostFormat>,
    pub lines: u64,
    pub rejected: u64,
    /// The first [`KEPT_REJECTS`] rejected rows.
    pub rejects: Vec<RowReject>,
}

/// A file that could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{file}: {source}")]
    Header {
        file: String,
        #[source]
        source: HeaderError,
    },
    #[error("{file}: line {line}: {message}")]
    Csv {
        file: String,
        line: u64,
        message: String,
    },
}

/// Feeds rows to a visitor as lines; shared by the CSV and Parquet readers.
pub struct RowSink<'a> {
    columns: Columns,
    report: ReadReport,
    visit: &'a mut dyn FnMut(CostLine),
}

impl<'a> RowSink<'a> {
    pub fn new<S: AsRef<str>>(
        file: &str,
        header: &[S],
        visit: &'a mut dyn FnMut(CostLine),
    ) -> Result<RowSink<'a>, ReadError> {
        let columns = Columns::detect(header).map_err(|source| ReadError::Header {
            file: file.to_string(),
            source,
        })?;
        let report = ReadReport {
            format: Some(columns.format),
            ..ReadReport::default()
        };
        Ok(RowSink {
            columns,
            report,
            visit,
        })
    }

    /// One row, numbered as the file numbers it.
    pub fn row(&mut self, line: u64, row: &(impl Cells + ?Sized)) {
        match self.columns.line(row) {
            Ok(l) => {
                self.report.lines += 1;
                (self.visit)(l);
            }
            Err(reason) => {
                self.report.rejected += 1;
                if self.report.rejects.len() < KEPT_REJECTS {
                    self.report.rejects.push(RowReject { line, reason });
                }
            }
        }
    }

    pub fn finish(self) -> ReadReport {
        self.report
    }
}

/// Reads a CSV bill (legacy CUR or FOCUS; already decompressed).
pub fn read_csv(
    file: &str,
    input: impl Read,
    visit: &mut dyn FnMut(CostLine),
) -> Result<ReadReport, ReadError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(input);
    let csv_err = |e: csv::Error| {
        let line = e.position().map(|p| p.line()).unwrap_or(0);
        let message = match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("{len} fields where the header has {expected_len}"),
            csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_string(),
            _ => e.to_string(),
        };
        ReadError::Csv {
            file: file.to_string(),
            line,
            message,
        }
    };
    let header: Vec<String> = reader
        .headers()
        .map_err(csv_err)?
        .iter()
        .map(str::to_string)
        .collect();
    let mut sink = RowSink::new(file, &header, visit)?;
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                sink.row(line, &record);
            }
            // A row with the wrong number of fields: rejected, the rest read.
            Err(e) if matches!(e.kind(), csv::ErrorKind::UnequalLengths { .. }) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                let reason = match csv_err(e) {
                    ReadError::Csv { message, .. } => message,
                    other => other.to_string(),
                };
                sink.report.rejected += 1;
                if sink.report.rejects.len() < KEPT_REJECTS {
                    sink.report.rejects.push(RowReject { line, reason });
                }
            }
            Err(e) => return Err(csv_err(e)),
        }
    }
    Ok(sink.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_rows_and_keeps_the_rest() {
        let text = "\u{feff}BillingAccountId,ChargePeriodStart,ChargeCategory,BilledCost\n\
                    1,2024-09-01 00:00:00,Usage,1.5\n\
                    1,2024-09-01 00:00:00,Usage,oops\n\
                    1,2024-09-02 00:00:00\n\
                    1,2024-09-02 00:00:00,Tax,NULL\n";
        let mut lines = Vec::new();
        let report = read_csv("bill.csv", text.as_bytes(), &mut |l| lines.push(l)).unwrap();
        assert_eq!(report.lines, 2);
        assert_eq!(report.rejected, 2);
        assert_eq!(
            report.rejects,
            vec![
                RowReject {
                    line: 3,
                    reason: "BilledCost: `oops` is not a decimal number".into()
                },
                RowReject {
                    line: 4,
                    reason: "2 fields where the header has 4".into()
                },
            ]
        );
        assert_eq!(lines[1].costs.unblended.0, 0);
        let err = read_csv("x.csv", "a,b\n1,2\n".as_bytes(), &mut |_| {}).unwrap_err();
        assert!(err.to_string().starts_with("x.csv: not a cost report"), "{err}");
    }
}
