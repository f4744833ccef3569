-- GCRA, atomically (Redis runs a script alone): one key's theoretical arrival time
-- (TAT, microseconds on Redis's clock, so nodes' clocks never disagree).
-- KEYS[1]: the key. ARGV[1]: emission interval in µs. ARGV[2]: burst (requests).
-- Returns {1, remaining, reset_us} when counted, {0, 0, retry_after_us} when refused
-- (nothing stored then).
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then
  tat = now
end
local new_tat = tat + interval
local allow_at = new_tat - interval * burst
if allow_at > now then
  return {0, 0, allow_at - now}
end
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
return {1, math.floor((now - allow_at) / interval), new_tat - now}
