//! `/v1/customers`: search by number or external id, read (free, no call recorded),
//! export, erase, and direct variable writes. Every route is scoped to the key's
//! tenant: another tenant's or environment's customer answers 404.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Map, Value};
use stickycalls_domain::customers::{CustomerLookup, CustomerRecord};
use stickycalls_domain::identity::CustomerRef;
use stickycalls_domain::ports::{CallStore, Clock, CustomerStore, WriteVariablesError};
use stickycalls_domain::variables::{VariableWrite, parse_variables};

use crate::auth::Auth;
use crate::customer_dto::{CustomerDto, CustomerExport, CustomerSearchResponse, VariableWritten};
use crate::error::ApiError;
use crate::{AppState, Backend};

/// Most customers a search returns.
pub const MAX_SEARCH_RESULTS: usize = 20;

fn customer_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "customer_not_found",
        "No such customer",
    )
}

fn customer_ref(text: &str) -> Result<CustomerRef, ApiError> {
    CustomerRef::parse(text, "customer_ref").map_err(ApiError::from)
}

#[derive(Debug, Deserialize)]
pub(crate) struct SearchQuery {
    ani: Option<String>,
    external_id: Option<String>,
}

pub(crate) async fn search<B: Backend>(
    state: web::Data<AppState<B>>,
    auth: Auth<B>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.0.0;
    let lookup = match (query.ani.as_deref(), query.external_id.as_deref()) {
        (Some(ani), None) => CustomerLookup::ani(ani, &tenant.policy.ani)?,
        (None, Some(id)) => CustomerLookup::external_id(id)?,
        _ => {
            return Err(ApiError::invalid(
                vec![],
                "give exactly one of `ani` or `external_id` (`namespace:value`)",
            ));
        }
    };
    let store = state.calls.store();
    let now = state.calls.clock().now();
    let mut customers = Vec::new();
    for found in store
        .find_customers(&tenant.id, &lookup, MAX_SEARCH_RESULTS)
        .await?
    {
        if let Some(record) = store.customer_record(&tenant.id, &found).await? {
            customers.push(CustomerDto::from(record.view(now)));
        }
    }
    Ok(HttpResponse::Ok().json(CustomerSearchResponse { customers }))
}

/// The record of the customer named in the path, in the key's tenant, or 404.
async fn record_of<B: Backend>(
    state: &AppState<B>,
    auth: &Auth<B>,
    path: &str,
) -> Result<(CustomerRef, CustomerRecord), ApiError> {
    let who = customer_ref(path)?;
    let record = state
        .calls
        .store()
        .customer_record(&auth.0.0.id, &who)
        .await?
        .ok_or_else(customer_not_found)?;
    Ok((who, record))
}

pub(crate) async fn read<B: Backend>(
    state: web::Data<AppState<B>>,
    auth: Auth<B>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (_, record) = record_of(&state, &auth, &path).await?;
    let now = state.calls.clock().now();
    Ok(HttpResponse::Ok().json(CustomerDto::from(record.view(now))))
}

pub(crate) async fn export<B: Backend>(
    state: web::Data<AppState<B>>,
    auth: Auth<B>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (who, record) = record_of(&state, &auth, &path).await?;
    let now = state.calls.clock().now();
    tracing::info!(customer_ref = %who, "customer exported");
    Ok(HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{}.json\"", who.as_str()),
        ))
        .json(CustomerExport::new(record, now.to_string())))
}

pub(crate) async fn erase<B: Backend>(
    state: web::Data<AppState<B>>,
    auth: Auth<B>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let who = customer_ref(&path)?;
    if !state
        .calls
        .store()
        .erase_customer(&auth.0.0.id, &who)
        .await?
    {
        return Err(customer_not_found());
    }
    tracing::info!(customer_ref = %who, "customer erased");
    Ok(HttpResponse::NoContent().finish())
}

fn write_error(e: WriteVariablesError) -> ApiError {
    match e {
        WriteVariablesError::CustomerNotFound => customer_not_found(),
        WriteVariablesError::Refused(e) => e.into(),
        WriteVariablesError::Store(e) => e.into(),
    }
}

pub(crate) async fn put_variable<B: Backend>(
    state: web::Data<AppState<B>>,
    auth: Auth<B>,
    path: web::Path<(String, String)>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let (who, key) = path.into_inner();
    let who = customer_ref(&who)?;
    let body = body.into_inner();
    let value_is_null = match &body {
        Value::Object(o) => o.get("value").is_none_or(Value::is_null),
        other => other.is_null(),
    };
    if value_is_null {
        return Err(ApiError::invalid(
            vec!["value".into()],
            "a value is required (to remove a variable, DELETE it)",
        ));
    }
    let now = state.calls.clock().now();
    let writes = parse_variables(&Map::from_iter([(key.clone(), body)]), now)?;
    let Some(VariableWrite::Set { variable, .. }) = writes.first().cloned() else {
        return Err(ApiError::invalid(
            vec!["value".into()],
            "a value is required",
        ));
    };
    state
        .calls
        .store()
        .write_variables(&auth.0.0.id, &who, writes, now)
        .await
        .map_err(write_error)?;
    Ok(HttpResponse::Ok().json(VariableWritten {
        key,
        variable: variable.into(),
    }))
}

pub(crate) async fn delete_variable<B: Backend>(
    state: web::Data<AppState<B>>,
    auth: Auth<B>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (who, key) = path.into_inner();
    let who = customer_ref(&who)?;
    let now = state.calls.clock().now();
    let removed = state
        .calls
        .store()
        .write_variables(&auth.0.0.id, &who, vec![VariableWrite::Delete { key }], now)
        .await
        .map_err(write_error)?;
    if removed == 0 {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "variable_not_found",
            "The customer has no such variable",
        ));
    }
    Ok(HttpResponse::NoContent().finish())
}
