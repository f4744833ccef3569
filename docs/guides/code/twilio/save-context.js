// Twilio Function (Node.js 18+ runtime): save what happened when the agent wraps up.
// Flex calls it from an `afterCompleteTask` listener with the task's attributes:
// CallSid, CustomerRef, Intent, IntentStatus, AgentNotes, Disposition. A retry (the
// same CallSid) never saves twice: the Idempotency-Key makes it a replay.
// Environment: STICKYCALLS_URL, STICKYCALLS_KEY.

exports.handler = async function (context, event, callback) {
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
    if (!r.ok) return callback(null, { success: false, status: r.status });
    return callback(null, { success: true });
  } catch (error) {
    console.error(`sticky calls: ${error.message}; not saved`);
    return callback(null, { success: false, status: 0 });
  }
};
