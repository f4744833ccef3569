// Twilio Function (Node.js 18+ runtime): identify the caller when the call arrives.
// Call it from Studio's "Run Function" widget (parameters From={{trigger.call.From}},
// CallSid={{trigger.call.CallSid}}) and copy its answer into the task's attributes
// for Flex's screen pop. Studio widgets wait 10 s at most; we give up after 3 s and
// the flow goes on as for a new caller.
// Environment (the service's variables): STICKYCALLS_URL, STICKYCALLS_KEY.

const TIMEOUT_MS = 3000;

exports.handler = async function (context, event, callback) {
  const callSid = event.CallSid;
  try {
    const r = await fetch(`${context.STICKYCALLS_URL}/v1/calls/start`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${context.STICKYCALLS_KEY}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': `${callSid}:start`,
      },
      body: JSON.stringify({
        call_id: callSid,
        identity_hints: { ani: event.From, external_ids: { twilio_call_sid: callSid } },
      }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!r.ok) throw new Error(`sticky calls answered ${r.status}`);
    const data = await r.json();
    const reuse = data.identity.recommendation === 'reuse';
    // Task attributes are what the agent sees: notes only when we are sure (reuse).
    return callback(null, {
      customer_ref: data.customer_ref ?? '',
      identity_confidence: data.identity.confidence,
      identity_level: data.identity.level,
      recommendation: data.identity.recommendation,
      variables: JSON.stringify(reuse ? data.variables ?? {} : {}),
      open_intents: JSON.stringify(reuse ? data.open_intents ?? [] : []),
      call_start: data.call_start ?? '',
    });
  } catch (error) {
    console.error(`sticky calls: ${error.message}; standard flow`);
    return callback(null, {
      customer_ref: '', identity_confidence: 0, identity_level: 'low', recommendation: 'ignore',
      variables: '{}', open_intents: '[]', call_start: '',
    });
  }
};
