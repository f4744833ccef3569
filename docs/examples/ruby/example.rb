# Sticky Calls from Ruby (standard library only): identify the caller at call start,
# save at call end, with the seeds' decision logic, the error table (401/402 alert an
# admin, 429/5xx retry, anything else falls back), retries under one Idempotency-Key
# and a 3 s timeout after which the call goes on as a new caller's.
#
#   STICKYCALLS_URL=http://127.0.0.1:8080 STICKYCALLS_KEY=sk_test_... ruby example.rb

require 'json'
require 'net/http'
require 'uri'

BASE_URL = ENV.fetch('STICKYCALLS_URL', 'http://127.0.0.1:8080')
API_KEY = ENV.fetch('STICKYCALLS_KEY')
TIMEOUT_SECONDS = 3 # per attempt: the caller must never wait on us
ATTEMPTS = 3 # one try and two retries
RETRYABLE = [408, 409, 429, 500, 502, 503, 504].freeze # 409: same key still running

# What a call goes on with when Sticky Calls cannot answer: a new caller.
FALLBACK = {
  'customer_ref' => nil,
  'identity' => { 'confidence' => 0.0, 'level' => 'low', 'sources' => [], 'recommendation' => 'ignore' },
  'open_intents' => [],
  'variables' => {}
}.freeze

Outcome = Struct.new(:status, :body, :attempts, :fallback)

# POSTs with retries. Never raises: a failure becomes the fallback.
def post(path, body, idempotency_key, base_url: BASE_URL, api_key: API_KEY)
  uri = URI("#{base_url}#{path}")
  (1..ATTEMPTS).each do |attempt|
    begin
      response = Net::HTTP.start(uri.host, uri.port, use_ssl: uri.scheme == 'https',
                                 open_timeout: TIMEOUT_SECONDS, read_timeout: TIMEOUT_SECONDS,
                                 write_timeout: TIMEOUT_SECONDS) do |http|
        request = Net::HTTP::Post.new(uri, 'Authorization' => "Bearer #{api_key}",
                                           'Content-Type' => 'application/json',
                                           'Idempotency-Key' => idempotency_key)
        request.body = JSON.generate(body)
        http.request(request)
      end
    rescue Net::OpenTimeout, Net::ReadTimeout
      warn 'sticky calls: no answer in 3 s, standard flow'
      return Outcome.new(0, FALLBACK, attempt, true)
    rescue StandardError => e
      warn "sticky calls unreachable (#{e.message}), standard flow"
      return Outcome.new(0, FALLBACK, attempt, true)
    end
    status = response.code.to_i
    return Outcome.new(200, JSON.parse(response.body), attempt, false) if status == 200

    if RETRYABLE.include?(status) && attempt < ATTEMPTS
      # Retry-After when the server gives one, else 0.25 s, 0.5 s...; capped at 1 s.
      wait = (response['Retry-After'] || 0.25 * 2**(attempt - 1)).to_f
      sleep([wait, 1.0].min)
      next
    end
    code = (JSON.parse(response.body)['code'] rescue nil)
    if [401, 402].include?(status)
      # 401: check the API key; 402: no credits left. Both need a person.
      warn "ALERT admin: sticky calls answered #{status} #{code}"
    else
      warn "sticky calls answered #{status}, standard flow"
    end
    return Outcome.new(status, FALLBACK, attempt, true)
  end
end

def identify_caller(call_id, ani, crm_id: nil, **options)
  hints = { ani: ani }
  hints[:external_ids] = { customer_id: crm_id } if crm_id
  post('/v1/calls/start', { call_id: call_id, identity_hints: hints }, "#{call_id}:start", **options)
end

def save_context(call_id, customer_ref, intent, intent_status, variables)
  post('/v1/calls/end', { call_id: call_id, customer_ref: customer_ref, intent: intent,
                          intent_status: intent_status, variables: variables }, "#{call_id}:end")
end

# The seeds' decision logic: what to do with the caller, and which queue.
def decide(answer)
  action = case answer['identity']['recommendation']
           when 'reuse' then 'greet_with_context' # context to the agent
           when 'confirm' then 'confirm_identity' # one question first
           else 'standard_greeting'
           end
  queue = 'general'
  (answer['open_intents'] || []).each do |intent|
    next unless intent['status'] == 'open'

    if intent['intent'] == 'escalation'
      queue = 'senior'
      break
    elsif intent['intent'] == 'billing_issue'
      queue = 'billing'
    elsif intent['intent'] == 'technical_support' && queue == 'general'
      queue = 'technical'
    end
  end
  [action, queue]
end

def report(label, outcome)
  answer = outcome.body
  action, queue = decide(answer)
  note = answer['variables'].dig('test_note', 'value') || ''
  puts "#{label}: status=#{outcome.status} attempts=#{outcome.attempts} fallback=#{outcome.fallback} " \
       "recommendation=#{answer['identity']['recommendation']} level=#{answer['identity']['level']} " \
       "action=#{action} queue=#{queue} note=#{note}"
end

ani = ENV.fetch('EXAMPLE_ANI', '+14155559999')
prefix = ENV.fetch('EXAMPLE_PREFIX', 'rb')
# The seeds' "Test Match Logic": a new caller, their call saved, then recognised.
first = identify_caller("#{prefix}_001", ani)
report('first', first)
saved = save_context("#{prefix}_001", first.body['customer_ref'], 'billing_issue', 'open',
                     { test_note: 'Test context' })
puts "end: status=#{saved.status} fallback=#{saved.fallback}"
report('second', identify_caller("#{prefix}_002", ani))
# Faults: a flaky route, a slow one, a revoked key.
report('retried', identify_caller("#{prefix}_003", ani, base_url: ENV['FLAKY_URL'])) if ENV['FLAKY_URL']
report('timeout', identify_caller("#{prefix}_004", ani, base_url: ENV['SLOW_URL'])) if ENV['SLOW_URL']
report('unauthorized', identify_caller("#{prefix}_005", ani, api_key: 'sk_test_0000000000000000_revoked'))
