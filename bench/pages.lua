-- wrk script of bench/http: one page kind per run, each request with the next logged-in session
-- (cookie + CSRF token) of a sessions file written by bench-client.
--
--   wrk ... -s bench/pages.lua URL -- SESSIONS KIND MAX_CASE_ID
--
-- KIND: case | list | filtered | queue | search | diary | reviews | logsearch | extract | ceiling |
--       reads (the ceiling with the case page's reads)
-- done() prints one line: RESULT {json} with req/s, p50, p99 (ms), non-2xx and socket errors.

local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local sessions = {}
local kind, max_id
local next_session = 1
non2xx = 0

local function luhn(digits)
  local sum = 0
  for i = 1, #digits do
    local d = tonumber(digits:sub(i, i))
    if i % 2 == 1 then
      d = d * 2
      if d > 9 then d = d - 9 end
    end
    sum = sum + d
  end
  return (10 - sum % 10) % 10
end

function init(args)
  for line in io.lines(args[1]) do
    local c, t = line:match("^(%S+) (%S+)$")
    if c then sessions[#sessions + 1] = { c, t } end
  end
  kind = args[2]
  max_id = tonumber(args[3])
  math.randomseed(os.time() * 1000 + id)
  -- spread the threads over the sessions
  next_session = (id * 17) % #sessions + 1
end

-- a valid personnummer of the seeded form 19YY0101NNNN (serial 000 is refused: 422)
local function random_pnr()
  local nine = string.format("%02d0101%03d", math.random(10, 99), math.random(1, 999))
  return "19" .. nine:sub(1, 6) .. "-" .. nine:sub(7, 9) .. luhn(nine)
end

function request()
  local s = sessions[next_session]
  next_session = next_session % #sessions + 1
  local headers = { ["Cookie"] = "kontosparr=" .. s[1] }
  if kind == "case" then
    return wrk.format("GET", "/arenden/" .. math.random(1, max_id), headers)
  elseif kind == "ceiling" then
    return wrk.format("GET", "/case/" .. math.random(1, max_id), headers)
  elseif kind == "reads" then
    return wrk.format("GET", "/case-reads/" .. math.random(1, max_id), headers)
  elseif kind == "list" then
    return wrk.format("GET", "/arenden", headers)
  elseif kind == "filtered" then
    return wrk.format("GET", "/arenden?status=submitted", headers)
  elseif kind == "queue" then
    return wrk.format("GET", "/handlaggning", headers)
  elseif kind == "diary" then
    return wrk.format("GET", "/diarium?ar=2020", headers)
  elseif kind == "reviews" then
    return wrk.format("GET", "/omprovningar", headers)
  elseif kind == "search" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format("POST", "/sok", headers, "csrf_token=" .. s[2] .. "&pnr=" .. random_pnr())
  elseif kind == "logsearch" then
    -- the auditor's log search by citizen (first page, keyset)
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format("POST", "/logg", headers, "csrf_token=" .. s[2] .. "&pnr=" .. random_pnr())
  elseif kind == "extract" then
    -- the auditor's per-citizen extract page
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format("POST", "/logg/utdrag", headers, "csrf_token=" .. s[2] .. "&pnr=" .. random_pnr())
  end
  error("unknown page kind " .. tostring(kind))
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do
    bad = bad + (t:get("non2xx") or 0)
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    'RESULT {"requests":%d,"rps":%.1f,"p50_ms":%.2f,"p99_ms":%.2f,"non2xx":%d,"socket_errors":%d}\n',
    summary.requests, summary.requests / secs, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, bad, e.connect + e.read + e.write + e.timeout))
end
