//! The operator's commands: accounts, keys, credits and plans, over the same domain
//! use cases the API calls. Output is JSON where a script reads it, a table where a
//! person does (`--json` for the listings).

use std::sync::Arc;

use anyhow::Context;
use stickycalls_billing::Catalog;
use stickycalls_domain::accounts::{AccountInfo, AccountService};
use stickycalls_domain::credits::{CreditSummary, SharedPolicy};
use stickycalls_domain::export::{ExportPage, ExportService};
use stickycalls_domain::keys::{KeyService, lookup_id_of};
use stickycalls_domain::ports::SharedVault;
use stickycalls_domain::ports::{
    Clock, CustomerStore, ExportStore, IdentityStore, RetentionStore, WebhookStore,
};
use stickycalls_domain::protection::{Rekeying, SealingMigration};
use stickycalls_domain::retention::RetentionService;
use stickycalls_domain::tenant::{AccountId, Environment, TenantId};
use stickycalls_domain::usage::Rollups;
use stickycalls_http_api::KeyDto;
use stickycalls_inbound::keys::Argon2Minter;

use crate::adapters::{Adapter, RandomIds, SystemClock};
use crate::cli::{AccountsCommand, ApiKeysCommand, CreditsCommand, PlansCommand};
use crate::settings::Settings;

/// The operator's use cases over an adapter's ports (the same functions the tests call).
type Operator<A> = AccountService<
    <A as stickycalls_inbound::Backend>::Store,
    <A as stickycalls_inbound::Backend>::Ledger,
    SystemClock,
    RandomIds,
    Argon2Minter,
>;

type Keys<A> = KeyService<<A as stickycalls_inbound::Backend>::Store, SystemClock, Argon2Minter>;

/// The account, key and retention use cases over one opened store.
pub(crate) struct Operators<A: Adapter> {
    pub accounts: Operator<A>,
    pub keys: Keys<A>,
    pub export: ExportService<<A as stickycalls_inbound::Backend>::Store, SystemClock>,
    pub retention: RetentionService<<A as stickycalls_inbound::Backend>::Store, SystemClock>,
    pub rollups: Rollups<<A as stickycalls_inbound::Backend>::Store, SystemClock>,
    pub sealing: SealingMigration<<A as stickycalls_inbound::Backend>::Store>,
    pub rekeying: Rekeying<<A as stickycalls_inbound::Backend>::Store>,
}

/// The plan catalog, with billing on or off as the settings say.
pub(crate) fn policy(settings: &Settings) -> SharedPolicy {
    Arc::new(Catalog::new(settings.billing_enabled))
}

/// Opens the store and wires the operator's use cases over it.
pub(crate) fn operator<A: Adapter>(
    db: &A::Settings, policy: SharedPolicy, vault: SharedVault,
) -> anyhow::Result<Operators<A>> {
    let (store, ledger) = A::open(db, policy)?;
    Ok(Operators {
        keys: KeyService::new(store.clone(), SystemClock, Argon2Minter),
        retention: RetentionService::new(store.clone(), SystemClock, vault.clone()),
        rollups: Rollups::new(store.clone(), SystemClock),
        sealing: SealingMigration::new(store.clone(), vault.clone()),
        rekeying: Rekeying::new(Arc::new(store.clone()), vault.clone()),
        export: ExportService::new(store.clone(), SystemClock, vault),
        accounts: AccountService::new(store, ledger, SystemClock, RandomIds, Argon2Minter),
    })
}

/// `stickycalls purge`: the server's periodic housekeeping, run once now.
pub(crate) async fn purge<A: Adapter>(op: &Operators<A>) -> anyhow::Result<()> {
    let purged = op.accounts.purge().await.context("the purge failed")?;
    let enforced = op
        .retention
        .enforce()
        .await
        .context("retention enforcement stopped (what it deleted stays deleted)")?;
    let rolled = op
        .rollups
        .roll_due()
        .await
        .context("rolling up settled days stopped (the days rolled stay rolled)")?;
    print_json(&serde_json::json!({
        "expired": {
            "variables": purged.variables, "intents": purged.intents,
            "responses": purged.responses, "sessions": purged.sessions,
        },
        "retention": {
            "calls": enforced.calls, "customers": enforced.customers,
            "webhook_events": enforced.webhook_events, "closed_rows": enforced.closed_rows,
        },
        "rolled_days": rolled,
    }));
    Ok(())
}

/// `stickycalls seal`: the sealing of values stored in clear, run now to the end.
pub(crate) async fn seal<A: Adapter>(op: &Operators<A>) -> anyhow::Result<()> {
    let done = op
        .sealing
        .run(|_, _| {})
        .await
        .context("sealing stopped (what it sealed stays sealed; run it again to go on)")?;
    print_json(&serde_json::json!({
        "sealed": { "variables": done.variables, "calls": done.calls, "links": done.links },
        "unreadable": { "calls": done.calls_unreadable },
    }));
    Ok(())
}

/// `stickycalls keys rotate-tenant`: a tenant's data keys rotated, to the end.
pub(crate) async fn rotate_tenant<A: Adapter>(
    tenant: &TenantId, op: &Operators<A>,
) -> anyhow::Result<()> {
    op.accounts.find(tenant.account).await?;
    let settle = stickycalls_vault::rotation::settle();
    let done = op
        .rekeying
        .rotate(
            tenant,
            || tokio::time::sleep(settle),
            |done| {
                tracing::info!(
                    customers = done.customers,
                    variables = done.variables,
                    links = done.links,
                    calls = done.calls,
                    "data key rotation in progress"
                );
            },
        )
        .await
        .context(
            "the rotation stopped (what it re-sealed stays re-sealed; run it again to go on)",
        )?;
    print_json(&serde_json::to_value(done)?);
    Ok(())
}

pub(crate) async fn accounts<A: Adapter>(
    command: AccountsCommand, op: &Operators<A>,
) -> anyhow::Result<()> {
    match command {
        AccountsCommand::Create { name, email } => {
            let opened = op
                .accounts
                .open(&name, email.as_deref())
                .await
                .context("cannot create the account")?;
            print_json(&serde_json::json!({
                "account_id": opened.id.to_string(),
                "keys": {"test": opened.test_key.expose(), "prod": opened.prod_key.expose()},
            }));
        }
        AccountsCommand::Export {
            account,
            environment,
        } => {
            op.accounts.find(AccountId(account)).await?;
            export(
                &op.export,
                &TenantId {
                    account: AccountId(account),
                    environment,
                },
            )
            .await?;
        }
        AccountsCommand::List { json } => {
            let accounts = op.accounts.list().await.context("cannot list accounts")?;
            if json {
                let listed: Vec<_> = accounts.iter().map(account_json).collect();
                print_json(&serde_json::json!({ "accounts": listed }));
            } else {
                print_table(
                    &["ACCOUNT", "CREATED", "NAME", "EMAIL"],
                    accounts.iter().map(|a| {
                        vec![
                            a.id.to_string(),
                            a.created_at.to_string(),
                            a.name.clone(),
                            a.email.clone().unwrap_or_default(),
                        ]
                    }),
                );
            }
        }
    }
    Ok(())
}

/// Writes the tenant's export to stdout, a page at a time.
async fn export<S, C>(service: &ExportService<S, C>, tenant: &TenantId) -> anyhow::Result<()>
where
    S: ExportStore + CustomerStore + IdentityStore + RetentionStore + WebhookStore,
    C: Clock,
{
    use std::io::Write;
    use stickycalls_inbound::export_stream::{customer_line, end_line, head_lines, ledger_line};
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let (head, mut cursor) = service
        .begin(tenant)
        .await
        .context("cannot read the account")?;
    let exported_at = head.exported_at.to_string();
    out.write_all(head_lines(head)?.as_bytes())?;
    let (mut customers, mut entries) = (0, 0);
    while let Some((page, next)) = service
        .page(tenant, cursor)
        .await
        .context("the export stopped")?
    {
        match page {
            ExportPage::Customers(people) => {
                customers += people.len();
                for p in people {
                    out.write_all(customer_line(p, &exported_at)?.as_bytes())?;
                }
            }
            ExportPage::Ledger(lines) => {
                entries += lines.len();
                for l in lines {
                    out.write_all(ledger_line(l)?.as_bytes())?;
                }
            }
        }
        cursor = next;
    }
    out.write_all(end_line(customers, entries)?.as_bytes())?;
    out.flush()?;
    Ok(())
}

fn account_json(a: &AccountInfo) -> serde_json::Value {
    serde_json::json!({
        "id": a.id.to_string(), "name": a.name, "email": a.email,
        "created_at": a.created_at.to_string(),
        "closed_at": a.closed_at.map(|t| t.to_string()),
    })
}

pub(crate) async fn keys<A: Adapter>(
    command: ApiKeysCommand, op: &Operators<A>,
) -> anyhow::Result<()> {
    let tenant = |account, environment| TenantId {
        account: AccountId(account),
        environment,
    };
    match command {
        ApiKeysCommand::Create {
            account,
            environment,
            name,
        } => {
            op.accounts.find(AccountId(account)).await?;
            let created = op
                .keys
                .create(&tenant(account, environment), &name, None)
                .await
                .context("cannot create the key")?;
            let mut shown = serde_json::to_value(KeyDto::from(created.info))?;
            shown["key"] = created.token.expose().into();
            print_json(&shown);
        }
        ApiKeysCommand::List {
            account,
            environment,
            json,
        } => {
            op.accounts.find(AccountId(account)).await?;
            let mut listed = Vec::new();
            for env in [Environment::Test, Environment::Prod] {
                if environment.is_none_or(|wanted| wanted == env) {
                    let keys = op.keys.list(&tenant(account, env)).await?;
                    listed.extend(keys.into_iter().map(KeyDto::from));
                }
            }
            if json {
                print_json(&serde_json::json!({ "keys": listed }));
            } else {
                print_table(
                    &[
                        "KEY",
                        "ENV",
                        "PREFIX",
                        "LAST4",
                        "CREATED",
                        "LAST USED",
                        "NAME",
                    ],
                    listed.into_iter().map(|k| {
                        vec![
                            k.id,
                            k.environment.to_owned(),
                            k.prefix,
                            k.last4,
                            k.created_at,
                            k.last_used_at.unwrap_or_else(|| "never".into()),
                            k.name,
                        ]
                    }),
                );
            }
        }
        ApiKeysCommand::Revoke {
            account,
            environment,
            key,
        } => {
            op.accounts.find(AccountId(account)).await?;
            let lookup_id = lookup_id_of(&key)
                .with_context(|| format!("`{key}` is not a key id (key_ and 16 hex digits)"))?;
            op.keys
                .revoke(&tenant(account, environment), lookup_id)
                .await
                .with_context(|| format!("cannot revoke {key}"))?;
            print_json(&serde_json::json!({ "revoked": key }));
        }
    }
    Ok(())
}

pub(crate) async fn credits<A: Adapter>(
    command: CreditsCommand, op: &Operators<A>,
) -> anyhow::Result<()> {
    let CreditsCommand::Grant {
        account,
        environment,
        amount,
    } = command;
    let tenant = TenantId {
        account: AccountId(account),
        environment,
    };
    let state = op
        .accounts
        .grant_credits(&tenant, amount)
        .await
        .context("cannot grant credits")?;
    print_credits(&account, environment, &state);
    Ok(())
}

pub(crate) async fn plans<A: Adapter>(
    command: PlansCommand, op: &Operators<A>,
) -> anyhow::Result<()> {
    let PlansCommand::Set {
        account,
        plan,
        allowance,
    } = command;
    let changed = op
        .accounts
        .set_plan(AccountId(account), plan.as_str(), allowance)
        .await
        .context("cannot set the plan")?;
    for (environment, state) in changed {
        print_credits(&account, environment, &state);
    }
    Ok(())
}

pub(crate) fn print_json(value: &serde_json::Value) {
    say(&value.to_string());
}

/// A line on stdout; a closed stdout is not an error worth stopping a server for.
pub(crate) fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Columns padded to their widest cell, separated by two spaces.
fn print_table(header: &[&str], rows: impl Iterator<Item = Vec<String>>) {
    let rows: Vec<Vec<String>> = std::iter::once(header.iter().map(|h| (*h).to_owned()).collect())
        .chain(rows)
        .collect();
    let mut widths = vec![0; header.len()];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        say(line.join("  ").trim_end());
    }
}

fn print_credits(account: &uuid::Uuid, environment: Environment, state: &CreditSummary) {
    print_json(&serde_json::json!({
        "account_id": account.to_string(), "environment": environment.as_str(), "plan": state.plan,
        "allowance": state.allowance, "allowance_left": state.allowance_left, "top_up_balance": state.top_up,
        "period_start": state.period_start.to_string(), "period_end": state.period_end.to_string(),
    }));
}
