-- wrk script: GETs a page, or replays valid tip form posts, rotating distinct CSRF cookie/token pairs.
-- bench/loadgen.py writes the pairs and bodies to the Lua file named by BENCH_PAIRS;
-- each request takes the next pair, so every post passes the CSRF check.
-- Counts response statuses per thread; runs for wrk's -d duration.

local pairs_file = os.getenv("BENCH_PAIRS")
local data = dofile(pairs_file)   -- { method, path, threads, bodies, cookies }
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  nth = id
end

function request()
  if data.method == "GET" then
    return wrk.format("GET", data.path)
  end
  local i = (nth % #data.cookies) + 1
  nth = nth + data.threads   -- threads take turns through the pairs
  return wrk.format("POST", data.path, {
    ["Cookie"] = data.cookies[i],
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, data.bodies[i])
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for k, v in pairs(s) do merged[k] = (merged[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(merged) do table.insert(parts, string.format('"%s": %d', k, v)) end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "errors": %d, "p50_us": %d, "p99_us": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), table.concat(parts, ", ")))
end
