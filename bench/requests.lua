-- wrk script of bench/run: sends pre-built raw HTTP requests, each thread its own share,
-- and prints a machine-readable summary for the driver (tests/src/bin/spin-bench).
--
-- Why pre-built: every interaction must carry its own id and Ed25519 signature (the bot
-- deduplicates interactions by id) and every Kaltura notification its own job id, so a
-- fixed request would measure the dedupe path instead of the real work. Signing is
-- Discord's (or Kaltura's) work, not ours, so it is all done before the clock starts.
--
-- Usage: wrk -t<T> ... -s bench/requests.lua <url> -- <requests-file> <T>
-- The file holds records "<byte length>\n<raw request bytes>", one after the other.
-- Thread i (0-based) sends records i, i+T, i+2T, ... in order; if it runs out it starts
-- again from its first one and counts a wrap (the driver then reports the scenario as
-- invalid, since repeated requests are answered from the dedupe path).

local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local path, total = args[1], tonumber(args[2])
  local file = assert(io.open(path, "rb"))
  local data = file:read("*a")
  file:close()
  requests = {}
  wraps = 0
  local pos, index = 1, 0
  while pos <= #data do
    local eol = string.find(data, "\n", pos, true)
    if not eol then break end
    local length = tonumber(string.sub(data, pos, eol - 1))
    local record = string.sub(data, eol + 1, eol + length)
    if index % total == id then
      table.insert(requests, record)
    end
    index = index + 1
    pos = eol + 1 + length
  end
  assert(#requests > 0, "no requests for thread " .. id .. " in " .. path)
  next_index = 1
end

function request()
  local r = requests[next_index]
  next_index = next_index + 1
  if next_index > #requests then
    next_index = 1
    wraps = wraps + 1
  end
  return r
end

function done(summary, latency, requests)
  local wrapped = 0
  for _, thread in ipairs(threads) do
    wrapped = wrapped + (thread:get("wraps") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH-RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"wraps":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout, wrapped))
end
