//! Accounts of the organisation and the directory that enriches events with their names.
//!
//! The directory is a snapshot: the account registry (Organizations sync, `parapet-registry`)
//! and `accounts.csv` both produce it, so enrichment code never knows the source.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// A 12-digit AWS account id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId([u8; 12]);

impl AccountId {
    /// Parses exactly twelve ASCII digits.
    pub fn parse(s: &str) -> Option<AccountId> {
        let b = s.as_bytes();
        if b.len() != 12 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mut a = [0u8; 12];
        a.copy_from_slice(b);
        Some(AccountId(a))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("000000000000")
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountId({})", self.as_str())
    }
}

impl serde::Serialize for AccountId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for AccountId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<AccountId, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        AccountId::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("expected a 12-digit account id, found {s:?}")))
    }
}

/// An account's state in AWS Organizations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountStatus {
    #[default]
    Active,
    Suspended,
    PendingClosure,
    Closed,
}

impl AccountStatus {
    /// The spelling Organizations uses (`ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`, `CLOSED`).
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "ACTIVE",
            AccountStatus::Suspended => "SUSPENDED",
            AccountStatus::PendingClosure => "PENDING_CLOSURE",
            AccountStatus::Closed => "CLOSED",
        }
    }

    pub fn parse(s: &str) -> Option<AccountStatus> {
        Some(match s.to_ascii_uppercase().as_str() {
            "ACTIVE" => AccountStatus::Active,
            "SUSPENDED" => AccountStatus::Suspended,
            "PENDING_CLOSURE" => AccountStatus::PendingClosure,
            "CLOSED" => AccountStatus::Closed,
            _ => return None,
        })
    }
}

impl fmt::Display for AccountStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What parapet knows about one account.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    pub team: String,
    pub env: String,
    pub owner: String,
    /// Organisational unit path, e.g. `Root/Workloads/Prod`.
    pub ou: String,
    /// Where this team wants its alerts (a channel name); empty when unknown.
    pub channel: String,
    /// The account's root e-mail address; empty when unknown.
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub status: AccountStatus,
    /// The id of the OU (or root) the account sits in; empty when unknown.
    #[serde(default)]
    pub ou_id: String,
    /// Every tag on the account (OU tags are not copied here).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

impl Account {
    /// An account known only by its id: every other field empty, status active.
    pub fn new(id: AccountId) -> Account {
        Account {
            id,
            name: String::new(),
            team: String::new(),
            env: String::new(),
            owner: String::new(),
            ou: String::new(),
            channel: String::new(),
            email: String::new(),
            status: AccountStatus::Active,
            ou_id: String::new(),
            tags: BTreeMap::new(),
        }
    }
}

/// The accounts known at one moment, by id.
#[derive(Clone, Debug, Default)]
pub struct AccountDirectory {
    accounts: HashMap<AccountId, Account>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccountsCsvError {
    #[error("line 1: the header must name the columns; expected at least `id` and `name`, found {found:?}")]
    Header { found: String },
    #[error("line {line}: {message}")]
    Row { line: usize, message: String },
}

impl AccountDirectory {
    pub fn new(accounts: impl IntoIterator<Item = Account>) -> AccountDirectory {
        AccountDirectory {
            accounts: accounts.into_iter().map(|a| (a.id, a)).collect(),
        }
    }

    pub fn get(&self, id: &AccountId) -> Option<&Account> {
        self.accounts.get(id)
    }

    pub fn get_str(&self, id: &str) -> Option<&Account> {
        AccountId::parse(id).and_then(|id| self.accounts.get(&id))
    }

    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Accounts sorted by id.
    pub fn accounts(&self) -> Vec<&Account> {
        let mut v: Vec<&Account> = self.accounts.values().collect();
        v.sort_by_key(|a| a.id);
        v
    }

    /// Parses `accounts.csv`: a header line naming the columns (`id,name,team,env,owner,ou`
    /// and optionally `channel`, in any order; `id` and `name` are required), then one account
    /// per line. Fields may be quoted with `"` (RFC 4180). Unknown columns are ignored.
    pub fn from_csv(text: &str) -> Result<AccountDirectory, AccountsCsvError> {
        let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
        let Some((_, header)) = lines.next() else {
            return Ok(AccountDirectory::default());
        };
        let header: Vec<String> = split_csv_line(header)
            .map_err(|message| AccountsCsvError::Row { line: 1, message })?
            .into_iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect();
        let col = |name: &str| header.iter().position(|h| h == name);
        let (Some(id_col), Some(name_col)) = (col("id").or(col("account_id")), col("name")) else {
            return Err(AccountsCsvError::Header {
                found: header.join(","),
            });
        };
        let optional = |name: &str| col(name);
        let (team, env, owner, ou, channel) = (
            optional("team"),
            optional("env"),
            optional("owner"),
            optional("ou"),
            optional("channel"),
        );
        let mut accounts = HashMap::new();
        for (idx, line) in lines {
            let line_no = idx + 1;
            let fields = split_csv_line(line).map_err(|message| AccountsCsvError::Row {
                line: line_no,
                message,
            })?;
            let get = |c: Option<usize>| -> String {
                c.and_then(|c| fields.get(c))
                    .map(|s| s.trim().to_string())
                    .unwrap_or_default()
            };
            let raw_id = get(Some(id_col));
            let id = AccountId::parse(&raw_id).ok_or_else(|| AccountsCsvError::Row {
                line: line_no,
                message: format!("field `id`: expected a 12-digit account id, found {raw_id:?}"),
            })?;
            let account = Account {
                name: get(Some(name_col)),
                team: get(team),
                env: get(env),
                owner: get(owner),
                ou: get(ou),
                channel: get(channel),
                ..Account::new(id)
            };
            if accounts.insert(id, account).is_some() {
                return Err(AccountsCsvError::Row {
                    line: line_no,
                    message: format!("account {id} is listed twice"),
                });
            }
        }
        Ok(AccountDirectory { accounts })
    }

    /// Writes the directory back as `accounts.csv` (the format [`Self::from_csv`] reads).
    pub fn to_csv(&self) -> String {
        let mut out = String::from("id,name,team,env,owner,ou,channel\n");
        for a in self.accounts() {
            let fields = [
                a.id.as_str(),
                &a.name,
                &a.team,
                &a.env,
                &a.owner,
                &a.ou,
                &a.channel,
            ];
            let quoted: Vec<String> = fields.iter().map(|f| quote_csv(f)).collect();
            out.push_str(&quoted.join(","));
            out.push('\n');
        }
        out
    }
}

fn quote_csv(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

fn split_csv_line(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = line.trim_end_matches('\r').chars().peekable();
    let mut in_quotes = false;
    while let Some(c) = chars.next() {
        match (in_quotes, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            (true, '"') => in_quotes = false,
            (false, '"') if cur.is_empty() => in_quotes = true,
            (false, ',') => fields.push(std::mem::take(&mut cur)),
            (_, c) => cur.push(c),
        }
    }
    if in_quotes {
        return Err("a quoted field is not closed".to_string());
    }
    fields.push(cur);
    Ok(fields)
}

/// How texts name an account: `name (id)`, or the id alone when the name is unknown or empty.
pub fn account_label(id: &str, name: Option<&str>) -> String {
    match name {
        Some(n) if !n.is_empty() => format!("{n} ({id})"),
        _ => id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids() {
        assert!(AccountId::parse("123456789012").is_some());
        assert!(AccountId::parse("12345678901").is_none());
        assert!(AccountId::parse("12345678901a").is_none());
        assert_eq!(
            AccountId::parse("000000000001").map(|a| a.to_string()).as_deref(),
            Some("000000000001")
        );
    }

    #[test]
    fn csv_round_trip_with_quotes() {
        let text = "id,name,team,env,owner,ou,channel\n\
                    111111111111,\"Payments, prod\",payments,prod,a@x.io,Root/Workloads,#pay\n\
                    222222222222,sandbox,\"the \"\"lab\"\"\",dev,,Root/Sandbox,\n";
        let dir = AccountDirectory::from_csv(text).expect("parses");
        assert_eq!(dir.len(), 2);
        let a = dir.get_str("111111111111").expect("present");
        assert_eq!(a.name, "Payments, prod");
        assert_eq!(a.channel, "#pay");
        assert_eq!(
            dir.get_str("222222222222").map(|a| a.team.as_str()),
            Some("the \"lab\"")
        );
        let again = AccountDirectory::from_csv(&dir.to_csv()).expect("round trip");
        assert_eq!(again.accounts(), dir.accounts());
    }

    #[test]
    fn csv_errors_name_line_and_field() {
        let err = AccountDirectory::from_csv("id,name\n123,short\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2: field `id`: expected a 12-digit account id, found \"123\""
        );
        let err = AccountDirectory::from_csv("account,team\n").unwrap_err();
        assert!(
            err.to_string().contains("expected at least `id` and `name`"),
            "{err}"
        );
        let err = AccountDirectory::from_csv("id,name\n111111111111,a\n111111111111,b\n").unwrap_err();
        assert_eq!(err.to_string(), "line 3: account 111111111111 is listed twice");
    }
}
