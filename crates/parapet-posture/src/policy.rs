//! Reading IAM and resource policy documents: full administrative access, principals that let
//! anyone in, and S3's TLS-only deny. Documents are the JSON AWS returns (URL-decoded); one that
//! does not parse grants nothing here, and the caller says so.

use serde_json::Value;

/// The document, if it is JSON.
pub fn parse(doc: &str) -> Option<Value> {
    serde_json::from_str(doc).ok()
}

/// The statements: `Statement` as a list or a single object.
fn statements(doc: &Value) -> Vec<&Value> {
    match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => Vec::new(),
    }
}

/// A string, or a list of strings.
fn strings(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn effect(s: &Value, want: &str) -> bool {
    s.get("Effect").and_then(Value::as_str) == Some(want)
}

/// Whether the policy allows every action on every resource (Security Hub IAM.1): a statement
/// with `Effect: Allow`, `Action: "*"` (or `"*:*"`) and `Resource: "*"`.
pub fn grants_full_admin(doc: &Value) -> bool {
    statements(doc).into_iter().any(|s| {
        effect(s, "Allow")
            && strings(s.get("Action")).iter().any(|a| *a == "*" || *a == "*:*")
            && strings(s.get("Resource")).contains(&"*")
    })
}

/// Condition keys that narrow a `*` principal to known callers.
const NARROWING_KEYS: [&str; 9] = [
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceowner",
    "aws:principalorgid",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceip",
];

fn narrowed(s: &Value) -> bool {
    let Some(Value::Object(ops)) = s.get("Condition") else {
        return false;
    };
    ops.values().any(|keys| {
        keys.as_object().is_some_and(|k| {
            k.keys()
                .any(|k| NARROWING_KEYS.contains(&k.to_ascii_lowercase().as_str()))
        })
    })
}

fn principal_is_anyone(p: Option<&Value>) -> bool {
    match p {
        Some(Value::String(s)) => s == "*",
        Some(Value::Object(o)) => o.get("AWS").is_some_and(|v| strings(Some(v)).contains(&"*")),
        _ => false,
    }
}

/// The actions a policy allows to anyone (`Principal: "*"` or `{"AWS": "*"}`) with no
/// condition narrowing who; empty when there are none.
pub fn public_actions(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for s in statements(doc) {
        if effect(s, "Allow") && principal_is_anyone(s.get("Principal")) && !narrowed(s) {
            out.extend(strings(s.get("Action")).into_iter().map(str::to_string));
        }
    }
    out
}

/// Whether some statement denies requests that are not over TLS (`aws:SecureTransport` false)
/// to everyone: S3.5.
pub fn denies_insecure_transport(doc: &Value) -> bool {
    statements(doc).into_iter().any(|s| {
        effect(s, "Deny")
            && principal_is_anyone(s.get("Principal"))
            && s.get("Condition")
                .and_then(|c| c.get("Bool"))
                .and_then(Value::as_object)
                .and_then(|b| {
                    b.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("aws:SecureTransport"))
                        .map(|(_, v)| v)
                })
                .is_some_and(|v| match v {
                    Value::Bool(b) => !b,
                    Value::String(s) => s.eq_ignore_ascii_case("false"),
                    Value::Array(a) => a.iter().any(|x| x == "false" || x == &Value::Bool(false)),
                    _ => false,
                })
    })
}

/// CloudTrail calls that silence or change a trail.
const TRAIL_TAMPERING: [&str; 4] = [
    "cloudtrail:StopLogging",
    "cloudtrail:DeleteTrail",
    "cloudtrail:UpdateTrail",
    "cloudtrail:PutEventSelectors",
];

/// S3 calls that destroy or redirect delivered logs.
const BUCKET_TAMPERING: [&str; 5] = [
    "s3:DeleteObject",
    "s3:PutObject",
    "s3:DeleteBucket",
    "s3:PutBucketPolicy",
    "s3:PutLifecycleConfiguration",
];

/// IAM action patterns are case-insensitive and take `*` and `?`.
fn action_matches(pattern: &str, action: &str) -> bool {
    let (p, a) = (pattern.to_ascii_lowercase(), action.to_ascii_lowercase());
    parapet_model::detection::wildcard(&p.replace('?', "*"), &a)
}

/// What an Allow statement of the policy grants that could silence CloudTrail: trail calls
/// (`cloudtrail:StopLogging`, …) on any trail, and writes or deletes on one of `buckets` (or on
/// every resource); empty when none.
pub fn trail_tampering(doc: &Value, buckets: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in statements(doc).into_iter().filter(|s| effect(s, "Allow")) {
        let actions = strings(s.get("Action"));
        let resources = strings(s.get("Resource"));
        let grants = |target: &str| actions.iter().any(|a| action_matches(a, target));
        for t in TRAIL_TAMPERING {
            if grants(t) && !out.iter().any(|o| o == t) {
                out.push(t.to_string());
            }
        }
        let on_bucket = |b: &str| {
            resources.iter().any(|r| {
                *r == "*"
                    || action_matches(r, &format!("arn:aws:s3:::{b}"))
                    || action_matches(r, &format!("arn:aws:s3:::{b}/x"))
            })
        };
        for t in BUCKET_TAMPERING {
            for b in buckets.iter().filter(|b| on_bucket(b)) {
                let what = format!("{t} on {b}");
                if grants(t) && !out.contains(&what) {
                    out.push(what);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(s: &str) -> Value {
        parse(s).expect("json")
    }

    #[test]
    fn full_admin_public_principals_and_tls_only() {
        assert!(grants_full_admin(&doc(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#
        )));
        assert!(grants_full_admin(&doc(
            r#"{"Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":"*"},{"Effect":"Allow","Action":["*:*"],"Resource":["*"]}]}"#
        )));
        assert!(!grants_full_admin(&doc(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/*"}]}"#
        )));
        assert!(!grants_full_admin(&doc(
            r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#
        )));

        let public = doc(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        );
        assert_eq!(public_actions(&public), ["s3:GetObject"]);
        let aws_star = doc(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["lambda:InvokeFunction"]}]}"#,
        );
        assert_eq!(public_actions(&aws_star), ["lambda:InvokeFunction"]);
        let narrowed = doc(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}"#,
        );
        assert!(public_actions(&narrowed).is_empty());
        let account = doc(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:*"}]}"#,
        );
        assert!(public_actions(&account).is_empty());

        assert!(denies_insecure_transport(&doc(
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#
        )));
        assert!(denies_insecure_transport(&doc(
            r#"{"Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*","Condition":{"Bool":{"aws:SecureTransport":false}}}]}"#
        )));
        assert!(!denies_insecure_transport(&doc(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#
        )));
    }

    #[test]
    fn trail_tampering_grants() {
        let buckets = ["org-trail-logs".to_string()];
        let t = |s: &str| trail_tampering(&doc(s), &buckets);
        assert_eq!(
            t(
                r#"{"Statement":{"Effect":"Allow","Action":["cloudtrail:stop*","cloudtrail:Describe*"],"Resource":"*"}}"#
            ),
            ["cloudtrail:StopLogging"]
        );
        assert_eq!(
            t(
                r#"{"Statement":{"Effect":"Allow","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::org-trail-logs/*"}}"#
            ),
            ["s3:DeleteObject on org-trail-logs"]
        );
        assert!(t(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::other/*"}}"#
        )
        .is_empty());
        assert!(t(r#"{"Statement":{"Effect":"Deny","Action":"cloudtrail:*","Resource":"*"}}"#).is_empty());
        assert!(
            t(r#"{"Statement":{"Effect":"Allow","Action":"cloudtrail:LookupEvents","Resource":"*"}}"#)
                .is_empty()
        );
        assert_eq!(
            t(r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#).len(),
            9
        );
    }
}
