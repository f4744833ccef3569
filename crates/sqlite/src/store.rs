//! `CallStore` on SQLite: each port method is one blocking task on one connection;
//! every commit is one `BEGIN IMMEDIATE` transaction.

use diesel::sqlite::SqliteConnection;
use stickycalls_domain::accounts::Purged;
use stickycalls_domain::calls::{CallId, CallRecord};
use stickycalls_domain::credits::{BillingPolicy, InsufficientCredits};
use stickycalls_domain::identity::{CustomerRef, Evidence, IdentityHints};
use stickycalls_domain::ports::PurgeCutoffs;
use stickycalls_domain::ports::{
    CallStore, CommitEndError, CommitStartError, CustomerContext, EndCommit, EndReceipt, Purge,
    StartCommit, StartReceipt, StartSnapshot,
};
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::variables::check_live_limit;
use stickycalls_domain::webhooks::end_events;
use stickycalls_domain::{StoreError, Timestamp, ValidationError};

use crate::errors::from_diesel;
use crate::pool::SqliteStore;
use crate::{calls, credits, evidence, outbox, tenant_key};

/// Why a commit rolled back.
enum Abort {
    Query(diesel::result::Error),
    CallIdTaken,
    AlreadyEnded,
    Insufficient(InsufficientCredits),
    Refused(ValidationError),
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Abort::Query(e)
    }
}

impl From<credits::DebitError> for Abort {
    fn from(e: credits::DebitError) -> Self {
        match e {
            credits::DebitError::Query(e) => Abort::Query(e),
            credits::DebitError::Insufficient(e) => Abort::Insufficient(e),
        }
    }
}

fn read<R: Send + 'static>(
    store: &SqliteStore,
    task: impl FnOnce(&mut SqliteConnection) -> diesel::QueryResult<R> + Send + 'static,
) -> impl Future<Output = Result<R, StoreError>> + Send + '_ {
    store.run(move |c| task(c).map_err(from_diesel))
}

fn start_tx(
    c: &mut SqliteConnection, tenant_id: TenantId, commit: &StartCommit, policy: &dyn BillingPolicy,
) -> Result<StartReceipt, Abort> {
    let key = tenant_key(&tenant_id);
    let tenant = key.as_str();
    let call = &commit.call;
    if commit.create_customer {
        calls::ensure_customer(c, tenant, &call.customer, call.started_at)?;
    }
    if !calls::insert_call(c, tenant, call)? {
        return Err(Abort::CallIdTaken);
    }
    if commit.link_hints {
        calls::link_hints(
            c,
            tenant,
            &call.customer,
            &call.hints,
            &commit.sealed_links,
            call.line_type,
            call.started_at,
        )?;
    }
    let context = if commit.read_context {
        calls::customer_context(c, tenant, &call.customer, call.started_at)?
    } else {
        CustomerContext::default()
    };
    let credits_remaining = match commit.charge {
        Some(charge) => {
            let (left, events) = credits::debit(
                c,
                (tenant, tenant_id),
                charge,
                &call.call_id,
                policy,
                call.started_at,
            )?;
            outbox::write(c, tenant, &events)?;
            Some(left)
        }
        None if commit.report_balance => {
            Some(credits::remaining(c, tenant, policy, call.started_at)?)
        }
        None => None,
    };
    Ok(StartReceipt {
        context,
        credits_remaining,
    })
}

fn end_tx(
    c: &mut SqliteConnection, tenant_id: TenantId, commit: &EndCommit, policy: &dyn BillingPolicy,
) -> Result<EndReceipt, Abort> {
    let key = tenant_key(&tenant_id);
    let tenant = key.as_str();
    let call = &commit.call;
    let customer = &call.customer;
    let now = call.ended.as_ref().map_or(call.started_at, |e| e.ended_at);
    let mut events = match commit.charge {
        Some(charge) => {
            credits::debit(c, (tenant, tenant_id), charge, &call.call_id, policy, now)?.1
        }
        None => Vec::new(),
    };
    if commit.create_customer {
        calls::ensure_customer(c, tenant, customer, now)?;
    }
    if commit.standalone {
        if !calls::insert_call(c, tenant, call)? {
            return Err(Abort::CallIdTaken);
        }
    } else if !calls::end_call(c, tenant, call)? {
        return Err(Abort::AlreadyEnded);
    }
    if let Some(provisional) = &commit.fold_provisional {
        calls::fold(c, tenant, provisional, customer, &call.call_id)?;
    }
    calls::link_hints(
        c,
        tenant,
        customer,
        &commit.link,
        &commit.sealed_links,
        commit.line_type,
        now,
    )?;
    if let Some(confirmed) = commit.confirmation {
        calls::confirm_link(c, tenant, customer, &commit.link, confirmed)?;
    }
    let (intents_updated, before) = match &commit.intent {
        Some(write) => calls::apply_intent(c, tenant, customer, write)?,
        None => (0, None),
    };
    if !commit.variables.is_empty() {
        let live = calls::live_keys(c, tenant, customer, now)?;
        check_live_limit(live.iter().map(String::as_str), &commit.variables)
            .map_err(Abort::Refused)?;
        calls::write_variables(c, tenant, customer, &commit.variables, now)?;
    }
    calls::set_intents_updated(c, tenant, &call.call_id, intents_updated)?;
    let intent = commit.intent.as_ref().map(|w| (w, before.as_ref()));
    events.extend(end_events(tenant_id, call, intent));
    outbox::write(c, tenant, &events)?;
    Ok(EndReceipt { intents_updated })
}

impl CallStore for SqliteStore {
    /// SQLite's commit is its own `BEGIN IMMEDIATE` transaction: nothing to hold.
    type StartTx = ();

    async fn load_start(
        &self, tenant: &TenantId, call_id: &CallId, hints: &IdentityHints,
    ) -> Result<(StartSnapshot, ()), StoreError> {
        let (key, call_id, hints) = (tenant_key(tenant), call_id.clone(), hints.clone());
        // On the writer, as its commit will be: the one connection whose cache stays warm.
        self.write(move |c| {
            let snapshot = StartSnapshot {
                call: calls::find_call(c, &key, &call_id).map_err(from_diesel)?,
                evidence: evidence::evidence(c, &key, &hints).map_err(from_diesel)?,
            };
            Ok::<_, StoreError>((snapshot, ()))
        })
        .await
    }

    async fn find_call(
        &self, tenant: &TenantId, call_id: &CallId,
    ) -> Result<Option<CallRecord>, StoreError> {
        let (key, call_id) = (tenant_key(tenant), call_id.clone());
        read(self, move |c| calls::find_call(c, &key, &call_id)).await
    }

    async fn gather_evidence(
        &self, tenant: &TenantId, hints: &IdentityHints,
    ) -> Result<Evidence, StoreError> {
        let (key, hints) = (tenant_key(tenant), hints.clone());
        read(self, move |c| evidence::evidence(c, &key, &hints)).await
    }

    async fn customer_context(
        &self, tenant: &TenantId, customer: &CustomerRef, now: Timestamp,
    ) -> Result<CustomerContext, StoreError> {
        let (key, customer) = (tenant_key(tenant), customer.clone());
        read(self, move |c| {
            calls::customer_context(c, &key, &customer, now)
        })
        .await
    }

    async fn commit_start(
        &self, tenant: &TenantId, _tx: (), commit: StartCommit,
    ) -> Result<StartReceipt, CommitStartError> {
        let (tenant, policy) = (*tenant, self.policy.clone());
        self.write(move |c| {
            c.immediate_transaction(|c| start_tx(c, tenant, &commit, policy.as_ref()))
                .map_err(|abort| match abort {
                    Abort::CallIdTaken => CommitStartError::CallIdTaken,
                    Abort::Insufficient(e) => CommitStartError::InsufficientCredits(e),
                    Abort::Query(e) => CommitStartError::Store(from_diesel(e)),
                    Abort::AlreadyEnded | Abort::Refused(_) => CommitStartError::Store(
                        StoreError::Unknown(anyhow::anyhow!("unexpected abort of a start")),
                    ),
                })
        })
        .await
    }

    async fn commit_end(
        &self, tenant: &TenantId, commit: EndCommit,
    ) -> Result<EndReceipt, CommitEndError> {
        let (tenant, policy) = (*tenant, self.policy.clone());
        self.write(move |c| {
            c.immediate_transaction(|c| end_tx(c, tenant, &commit, policy.as_ref()))
                .map_err(|abort| match abort {
                    Abort::CallIdTaken => CommitEndError::CallIdTaken,
                    Abort::AlreadyEnded => CommitEndError::AlreadyEnded,
                    Abort::Refused(e) => CommitEndError::Refused(e),
                    Abort::Query(e) => CommitEndError::Store(from_diesel(e)),
                    Abort::Insufficient(e) => CommitEndError::InsufficientCredits(e),
                })
        })
        .await
    }
}

impl Purge for SqliteStore {
    async fn purge_expired(&self, cutoffs: PurgeCutoffs) -> Result<Purged, StoreError> {
        self.write(move |c| {
            c.immediate_transaction(|c| calls::purge_expired(c, cutoffs))
                .map_err(from_diesel)
        })
        .await
    }
}
