// Twilio Function (Node.js runtime, @twilio/runtime-handler >= 1.2.0): save what happened
// when the agent wraps up. A Flex plugin calls it from an `afterCompleteTask` listener with
// a form body (CallSid, CustomerRef, Intent, IntentStatus, AgentNotes, Disposition, Token).
// twilio-flex-token-validator checks `event.Token` (the agent's Flex token) and answers
// 403 itself when it is missing or invalid: turn the Function's "Check for valid Twilio
// signature" off and "Enable ACCOUNT_SID and AUTH_TOKEN" on, as its README says.
// A retry (the same CallSid) never saves twice: the Idempotency-Key makes it a replay.
// Environment: STICKYCALLS_URL, STICKYCALLS_KEY; optional FLEX_ORIGIN (default '*').

const { functionValidator } = require('twilio-flex-token-validator');

function corsResponse(context) {
  const response = new Twilio.Response();
  response.appendHeader('Access-Control-Allow-Origin', context.FLEX_ORIGIN || '*');
  response.appendHeader('Access-Control-Allow-Methods', 'OPTIONS, POST');
  response.appendHeader('Access-Control-Allow-Headers', 'Content-Type');
  return response;
}

function answer(context, callback, status, body) {
  const response = corsResponse(context);
  response.appendHeader('Content-Type', 'application/json');
  response.setStatusCode(status);
  response.setBody(body);
  return callback(null, response);
}

const save = async function (context, event, callback) {
  const variables = {};
  if (event.AgentNotes) variables.summary = event.AgentNotes;
  if (event.Disposition) variables.disposition = event.Disposition;
  try {
    const r = await fetch(`${context.STICKYCALLS_URL}/v1/calls/end`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${context.STICKYCALLS_KEY}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': `${event.CallSid}:end`,
      },
      body: JSON.stringify({
        call_id: event.CallSid,
        customer_ref: event.CustomerRef || undefined,
        intent: event.Intent || 'general_inquiry',
        intent_status: event.IntentStatus || 'resolved',
        variables,
      }),
      signal: AbortSignal.timeout(5000),
    });
    if (!r.ok) return answer(context, callback, 502, { success: false, status: r.status });
    return answer(context, callback, 200, { success: true });
  } catch (error) {
    console.error(`sticky calls: ${error.message}; not saved`);
    return answer(context, callback, 502, { success: false, status: 0 });
  }
};

const validated = functionValidator(save);

exports.handler = function (context, event, callback) {
  // A CORS preflight carries Access-Control-Request-Method and no Token: answer it
  // before the validator, which would refuse it with 403.
  const headers = (event.request && event.request.headers) || {};
  if (headers['access-control-request-method']) {
    const response = corsResponse(context);
    response.setStatusCode(204);
    return callback(null, response);
  }
  return validated(context, event, callback);
};
