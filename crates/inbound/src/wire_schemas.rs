//! The wire types' JSON Schemas as OpenAPI components, in one place: the REST API's
//! document takes them (beside its operations) and the MCP tools take their input
//! schemas from them, so a tool takes exactly what its route takes.

use utoipa::{Modify, OpenApi};

use crate::dto::{
    AccountResponse, DayUsageDto, EndRequest, EndResponse, HealthResponse, IdentityDto,
    IdentityHintsDto, OpenIntentDto, SharedLineDto, StartRequest, StartResponse, TelcoDto,
    UsageResponse, VariableDto,
};
use crate::error::{DetailsBody, ErrorBody, IssueBody};
use crate::field_schema::{
    CustomerLookupQuery, CustomerRefText, DayText, VariableBody, VariableKeyText,
};
use crate::settings_dto::{
    AdjustmentDto, AttestationPolicyDto, BinDto, CalibrationResponse, IdentitySettingsDto,
    LearningDto, ReuseQualityDto, ThresholdsDto, WeightsDto,
};

/// Every wire type's schema (and those they name).
#[derive(Debug, OpenApi)]
#[openapi(
    components(schemas(
        StartRequest, StartResponse, EndRequest, EndResponse, HealthResponse, IdentityDto,
        IdentityHintsDto, OpenIntentDto, SharedLineDto, TelcoDto, VariableDto, ErrorBody, DetailsBody, IssueBody,
        AccountResponse, UsageResponse, DayUsageDto, DayText, CustomerRefText,
        CustomerLookupQuery, VariableKeyText, VariableBody, IdentitySettingsDto, WeightsDto,
        ThresholdsDto, AttestationPolicyDto, CalibrationResponse, BinDto, ReuseQualityDto,
        LearningDto, AdjustmentDto
    )),
    modifiers(&EndRules)
)]
pub struct WireSchemas;

/// Adds the end request's cross-field rules to its schema.
#[derive(Debug)]
pub struct EndRules;

impl Modify for EndRules {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, schema::Schema};
        let schemas = openapi.components.as_mut().map(|c| &mut c.schemas);
        if let Some(RefOr::T(Schema::Object(end))) = schemas.and_then(|s| s.get_mut("EndRequest")) {
            end.extensions = Some(crate::field_schema::end_request_rules());
        }
    }
}
