//! Countries of source addresses, from a MaxMind DB file (GeoLite2 / GeoIP2 Country or City, or
//! any database with `country.iso_code`), for the rules that allow sign-ins from some countries
//! only. The country is added to a CloudTrail record before the rules see it, as
//! `parapet.geo.country`; the record in the lake is not changed.

use std::net::IpAddr;
use std::path::Path;

use maxminddb::{PathElement, Reader};
use parapet_detect::{Event, Source};
use serde_json::Value;

use crate::{IngestError, Result};

/// An open GeoIP database.
pub struct GeoIp {
    reader: Reader<Vec<u8>>,
}

impl std::fmt::Debug for GeoIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoIp")
            .field("database_type", &self.reader.metadata().database_type)
            .finish()
    }
}

const COUNTRY: [PathElement<'static>; 2] = [PathElement::Key("country"), PathElement::Key("iso_code")];
const REGISTERED: [PathElement<'static>; 2] = [
    PathElement::Key("registered_country"),
    PathElement::Key("iso_code"),
];

impl GeoIp {
    /// Reads the database at `path` into memory.
    pub fn open(path: &Path) -> Result<GeoIp> {
        let reader = Reader::open_readfile(path).map_err(|e| IngestError::GeoIp {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Ok(GeoIp { reader })
    }

    /// The ISO 3166 code of the country `ip` is in (else where its block is registered), if the
    /// database knows it.
    pub fn country(&self, ip: IpAddr) -> Option<String> {
        let found = self.reader.lookup(ip).ok()?;
        found
            .decode_path::<String>(&COUNTRY)
            .ok()
            .flatten()
            .or_else(|| found.decode_path::<String>(&REGISTERED).ok().flatten())
    }

    /// Adds `parapet.geo.country` to a CloudTrail event whose `sourceIPAddress` is an address
    /// the database knows (calls made by AWS services carry a host name there, and get nothing).
    pub fn enrich(&self, e: &mut Event<'_>) {
        if e.source != Source::CloudTrail {
            return;
        }
        let Some(ip) = e.source_ip().and_then(|s| s.parse::<IpAddr>().ok()) else {
            return;
        };
        let Some(country) = self.country(ip) else {
            return;
        };
        if let Value::Object(m) = &mut e.value {
            m.insert(
                "parapet".into(),
                serde_json::json!({ "geo": { "country": country } }),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> GeoIp {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/geoip/test-country.mmdb");
        GeoIp::open(&path).expect("test database")
    }

    #[test]
    fn addresses_get_their_country_and_records_their_field() {
        let g = db();
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        assert_eq!(g.country(ip("203.0.113.9")).as_deref(), Some("JP"));
        assert_eq!(g.country(ip("198.51.100.200")).as_deref(), Some("US"));
        assert_eq!(g.country(ip("8.8.8.8")), None);
        assert_eq!(g.country(ip("2001:db8::1")), None);
        let text = r#"{"eventName":"ConsoleLogin","sourceIPAddress":"192.0.2.7"}"#;
        let mut e = Event::parse(text).expect("event");
        g.enrich(&mut e);
        assert_eq!(e.value["parapet"]["geo"]["country"], "RU");
        let text = r#"{"eventName":"AssumeRole","sourceIPAddress":"sts.amazonaws.com"}"#;
        let mut e = Event::parse(text).expect("event");
        g.enrich(&mut e);
        assert!(e.value.get("parapet").is_none());
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused_with_its_path() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("bad.mmdb");
        std::fs::write(&p, b"not a database").expect("write");
        let e = GeoIp::open(&p).expect_err("refused");
        assert!(e.to_string().contains("bad.mmdb"), "{e}");
    }
}
