//! `/v1/customers`: search by number or external id, read (free, no call recorded),
//! export, erase, and direct variable writes. Every route is scoped to the key's
//! tenant: another tenant's or environment's customer answers 404.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;

use stickycalls_inbound::auth::Auth;
use stickycalls_inbound::customer_dto::{
    CustomerDto, CustomerExport, CustomerSearchResponse, VariableWritten,
};
use stickycalls_inbound::error::ApiError;
use stickycalls_inbound::{AppState, Backend};

#[derive(Debug, Deserialize)]
pub(crate) struct SearchQuery {
    ani: Option<String>,
    external_id: Option<String>,
}

pub(crate) async fn search<B: Backend>(
    state: web::Data<AppState<B>>, auth: Auth<B>, query: web::Query<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let found = state
        .customers
        .search(
            &auth.0.0,
            query.ani.as_deref(),
            query.external_id.as_deref(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(CustomerSearchResponse {
        customers: found.into_iter().map(CustomerDto::from).collect(),
    }))
}

pub(crate) async fn read<B: Backend>(
    state: web::Data<AppState<B>>, auth: Auth<B>, path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let view = state.customers.get(&auth.0.0.id, &path).await?;
    Ok(HttpResponse::Ok().json(CustomerDto::from(view)))
}

pub(crate) async fn export<B: Backend>(
    state: web::Data<AppState<B>>, auth: Auth<B>, path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (record, at) = state.customers.export(&auth.0.0.id, &path).await?;
    let who = record.customer_ref.clone();
    tracing::info!(customer = %who.log_digest(), "customer exported");
    Ok(HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{}.json\"", who.as_str()),
        ))
        .json(CustomerExport::new(record, at.to_string())))
}

pub(crate) async fn erase<B: Backend>(
    state: web::Data<AppState<B>>, auth: Auth<B>, path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let who = state.customers.erase(&auth.0.0.id, &path).await?;
    tracing::info!(customer = %who.log_digest(), "customer erased");
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) async fn put_variable<B: Backend>(
    state: web::Data<AppState<B>>, auth: Auth<B>, path: web::Path<(String, String)>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let (who, key) = path.into_inner();
    let variable = state
        .customers
        .set_variable(&auth.0.0.id, &who, &key, body.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(VariableWritten {
        key,
        variable: variable.into(),
    }))
}

pub(crate) async fn delete_variable<B: Backend>(
    state: web::Data<AppState<B>>, auth: Auth<B>, path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (who, key) = path.into_inner();
    state
        .customers
        .remove_variable(&auth.0.0.id, &who, &key)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
