//! Sign-in and credential-misuse scenarios: root sign-in, brute force, no MFA, denied bursts.

use super::builder::{Builder, Call, Caller, Who, CLI};
use crate::principals::{Class, CONSOLE_AGENT};
use crate::scenarios::Effect;
use crate::signin::{failed_identity, iam_user_login_identity, root_identity, HIDDEN_USER};

/// The root user signs in to the console and looks around.
pub(super) fn root_console_login(b: &mut Builder<'_, '_>, t: i64) -> (u8, String, String) {
    let ctx = b.ctx;
    let id = ctx.id;
    let g = ctx.global_region;
    let ip = if b.rng.chance(0.5) {
        b.outside_ip()
    } else {
        "203.0.113.10".to_string()
    };
    let mfa = b.rng.chance(0.6);
    let device = format!("arn:aws:iam::{id}:mfa/root-account-mfa-device");
    b.login(
        t,
        &root_identity(id),
        &ip,
        true,
        mfa,
        mfa.then_some(device.as_str()),
    );
    b.effects.push(Effect::RootSignIn { t, ip: ip.clone() });
    let root = Caller {
        who: Who::Root,
        arn: format!("arn:aws:iam::{id}:root"),
        ip,
        agent: CONSOLE_AGENT,
    };
    let follow = b.rng.range(1, 2);
    for (k, name) in ["GetAccountSummary", "ListUsers"]
        .into_iter()
        .take(follow as usize)
        .enumerate()
    {
        b.call(
            t + 40 + 30 * k as i64,
            g,
            &root,
            Call {
                source: "iam.amazonaws.com",
                name,
                read_only: true,
                host: "iam.amazonaws.com".into(),
                ..Call::default()
            },
        );
    }
    (
        g,
        root.arn,
        format!(
            "root user signed in to the console ({} MFA) and used the account",
            if mfa { "with" } else { "without" }
        ),
    )
}

/// Three to six failed sign-ins for one user name within four minutes.
pub(super) fn console_login_failures(b: &mut Builder<'_, '_>, t: i64) -> (u8, String, String) {
    let ctx = b.ctx;
    let id = ctx.id;
    let g = ctx.global_region;
    let ip = b.outside_ip();
    let users = &ctx.principals.console_users;
    let (user, pid) = if b.rng.chance(0.25) {
        (HIDDEN_USER.to_string(), None)
    } else if !users.is_empty() && b.rng.chance(0.6) {
        let a = &ctx.principals.actors[usize::from(users[0])];
        (a.name.clone(), Some(a.resource.clone()))
    } else {
        let name = b
            .rng
            .pick(&["admin", "administrator", "devops", "breakglass"])
            .to_string();
        (name, Some(format!("AIDA{}", b.rng.upper_alnum(17))))
    };
    let n = b.rng.range(3, 6);
    let mut offsets: Vec<i64> = (0..n).map(|_| b.rng.below(240) as i64).collect();
    offsets.sort_unstable();
    offsets[0] = 0;
    let identity = failed_identity(id, &user, pid.as_deref());
    for o in offsets {
        b.login(t + o, &identity, &ip, false, false, None);
    }
    (
        g,
        user,
        format!("{n} failed console sign-ins within 4 minutes from {ip}"),
    )
}

/// An IAM user signs in to the console with a password only.
pub(super) fn console_login_without_mfa(b: &mut Builder<'_, '_>, t: i64) -> (u8, String, String) {
    let ctx = b.ctx;
    let id = ctx.id;
    let g = ctx.global_region;
    let users = &ctx.principals.console_users;
    let (user, pid, ip) = if let Some(&u) = users.first() {
        let a = &ctx.principals.actors[usize::from(u)];
        (a.name.clone(), a.resource.clone(), a.ips[0].clone())
    } else {
        let p = &ctx.org.people[b.rng.index(ctx.org.people.len())];
        (
            p.user.clone(),
            format!("AIDA{}", b.rng.upper_alnum(17)),
            "198.51.100.77".to_string(),
        )
    };
    b.login(
        t,
        &iam_user_login_identity(id, &user, &pid),
        &ip,
        true,
        false,
        None,
    );
    (
        g,
        format!("arn:aws:iam::{id}:user/{user}"),
        format!("IAM user {user} signed in to the console without MFA"),
    )
}

/// Ten to fifteen AccessDenied errors for one principal within four minutes.
pub(super) fn access_denied_burst(b: &mut Builder<'_, '_>, t: i64) -> (u8, String, String) {
    let ctx = b.ctx;
    let id = ctx.id;
    let g = ctx.global_region;
    let c = if b.rng.chance(0.5) {
        b.outsider()
    } else {
        let workloads = &ctx.principals.by_class[Class::Workload as usize];
        match workloads.first() {
            Some(&w) => {
                let a = &ctx.principals.actors[usize::from(w)];
                Caller {
                    who: Who::Actor(w),
                    arn: a.arn.clone(),
                    ip: b.outside_ip(),
                    agent: CLI,
                }
            }
            None => b.outsider(),
        }
    };
    let calls: [(&str, &str, &str); 9] = [
        ("iam.amazonaws.com", "ListUsers", "iam:ListUsers"),
        ("iam.amazonaws.com", "ListRoles", "iam:ListRoles"),
        ("iam.amazonaws.com", "ListPolicies", "iam:ListPolicies"),
        (
            "iam.amazonaws.com",
            "GetAccountAuthorizationDetails",
            "iam:GetAccountAuthorizationDetails",
        ),
        ("iam.amazonaws.com", "ListAccessKeys", "iam:ListAccessKeys"),
        ("iam.amazonaws.com", "ListGroups", "iam:ListGroups"),
        (
            "iam.amazonaws.com",
            "ListAttachedUserPolicies",
            "iam:ListAttachedUserPolicies",
        ),
        ("s3.amazonaws.com", "ListBuckets", "s3:ListAllMyBuckets"),
        ("iam.amazonaws.com", "GetAccountSummary", "iam:GetAccountSummary"),
    ];
    let n = b.rng.range(10, 16);
    let mut offsets: Vec<i64> = (0..n).map(|_| b.rng.below(240) as i64).collect();
    offsets.sort_unstable();
    offsets[0] = 0;
    for (k, o) in offsets.into_iter().enumerate() {
        let (source, name, action) = calls[(k + b.rng.index(2)) % calls.len()];
        let s3 = source.starts_with("s3");
        let resource = if s3 {
            "*".to_string()
        } else {
            format!("arn:aws:iam::{id}:*")
        };
        b.call(t + o, g, &c, Call {
            source,
            name,
            read_only: true,
            request: s3.then(|| r#"{"Host":"s3.amazonaws.com"}"#.to_string()),
            error: Some(("AccessDenied", format!(
                "User: {} is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action",
                c.arn
            ))),
            host: if s3 { "s3.amazonaws.com".into() } else { "iam.amazonaws.com".into() },
            ..Call::default()
        });
    }
    (
        g,
        c.arn,
        format!(
            "{n} AccessDenied errors across IAM and S3 within 4 minutes from {}",
            c.ip
        ),
    )
}
