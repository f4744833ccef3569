// Twilio Function (Node.js runtime): identify the caller when the call arrives.
// Called by Studio's "Run Function" widget, whose Function Parameters become `event`:
// CallSid={{trigger.call.CallSid}}, From={{trigger.call.From}}, To={{trigger.call.To}}
// (and StirVerstat={{trigger.call.StirVerstat}} if your flow has it; sent only when set).
// It answers `attributes`, the task attributes as JSON built here, so Studio's "Send to
// Flex" Attributes field is just {{widgets.get_context.parsed.attributes}}, plus flat
// fields for "Split Based On". Studio waits 10 s for a Function and a Function runs 10 s
// at most (docs/guides/twilio.md); we give Sticky Calls 3 s, then go on as a new caller.
// Environment (the service's variables): STICKYCALLS_URL, STICKYCALLS_KEY.

const TIMEOUT_MS = 3000;

// What the agent sees: notes and open issues only when we are sure (reuse).
function attributesOf(event, data) {
  const reuse = data.identity.recommendation === 'reuse';
  return JSON.stringify({
    type: 'inbound', // Flex's default voice attributes (Send to Flex page)
    name: event.From,
    call_sid: event.CallSid,
    customer_ref: data.customer_ref ?? '',
    identity_confidence: data.identity.confidence,
    identity_level: data.identity.level,
    recommendation: data.identity.recommendation,
    variables: reuse ? data.variables ?? {} : {},
    open_intents: reuse ? data.open_intents ?? [] : [],
  });
}

const NEW_CALLER = { customer_ref: null, identity: { confidence: 0, level: 'low', recommendation: 'ignore' } };

exports.handler = async function (context, event, callback) {
  const callSid = event.CallSid;
  let data = NEW_CALLER;
  try {
    const body = {
      call_id: callSid,
      identity_hints: { ani: event.From, external_ids: { twilio_call_sid: callSid } },
    };
    if (event.StirVerstat) body.telco = { attestation: event.StirVerstat };
    const r = await fetch(`${context.STICKYCALLS_URL}/v1/calls/start`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${context.STICKYCALLS_KEY}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': `${callSid}:start`,
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!r.ok) throw new Error(`sticky calls answered ${r.status}`);
    data = await r.json();
  } catch (error) {
    console.error(`sticky calls: ${error.message}; standard flow`);
  }
  return callback(null, {
    attributes: attributesOf(event, data),
    recommendation: data.identity.recommendation,
    customer_ref: data.customer_ref ?? '',
  });
};
