//! Reading AWS Organizations into an [`OrgSnapshot`]: the organisation, the OU tree (walked
//! from the roots), each unit's accounts, the tags of every account and OU, and the delegated
//! administrators. Run from the management account or a delegated administrator.

use std::collections::BTreeMap;

use aws_sdk_organizations::Client;
use parapet_model::{AccountId, AccountStatus, DelegatedAdmin, OrgAccount, OrgInfo, OrgSnapshot, OrgUnit};

use crate::{api_error, runtime, sdk_config, AwsError, AwsSettings};

/// Reads the whole organisation (blocking; runs the SDK on its own runtime).
pub fn read_organization(settings: &AwsSettings) -> Result<OrgSnapshot, AwsError> {
    let rt = runtime("parapet-org")?;
    rt.block_on(async {
        let config = sdk_config(settings).await;
        read(&Client::new(&config)).await
    })
}

async fn read(client: &Client) -> Result<OrgSnapshot, AwsError> {
    let org = client
        .describe_organization()
        .send()
        .await
        .map_err(|e| api_error("organizations:DescribeOrganization", e))?;
    let org = org.organization().ok_or_else(|| AwsError::Api {
        call: "organizations:DescribeOrganization".into(),
        message: "the answer has no organization".into(),
    })?;
    let management = org.master_account_id().unwrap_or_default();
    let management_account_id = AccountId::parse(management).ok_or_else(|| AwsError::Api {
        call: "organizations:DescribeOrganization".into(),
        message: format!("MasterAccountId {management:?} is not a 12-digit account id"),
    })?;
    let info = OrgInfo {
        id: org.id().unwrap_or_default().to_string(),
        arn: org.arn().unwrap_or_default().to_string(),
        feature_set: org
            .feature_set()
            .map(|f| f.as_str().to_string())
            .unwrap_or_default(),
        management_account_id,
        management_account_email: org.master_account_email().unwrap_or_default().to_string(),
    };

    let pages = client
        .list_roots()
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| api_error("organizations:ListRoots", e))?;
    let mut units: Vec<OrgUnit> = pages
        .iter()
        .flat_map(|p| p.roots())
        .map(|r| OrgUnit {
            id: r.id().unwrap_or_default().to_string(),
            name: r.name().unwrap_or("Root").to_string(),
            parent_id: None,
            tags: BTreeMap::new(),
        })
        .collect();
    // Breadth-first: every unit's children, then every unit's accounts.
    let mut next = 0;
    while next < units.len() {
        let parent = units[next].id.clone();
        next += 1;
        let pages = client
            .list_organizational_units_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| {
                api_error(
                    &format!("organizations:ListOrganizationalUnitsForParent {parent}"),
                    e,
                )
            })?;
        for c in pages.iter().flat_map(|p| p.organizational_units()) {
            units.push(OrgUnit {
                id: c.id().unwrap_or_default().to_string(),
                name: c.name().unwrap_or_default().to_string(),
                parent_id: Some(parent.clone()),
                tags: BTreeMap::new(),
            });
        }
    }
    let mut accounts = Vec::new();
    for unit in &units {
        let pages = client
            .list_accounts_for_parent()
            .parent_id(&unit.id)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| api_error(&format!("organizations:ListAccountsForParent {}", unit.id), e))?;
        for a in pages.iter().flat_map(|p| p.accounts()) {
            let raw_id = a.id().unwrap_or_default();
            let Some(id) = AccountId::parse(raw_id) else {
                tracing::warn!(
                    account = raw_id,
                    "Organizations listed an account id that is not 12 digits; skipped"
                );
                continue;
            };
            accounts.push(OrgAccount {
                id,
                name: a.name().unwrap_or_default().to_string(),
                email: a.email().unwrap_or_default().to_string(),
                status: account_status(a),
                joined_method: a
                    .joined_method()
                    .map(|m| m.as_str().to_string())
                    .unwrap_or_default(),
                joined_ms: a.joined_timestamp().and_then(|t| t.to_millis().ok()),
                parent_id: unit.id.clone(),
                tags: BTreeMap::new(),
            });
        }
    }
    for unit in &mut units {
        unit.tags = tags(client, &unit.id).await?;
    }
    for account in &mut accounts {
        account.tags = tags(client, account.id.as_str()).await?;
    }
    accounts.sort_by_key(|a| a.id);

    let admins = client
        .list_delegated_administrators()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| api_error("organizations:ListDelegatedAdministrators", e))?;
    let mut delegated_administrators = Vec::new();
    for admin in admins {
        let Some(account_id) = admin.id().and_then(AccountId::parse) else {
            continue;
        };
        let services = client
            .list_delegated_services_for_account()
            .account_id(account_id.as_str())
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| {
                api_error(
                    &format!("organizations:ListDelegatedServicesForAccount {account_id}"),
                    e,
                )
            })?;
        let mut services: Vec<String> = services
            .iter()
            .filter_map(|s| s.service_principal().map(String::from))
            .collect();
        services.sort();
        delegated_administrators.push(DelegatedAdmin { account_id, services });
    }
    Ok(OrgSnapshot {
        organization: info,
        organizational_units: units,
        accounts,
        delegated_administrators,
    })
}

/// `State` (current) else `Status` (retired by AWS in September 2026, still sent by older
/// endpoints and moto).
#[allow(deprecated)]
fn account_status(a: &aws_sdk_organizations::types::Account) -> AccountStatus {
    let raw = a
        .state()
        .map(|s| s.as_str())
        .or_else(|| a.status().map(|s| s.as_str()))
        .unwrap_or("ACTIVE");
    match raw {
        "PENDING_ACTIVATION" => AccountStatus::Active,
        other => AccountStatus::parse(other).unwrap_or_else(|| {
            tracing::warn!(
                account = a.id().unwrap_or_default(),
                state = other,
                "unknown account state; taken as ACTIVE"
            );
            AccountStatus::Active
        }),
    }
}

async fn tags(client: &Client, resource: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let tags = client
        .list_tags_for_resource()
        .resource_id(resource)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| api_error(&format!("organizations:ListTagsForResource {resource}"), e))?;
    Ok(tags
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}
